package rolluptest

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// Rows holds in memory what the rollup store holds after writing results
// in order: step rows replaced over each result's range, cohort rows
// replaced over its funnel range, deltas added to earlier cohorts.
type Rows struct {
	steps   map[stepKey]rollup.StepRow
	funnels map[funnelKey]rollup.FunnelRow
	// Open is the funnel state the last result carried.
	Open *rollup.Open
}

type stepKey struct {
	step   int
	bucket int64
	seg    rollup.Segment
}

type funnelKey struct {
	bucket int64
	seg    rollup.Segment
}

// Apply writes res.
func (r *Rows) Apply(res *rollup.Result) {
	if r.steps == nil {
		r.steps, r.funnels = map[stepKey]rollup.StepRow{}, map[funnelKey]rollup.FunnelRow{}
	}
	from, to := res.Range.From.UnixNano(), res.Range.To.UnixNano()
	for k := range r.steps {
		if k.bucket >= from && k.bucket < to {
			delete(r.steps, k)
		}
	}
	ffrom := res.FunnelFrom.UnixNano()
	for k := range r.funnels {
		if k.bucket >= ffrom && k.bucket < to {
			delete(r.funnels, k)
		}
	}
	for _, s := range res.Steps {
		r.steps[stepKey{s.Step, s.Bucket.UnixNano(), s.Segment}] = s
	}
	for _, f := range res.Funnels {
		r.funnels[funnelKey{f.Bucket.UnixNano(), f.Segment}] = clone(f)
	}
	for _, d := range res.Deltas {
		k := funnelKey{d.Bucket.UnixNano(), d.Segment}
		row, ok := r.funnels[k]
		if !ok {
			r.funnels[k] = clone(d)
			continue
		}
		for i := range d.Reached {
			row.Reached[i] += d.Reached[i]
			row.InFlight[i] += d.InFlight[i]
		}
		for len(row.Continued) < len(d.Continued) {
			row.Continued = append(row.Continued, 0)
		}
		for i := range d.Continued {
			row.Continued[i] += d.Continued[i]
		}
		row.Errored += d.Errored
		for i := range d.DroppedValue {
			row.DroppedValue[i] += d.DroppedValue[i]
			row.ErroredValue[i] += d.ErroredValue[i]
		}
		for i, sk := range d.StepTimes {
			row.StepTimes[i].Merge(sk)
		}
		r.funnels[k] = row
	}
	r.Open = res.Open
}

func clone(f rollup.FunnelRow) rollup.FunnelRow {
	f.Reached, f.InFlight, f.Continued = slices.Clone(f.Reached), slices.Clone(f.InFlight), slices.Clone(f.Continued)
	f.DroppedValue, f.ErroredValue = slices.Clone(f.DroppedValue), slices.Clone(f.ErroredValue)
	times := make([]*sketch.Sketch, len(f.StepTimes))
	for i, sk := range f.StepTimes {
		times[i] = sk.Clone()
	}
	f.StepTimes = times
	return f
}

// Steps returns the step rows with buckets in [from, to), by step, bucket
// and segment (all traffic first).
func (r *Rows) Steps(from, to time.Time) []rollup.StepRow {
	var out []rollup.StepRow
	for k, s := range r.steps {
		if k.bucket >= from.UnixNano() && k.bucket < to.UnixNano() {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(x, y rollup.StepRow) int {
		return cmp.Or(cmp.Compare(x.Step, y.Step), x.Bucket.Compare(y.Bucket), compareSegments(x.Segment, y.Segment))
	})
	return out
}

// Funnels returns every cohort row, by bucket and segment.
func (r *Rows) Funnels() []rollup.FunnelRow {
	out := make([]rollup.FunnelRow, 0, len(r.funnels))
	for _, f := range r.funnels {
		out = append(out, f)
	}
	slices.SortFunc(out, func(x, y rollup.FunnelRow) int {
		return cmp.Or(x.Bucket.Compare(y.Bucket), compareSegments(x.Segment, y.Segment))
	})
	return out
}

func compareSegments(x, y rollup.Segment) int {
	return cmp.Or(strings.Compare(x.Key, y.Key), strings.Compare(x.Value, y.Value))
}

// Advance computes j over [from, to) from src, recounting as a first run
// does, then carries on chunk by chunk until horizon as later runs do, and
// returns the rows that leaves with every result in order.
func Advance(ctx context.Context, src rollup.TraceSource, j journeys.Journey, from, to, horizon time.Time, chunk time.Duration) (*Rows, []*rollup.Result, error) {
	rows := &Rows{}
	res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: from, To: to}, nil)
	if err != nil {
		return nil, nil, err
	}
	rows.Apply(res)
	all := []*rollup.Result{res}
	for at := to; at.Before(horizon); {
		next := at.Add(chunk)
		if next.After(horizon) {
			next = horizon
		}
		res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: at, To: next}, rows.Open)
		if err != nil {
			return nil, nil, err
		}
		rows.Apply(res)
		all = append(all, res)
		at = next
	}
	return rows, all, nil
}
