// Package preview shows what a journey definition would measure before it
// is saved: per step, the spans it matches, their error rate, p95 and a
// few traces to open; for the whole journey, how many instances reached
// each step and how long they took between steps.
//
// It computes with rollup's own aggregator over the range (the last hour
// by default), recounting as a first run does, so that the preview is
// exactly what the rollups will show once the journey is saved. The work
// is bounded: a time budget and a cap on the spans read. A preview cut
// short by either says so, and which steps it could not read.
//
// A step that matches nothing in the range is looked up over the 24 hours
// before the range ends; one that matched nothing there either carries a
// warning for the editor: the pattern is most likely mistyped.
package preview

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// Defaults of Options.
const (
	DefaultRange    = time.Hour
	MaxRange        = 7 * journeys.Day
	DefaultBudget   = 10 * time.Second
	DefaultMaxSpans = 2_000_000
	// Samples is how many traces each step offers to open.
	Samples = 3
	// LookBack is how far back a step that matched nothing is looked for.
	LookBack = 24 * time.Hour
)

// Options bound a Previewer.
type Options struct {
	// Range is how far back a preview looks by default.
	Range time.Duration
	// Budget bounds the time one preview reads spans for.
	Budget time.Duration
	// MaxSpans bounds the spans one preview reads.
	MaxSpans int64
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Previewer previews journeys on one trace source. It is safe for
// concurrent use.
type Previewer struct {
	src rollup.TraceSource
	o   Options
}

// New returns a Previewer reading src.
func New(src rollup.TraceSource, o Options) *Previewer {
	if o.Range <= 0 {
		o.Range = DefaultRange
	}
	if o.Budget <= 0 {
		o.Budget = DefaultBudget
	}
	if o.MaxSpans <= 0 {
		o.MaxSpans = DefaultMaxSpans
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Previewer{src: src, o: o}
}

// Request is a journey to preview and the range to preview it over.
type Request struct {
	// Journey need not be saved, nor named: an empty slug or name is
	// filled in, and its SLOs are ignored.
	Journey journeys.Journey
	// From and To bound the range, on whole minutes; both zero means the
	// last Options.Range ending at the last whole minute.
	From, To time.Time
}

// Preview is what a journey measures over a range.
type Preview struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Steps []Step    `json:"steps"`
	// Funnel follows the instances (traces or sessions) that entered step
	// 1 in the range.
	Funnel Funnel `json:"funnel"`
	// Partial is set when the budget or the span cap stopped the preview;
	// Reason says which, and Step.Read which steps were read in full.
	Partial bool   `json:"partial"`
	Reason  string `json:"reason,omitempty"`
	// Spans counts the spans read, including those before the range that
	// decide which instances had already entered.
	Spans int64 `json:"spans_read"`
	// Took is how long the preview took.
	Took  time.Duration       `json:"took_ns"`
	Fetch journeys.FetchStats `json:"fetch"`
}

// Step is what one step's pattern matches in the range.
type Step struct {
	Name      string  `json:"name"`
	Spans     int64   `json:"spans"`
	Errors    int64   `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	// P95 is the 95th percentile of the spans' durations, within 1%.
	P95 time.Duration `json:"p95_ns"`
	// Samples are the traces of the slowest spans, slowest first.
	Samples []string `json:"samples"`
	// Read is false when the preview stopped before reading this step in
	// full: its numbers are a lower bound, or absent.
	Read bool `json:"read"`
	// Unmatched is set when the pattern matched no span in the 24 hours
	// before the range ends; Warning says so for the editor.
	Unmatched bool   `json:"unmatched"`
	Warning   string `json:"warning,omitempty"`
}

// Funnel is how far the instances entering in the range got.
type Funnel struct {
	Entered   int64        `json:"entered"`
	Completed int64        `json:"completed"`
	InFlight  int64        `json:"in_flight"`
	Steps     []FunnelStep `json:"steps"`
}

// FunnelStep is one step of the funnel.
type FunnelStep struct {
	Reached int64 `json:"reached"`
	// Conversion is Reached over the previous step's (1 for step 1 when
	// anything entered); Overall over step 1's.
	Conversion float64 `json:"conversion"`
	Overall    float64 `json:"overall"`
	// Time from the previous step to this one, 0 for step 1.
	FromPreviousP50 time.Duration `json:"from_previous_p50_ns"`
	FromPreviousP95 time.Duration `json:"from_previous_p95_ns"`
}

// errCap stops a fetch at the span cap.
var errCap = errors.New("span cap reached")

// Run previews req. A journey that does not validate is a
// *journeys.ValidationError naming its fields; a source that fails is an
// error wrapping the source's.
func (p *Previewer) Run(ctx context.Context, req Request) (*Preview, error) {
	started := time.Now()
	j, err := draft(req.Journey)
	if err != nil {
		return nil, err
	}
	from, to, err := p.window(req)
	if err != nil {
		return nil, err
	}
	agg, err := rollup.NewAggregator(j, rollup.Range{From: from, To: to}, nil)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	out := &Preview{From: from, To: to, Steps: make([]Step, len(j.Spec.Steps))}
	for k, st := range j.Spec.Steps {
		out.Steps[k] = Step{Name: st.Name, Samples: []string{}}
	}

	bctx, cancel := context.WithTimeout(ctx, p.o.Budget)
	defer cancel()
	var read int64
	for k := range j.Spec.Steps {
		add := agg.Step(k)
		stats, err := p.src.FetchSpans(bctx, agg.Query(k), func(s journeys.Span) error {
			if read >= p.o.MaxSpans {
				return errCap
			}
			read++
			return add(s)
		})
		out.Fetch.Add(stats)
		switch {
		case err == nil:
			out.Steps[k].Read = true
			continue
		case errors.Is(err, errCap):
			out.Partial, out.Reason = true, fmt.Sprintf("stopped at the cap of %d spans while reading step %q", p.o.MaxSpans, st(j, k))
		case bctx.Err() != nil && ctx.Err() == nil:
			out.Partial, out.Reason = true, fmt.Sprintf("stopped after %s, the time budget, while reading step %q", p.o.Budget, st(j, k))
		default:
			return nil, fmt.Errorf("preview step %q: %w", st(j, k), err)
		}
		break
	}
	res := agg.Result()
	out.Spans = res.SpansRead
	fill(out, res, from, to)

	// Steps that matched nothing: are they mistyped, or just quiet?
	for k := range out.Steps {
		s := &out.Steps[k]
		if !s.Read || s.Spans > 0 {
			continue
		}
		found, err := p.matchedSince(bctx, j.Spec.Steps[k].Match, to.Add(-LookBack), to)
		switch {
		case err != nil && bctx.Err() != nil && ctx.Err() == nil:
			out.Partial, out.Reason = true, fmt.Sprintf("stopped after %s, the time budget, while looking back 24 hours for step %q", p.o.Budget, s.Name)
		case err != nil:
			return nil, fmt.Errorf("preview step %q: look back 24 hours: %w", s.Name, err)
		case !found:
			s.Unmatched = true
			s.Warning = "no span matched this step in the last 24 hours: check the service, span name, kind and attributes"
		}
	}
	out.Took = time.Since(started)
	return out, nil
}

func st(j journeys.Journey, k int) string { return j.Spec.Steps[k].Name }

// errFound stops a look-back at the first span.
var errFound = errors.New("found")

// matchedSince reports whether any span matches pattern in [from, to).
func (p *Previewer) matchedSince(ctx context.Context, pattern journeys.Pattern, from, to time.Time) (bool, error) {
	_, err := p.src.FetchSpans(ctx, journeys.SpanQuery{Pattern: pattern, From: from, To: to}, func(journeys.Span) error { return errFound })
	if errors.Is(err, errFound) {
		return true, nil
	}
	return false, err
}

// window is the request's range, on whole minutes.
func (p *Previewer) window(req Request) (time.Time, time.Time, error) {
	from, to := req.From.UTC(), req.To.UTC()
	if req.From.IsZero() && req.To.IsZero() {
		to = p.o.Now().UTC().Truncate(time.Minute)
		from = to.Add(-p.o.Range)
	}
	switch {
	case from.IsZero() || to.IsZero():
		return time.Time{}, time.Time{}, rangeError("set both from and to, or neither for the last hour")
	case !from.Equal(from.Truncate(time.Minute)) || !to.Equal(to.Truncate(time.Minute)):
		return time.Time{}, time.Time{}, rangeError("from and to must be on whole minutes")
	case !from.Before(to):
		return time.Time{}, time.Time{}, rangeError("from must be before to")
	case to.Sub(from) > MaxRange:
		return time.Time{}, time.Time{}, rangeError("at most 7 days")
	}
	return from, to, nil
}

// rangeError is a problem with the time range asked for.
func rangeError(msg string) error {
	return &journeys.ValidationError{Fields: map[string]string{"range": msg}}
}

// draft is the journey as the aggregator needs it: named, without SLOs,
// valid.
func draft(j journeys.Journey) (journeys.Journey, error) {
	j.Normalize()
	if j.Metadata.Slug == "" {
		j.Metadata.Slug = "preview"
	}
	if j.Metadata.Name == "" {
		j.Metadata.Name = "Preview"
	}
	j.Spec.SLOs = nil
	if err := j.Validate(); err != nil {
		return journeys.Journey{}, err
	}
	return j, nil
}

// fill sums the rows of the range into the preview.
func fill(out *Preview, res *rollup.Result, from, to time.Time) {
	n := len(out.Steps)
	lat := make([]sketch.Sketch, n)
	slow := make([][]rollup.Exemplar, n)
	for _, r := range res.Steps {
		if !r.Segment.All() || r.Bucket.Before(from) || !r.Bucket.Before(to) {
			continue
		}
		s := &out.Steps[r.Step]
		s.Spans += r.Spans
		s.Errors += r.Errors
		lat[r.Step].Merge(r.Latency)
		slow[r.Step] = append(slow[r.Step], r.Slowest...)
	}
	for k := range out.Steps {
		s := &out.Steps[k]
		if s.Spans > 0 {
			s.ErrorRate = float64(s.Errors) / float64(s.Spans)
			s.P95 = time.Duration(lat[k].QuantileNanos(0.95))
		}
		s.Samples = samples(slow[k])
	}

	f := &out.Funnel
	f.Steps = make([]FunnelStep, n)
	times := make([]sketch.Sketch, n)
	for _, r := range res.Funnels {
		if !r.Segment.All() || r.Bucket.Before(from) || !r.Bucket.Before(to) {
			continue
		}
		for k := range min(n, len(r.Reached)) {
			f.Steps[k].Reached += r.Reached[k]
		}
		if len(r.InFlight) > 0 {
			f.InFlight += r.InFlight[0]
		}
		for k, sk := range r.StepTimes {
			if k+1 < n && sk != nil {
				times[k+1].Merge(sk)
			}
		}
	}
	f.Entered = f.Steps[0].Reached
	f.Completed = f.Steps[n-1].Reached
	for k := range f.Steps {
		fs := &f.Steps[k]
		switch {
		case k == 0 && fs.Reached > 0:
			fs.Conversion = 1
		case k > 0 && f.Steps[k-1].Reached > 0:
			fs.Conversion = float64(fs.Reached) / float64(f.Steps[k-1].Reached)
		}
		if f.Entered > 0 {
			fs.Overall = float64(fs.Reached) / float64(f.Entered)
		}
		if times[k].Count() > 0 {
			fs.FromPreviousP50 = time.Duration(times[k].QuantileNanos(0.5))
			fs.FromPreviousP95 = time.Duration(times[k].QuantileNanos(0.95))
		}
	}
}

// samples picks the traces of the slowest spans, one per trace.
func samples(ex []rollup.Exemplar) []string {
	slices.SortFunc(ex, func(a, b rollup.Exemplar) int {
		return cmp.Or(cmp.Compare(b.Duration, a.Duration), cmp.Compare(a.TraceID, b.TraceID))
	})
	out := []string{}
	for _, e := range ex {
		if len(out) == Samples {
			break
		}
		if !slices.Contains(out, e.TraceID) {
			out = append(out, e.TraceID)
		}
	}
	return out
}
