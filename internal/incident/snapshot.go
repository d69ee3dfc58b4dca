package incident

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/journeys"
)

// ErrSnapshotTooLarge means a trace's snapshot is over the configured cap;
// nothing was stored. The error is a *SnapshotTooLargeError carrying the
// sizes; test with errors.Is.
var ErrSnapshotTooLarge = errors.New("trace snapshot too large")

// SnapshotTooLargeError says by how much a snapshot missed the cap.
type SnapshotTooLargeError struct {
	TraceID string
	Spans   int
	// Compressed is the gzip size, Uncompressed the OTLP JSON size, Limit
	// the cap on Compressed; all in bytes.
	Compressed   int64
	Uncompressed int64
	Limit        int64
}

// Error names the trace and the sizes.
func (e *SnapshotTooLargeError) Error() string {
	return fmt.Sprintf("trace %s snapshot is %s compressed (%s as OTLP JSON, %d spans), over the %s limit",
		e.TraceID, formatBytes(e.Compressed), formatBytes(e.Uncompressed), e.Spans, formatBytes(e.Limit))
}

// Is reports whether target is ErrSnapshotTooLarge.
func (e *SnapshotTooLargeError) Is(target error) bool { return target == ErrSnapshotTooLarge }

// formatBytes spells a size in binary units, one decimal.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// snapshot is an encoded trace, ready to store.
type snapshot struct {
	gz           []byte
	uncompressed int64
}

// cappedBuffer keeps at most limit bytes and counts the rest, so that an
// oversized snapshot costs CPU to measure but not memory to hold.
type cappedBuffer struct {
	buf   bytes.Buffer
	limit int64
	n     int64
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if room := c.limit - int64(c.buf.Len()); room > 0 {
		c.buf.Write(p[:min(int64(len(p)), room)])
	}
	return len(p), nil
}

// encodeSnapshot marshals td as OTLP JSON and gzips it, refusing more than
// limit compressed bytes.
func encodeSnapshot(traceID string, td *tracepb.TracesData, limit int64) (snapshot, error) {
	js, err := protojson.Marshal(td)
	if err != nil {
		return snapshot{}, fmt.Errorf("encode snapshot of trace %s: %w", traceID, err)
	}
	out := &cappedBuffer{limit: limit}
	// Snapshots are written once, by a person linking a trace, and kept
	// for years: the best level's 15% saving is worth its few
	// milliseconds.
	zw, _ := gzip.NewWriterLevel(out, gzip.BestCompression) // the level is valid
	if _, err := zw.Write(js); err != nil {
		return snapshot{}, fmt.Errorf("compress snapshot of trace %s: %w", traceID, err)
	}
	if err := zw.Close(); err != nil {
		return snapshot{}, fmt.Errorf("compress snapshot of trace %s: %w", traceID, err)
	}
	if out.n > limit {
		return snapshot{}, &SnapshotTooLargeError{TraceID: traceID, Spans: countSpans(td),
			Compressed: out.n, Uncompressed: int64(len(js)), Limit: limit}
	}
	return snapshot{gz: out.buf.Bytes(), uncompressed: int64(len(js))}, nil
}

// decodeSnapshotJSON gunzips a stored snapshot. want is the uncompressed
// size recorded with it: reading stops just past it, so a damaged row
// cannot make a reader inflate without bound.
func decodeSnapshotJSON(gz []byte, want int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("decompress snapshot: %w", err)
	}
	js, err := io.ReadAll(io.LimitReader(zr, want+1))
	if err != nil {
		return nil, fmt.Errorf("decompress snapshot: %w", err)
	}
	if int64(len(js)) != want {
		return nil, fmt.Errorf("decompress snapshot: %d bytes, recorded %d", len(js), want)
	}
	return js, nil
}

// decodeSnapshot turns stored OTLP JSON back into OTLP.
func decodeSnapshot(js []byte) (*tracepb.TracesData, error) {
	td := &tracepb.TracesData{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(js, td); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	return td, nil
}

// domainTrace converts OTLP to the trace the waterfall renders, in the
// order the trace sources give it: by start, then span id, times in UTC.
func domainTrace(traceID string, td *tracepb.TracesData) journeys.Trace {
	t := tempo.ConvertTrace(td)
	t.TraceID = traceID
	for i := range t.Spans {
		t.Spans[i].Start = t.Spans[i].Start.UTC()
	}
	slices.SortStableFunc(t.Spans, func(a, b journeys.TraceSpan) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.SpanID, b.SpanID)
	})
	return t
}

func countSpans(td *tracepb.TracesData) int {
	n := 0
	for _, rs := range td.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	return n
}

// traceFacts is what the list of linked traces shows about a trace.
type traceFacts struct {
	start    time.Time
	duration time.Duration
	spans    int
	rootSvc  string
	rootName string
	errMsg   string
}

// factsOf summarises a trace: its extent, its root (the earliest span
// without a parent in the trace, else the earliest span), and its first
// error's message (the status message, else the exception type, else
// "error").
func factsOf(t journeys.Trace) traceFacts {
	var f traceFacts
	f.spans = len(t.Spans)
	if len(t.Spans) == 0 {
		return f
	}
	ids := make(map[string]bool, len(t.Spans))
	for _, sp := range t.Spans {
		ids[sp.SpanID] = true
	}
	var end time.Time
	root := -1
	for i, sp := range t.Spans {
		if f.start.IsZero() || sp.Start.Before(f.start) {
			f.start = sp.Start
		}
		if e := sp.Start.Add(sp.Duration); e.After(end) {
			end = e
		}
		if root < 0 && (sp.ParentSpanID == "" || !ids[sp.ParentSpanID]) {
			root = i
		}
		if sp.Error && f.errMsg == "" {
			f.errMsg = errorText(sp)
		}
	}
	if root < 0 {
		root = 0
	}
	f.rootSvc, f.rootName = t.Spans[root].Service, t.Spans[root].Name
	f.duration = end.Sub(f.start)
	return f
}

// errorText is how an error span reads: its status message, else its
// exception type, else "error".
func errorText(sp journeys.TraceSpan) string {
	if m := strings.TrimSpace(sp.StatusMessage); m != "" {
		return m
	}
	if t := exceptionType(sp); t != "" {
		return t
	}
	return "error"
}

func exceptionType(sp journeys.TraceSpan) string {
	for _, kv := range sp.Attributes {
		if kv.Key == "exception.type" {
			return kv.Value
		}
	}
	return ""
}
