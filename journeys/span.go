package journeys

import (
	"time"

	"github.com/waymarkhq/waymark/internal/fault"
)

// ErrTraceNotFound is returned by a trace source that does not hold a trace.
var ErrTraceNotFound = fault.New(fault.ErrNotFound, "trace not found")

// SpanQuery asks a trace source for the spans matching one step pattern that
// start in [From, To), with the attributes named in Select.
type SpanQuery struct {
	Pattern Pattern
	From    time.Time
	To      time.Time
	// Select lists scoped attribute keys (span.session.id, resource.x) whose
	// values each Span carries in Attrs, in the same order.
	Select []string
	// ReceivedBefore, when set, asks a source that knows when it received
	// each span (the embedded store) for those received before it only,
	// so that what arrived later is known to be late. Others ignore it.
	ReceivedBefore time.Time
}

// Span is one span matched by a SpanQuery. It holds what rollups need and
// nothing more, so that millions of them stream cheaply.
type Span struct {
	// TraceID is 32 lowercase hex characters, leading zeros kept (Tempo drops
	// them in search results; sources normalise with NormalizeTraceID).
	TraceID  string
	SpanID   string
	Start    time.Time
	Duration time.Duration
	Error    bool
	// Attrs holds the values of SpanQuery.Select, in order; "" means absent.
	// Numbers and booleans are in their canonical text form (strconv).
	Attrs []string
	// Weight is how many spans this one stands for when the trace was
	// sampled (its adjusted count, from the tracestate's sampling
	// threshold); 0 when the source knows nothing of sampling, as for 1.
	Weight float64
}

// FetchStats is what a fetch cost the trace source, so that the cost of a
// rollup is visible.
type FetchStats struct {
	Requests       int   `json:"requests"`
	Spans          int64 `json:"spans"`
	InspectedBytes int64 `json:"inspected_bytes"`
	TotalBlocks    int64 `json:"total_blocks"`
	TotalJobs      int64 `json:"total_jobs"`
	CompletedJobs  int64 `json:"completed_jobs"`
}

// Add accumulates other into s.
func (s *FetchStats) Add(o FetchStats) {
	s.Requests += o.Requests
	s.Spans += o.Spans
	s.InspectedBytes += o.InspectedBytes
	s.TotalBlocks += o.TotalBlocks
	s.TotalJobs += o.TotalJobs
	s.CompletedJobs += o.CompletedJobs
}

// LateQuery asks a trace source for spans that arrived after the rollups
// had read their minutes.
type LateQuery struct {
	Steps    []Pattern
	From, To time.Time
	// Since is when the previous check ran (zero: never); spans that
	// arrived before it were found then.
	Since time.Time
	// Counted returns how many spans of step k the rollups hold in the
	// minute starting at bucket, for sources that compare counts.
	Counted func(step int, bucket time.Time) int64
	// Reads are the ranges the rollups read and the arrival cutoff each
	// was read with, for sources that know arrival times.
	Reads []Read
}

// Read is one range of span starts the rollups read, of the spans the
// source had received before Before.
type Read struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Before time.Time `json:"before"`
}

// Trace is one whole trace, for the waterfall and incident snapshots.
type Trace struct {
	TraceID string
	Spans   []TraceSpan
}

// TraceSpan is one span of a Trace with everything a person may want to read.
type TraceSpan struct {
	SpanID        string
	ParentSpanID  string
	Service       string
	Name          string
	Kind          string // server, client, producer, consumer, internal, unspecified
	Start         time.Time
	Duration      time.Duration
	Error         bool
	StatusMessage string
	// Attributes are the span's own attributes (unscoped keys) and
	// Resource the resource's, values in canonical text form.
	Attributes []KeyValue
	Resource   []KeyValue
}

// KeyValue is one attribute.
type KeyValue struct {
	Key   string
	Value string
}

// NormalizeTraceID returns id as 32 lowercase hex characters, restoring the
// leading zeros Tempo strips. ok is false when id is not 1..32 hex characters.
func NormalizeTraceID(id string) (norm string, ok bool) {
	if len(id) == 0 || len(id) > 32 {
		return "", false
	}
	b := make([]byte, 32)
	pad := 32 - len(id)
	for i := 0; i < pad; i++ {
		b[i] = '0'
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", false
		}
		b[pad+i] = c
	}
	return string(b), true
}
