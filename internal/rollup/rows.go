package rollup

import (
	"time"

	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// Segment names one breakdown of a journey's numbers: a segment key and one
// of its values. The zero Segment is all traffic.
type Segment struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// All reports whether s is the all-traffic segment.
func (s Segment) All() bool { return s.Key == "" }

// AtStepPrefix marks the funnel rows of a key attributed at the step
// (hosts, pods, zones): they count an instance at each step it reached
// under the value on the span it chose for that step, not at entry, so
// that what made instances drop after a step can be asked of the instance
// that served it. Segment keys are scoped (span., resource.), so the
// prefix never collides with one, and no read of a segment's funnel sees
// these rows.
const AtStepPrefix = "@step:"

// AtStep is the funnel row key of segment key key counted at each step.
func AtStep(key string) string { return AtStepPrefix + key }

// Values a segment row may carry besides the attribute's own.
const (
	// OtherValue collects the values of a key beyond the TopValues most
	// frequent in one bucket.
	OtherValue = "other"
	// NoneValue stands for a span without the attribute.
	NoneValue = "(none)"
)

// TopValues is how many values of each segment key get rows of their own in
// one bucket; the rest are folded into OtherValue.
const TopValues = 50

// trackedValues bounds the distinct values of one key held while aggregating
// (before the top TopValues are chosen), so that a key with unbounded
// cardinality, such as a user id, cannot exhaust memory. Values first seen
// after the bound go straight to OtherValue; with at most this many distinct
// values, the top TopValues are exact.
const trackedValues = 1000

// MaxExemplars is how many slowest and how many errored traces a row keeps.
const MaxExemplars = 5

// Conversion windows used when a journey sets none. Trace correlation has no
// window of its own, but one bounds how far apart the steps of one trace are
// looked for, so that the same spans always give the same funnel whatever
// range a run reads.
const (
	DefaultTraceWindow   = 10 * time.Minute
	DefaultSessionWindow = 30 * time.Minute
)

// BucketWidth is the width of the buckets rollups are computed in.
const BucketWidth = time.Minute

// Window is the conversion window of j: how long after entering step 1 an
// instance may reach later steps.
func Window(j journeys.Journey) time.Duration {
	if w := j.Spec.Correlation.Window.D; w > 0 {
		return w
	}
	if j.Spec.Correlation.ByTrace() {
		return DefaultTraceWindow
	}
	return DefaultSessionWindow
}

// Exemplar is one trace behind a number, so that every number is one click
// from its traces.
type Exemplar struct {
	TraceID  string        `json:"trace_id"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
}

// StepRow is the rollup of one step's spans in one bucket and segment.
type StepRow struct {
	Step    int
	Bucket  time.Time
	Width   time.Duration
	Segment Segment
	// Spans and Errors (and Good, Latency, ValueSum) count what the spans
	// read stand for: with sampled traffic each counts as its adjusted
	// count, so that the numbers estimate all of it. Sampled counts the
	// spans read.
	Spans   int64
	Sampled int64
	Errors  int64
	Latency *sketch.Sketch
	// Good[i] counts spans whose duration is ≤ Result.Thresholds[Step][i],
	// the latency SLO thresholds of the step, counted exactly.
	Good []int64
	// ValueSum is the sum of the journey's value attribute over the spans
	// where it is numeric.
	ValueSum float64
	// Slowest are the slowest spans' traces, slowest first; Errored the most
	// recent errored spans' traces, latest first. One trace appears at most
	// once in each.
	Slowest []Exemplar
	Errored []Exemplar
}

// FunnelRow is the funnel of the journey instances (traces or sessions) that
// entered step 1 in one bucket, counted in the segment values they had at
// entry. Rows add up: the funnel over any range is the sum of its rows.
type FunnelRow struct {
	Bucket  time.Time
	Width   time.Duration
	Segment Segment
	// Reached[k] counts instances that reached step k (0-based) in order;
	// Reached[0] is the number that entered.
	Reached []int64
	// Errored counts instances with an error on any step they reached.
	Errored int64
	// InFlight[k] counts instances that reached step k and whose window was
	// still open when the rollups were last complete, without reaching the
	// last step: not dropped yet. InFlight[0] is all of them. Once the
	// cohort's windows have closed it is zero.
	InFlight []int64
	// StepTimes[k] is the sketch of the time from step k to step k+1 of the
	// instances that reached k+1.
	StepTimes []*sketch.Sketch
	// DroppedValue[k] sums the value (the journey's value attribute, from
	// the furthest step that carried one) of the instances that dropped
	// after reaching step k; ErroredValue[k] of those whose step-k span
	// failed. An instance counts once its window has closed.
	DroppedValue []float64
	ErroredValue []float64
	// Continued[k], on rows keyed AtStep only, counts the instances whose
	// step-k span had the row's value and that went on to step k+1; there
	// Reached[k] counts those whose step-k span had the value, and
	// InFlight[k] those whose furthest step is k and whose window is still
	// open. (On entry rows every step shares one value: Continued[k] is
	// Reached[k+1] and is not stored.)
	Continued []int64
}

// Entered is the number of instances that entered step 1.
func (r FunnelRow) Entered() int64 {
	if len(r.Reached) == 0 {
		return 0
	}
	return r.Reached[0]
}

// Result is what one computation of a journey over a Range produced. Its
// Steps replace, as a whole, every step row in [Range.From, Range.To), and
// its Funnels every cohort row in [FunnelFrom, Range.To); its Deltas are
// added to the cohort rows before FunnelFrom, whose instances were carried
// in open and moved on.
type Result struct {
	Slug  string
	Range Range
	// FunnelFrom is Range.From when carrying on from an Open, one window
	// earlier when recounting.
	FunnelFrom time.Time
	// Thresholds[k] are the latency SLO thresholds of step k, ascending,
	// that StepRow.Good counts against.
	Thresholds [][]time.Duration
	Steps      []StepRow
	Funnels    []FunnelRow
	Deltas     []FunnelRow
	// Open is the funnel state at Range.To, for the next computation.
	Open *Open
	// Fetch is what reading the spans cost the trace source.
	Fetch journeys.FetchStats
	// SpansRead counts every span the computation consumed, including
	// those read only for context before the range; NewSpans those that
	// start in the range.
	SpansRead int64
	NewSpans  int64
}
