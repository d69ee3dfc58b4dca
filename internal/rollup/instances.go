package rollup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/waymarkhq/waymark/internal/compare"
	"github.com/waymarkhq/waymark/journeys"
)

// Instance is one journey instance as the funnel followed it, with the
// span it chose for each step it reached: what the rollups count, one by
// one, so that a number can be opened onto its traces.
type Instance struct {
	// Key is the trace id, or the correlation attribute's value.
	Key      string
	Entry    time.Time
	Reached  int
	InFlight bool
	Steps    []InstanceStep
}

// InstanceStep is the span an instance chose for one step.
type InstanceStep struct {
	TraceID  string
	Start    time.Time
	Duration time.Duration
	Error    bool
	// Values holds, per segment key (InstanceSet.Keys), the value the
	// instance counts under at this step: the span's own for keys
	// attributed at the step, the entry's for the others.
	Values []string
}

// InstanceSet is every instance that entered a journey in a range.
type InstanceSet struct {
	From, To time.Time
	Keys     []string
	// AtStep[i] reports whether Keys[i] is attributed at the step.
	AtStep    []bool
	Instances []Instance
}

// MaxInstanceRange bounds the range Instances reads: it reads every span of
// the range (and a window either side) from the trace source, unlike the
// rollups, which read each span once.
const MaxInstanceRange = 6 * time.Hour

// ErrRangeTooLong means a range is too long to read instance by instance.
var ErrRangeTooLong = errors.New("range too long to read instance by instance")

// Instances follows every instance of j entering in [from, to) (minutes),
// reading the source from two windows before from (to know who had
// already entered) to one window after to (to know how far each got), but
// not past edge, where what the source holds ends: an instance whose window
// is open there is in flight.
func Instances(ctx context.Context, src TraceSource, j journeys.Journey, from, to, edge time.Time) (*InstanceSet, error) {
	if to.Sub(from) > MaxInstanceRange {
		return nil, fmt.Errorf("%w: %s is longer than %s", ErrRangeTooLong, to.Sub(from), MaxInstanceRange)
	}
	end := to.Add(Window(j)).Truncate(BucketWidth).Add(BucketWidth)
	if edge = edge.Truncate(BucketWidth); edge.Before(end) {
		end = edge
	}
	if !from.Before(end) {
		return &InstanceSet{From: from, To: to}, nil
	}
	a, err := NewAggregator(j, Range{From: from, To: end}, nil)
	if err != nil {
		return nil, err
	}
	a.funnel.keep = true
	for k := range j.Spec.Steps {
		if _, err := src.FetchSpans(ctx, a.Query(k), a.Step(k)); err != nil {
			return nil, fmt.Errorf("fetch spans of step %q: %w", j.Spec.Steps[k].Name, err)
		}
	}
	a.funnel.closeStep0()
	a.done = true
	f := &a.funnel
	set := &InstanceSet{From: from, To: to, Keys: a.keys, AtStep: make([]bool, len(a.keys))}
	for _, s := range a.stepKeys {
		set.AtStep[s] = true
	}
	lo, hi := from.UnixNano(), to.UnixNano()
	for i := range f.inst {
		in := &f.inst[i]
		if in.entry < lo || in.entry >= hi {
			continue
		}
		x := Instance{
			Key:      string(f.rawKey(in.key)),
			Entry:    time.Unix(0, in.entry).UTC(),
			Reached:  int(in.depth),
			InFlight: int(in.depth) < f.nSteps && in.entry+f.window > a.to,
		}
		if f.byTrace {
			x.Key = f.kept[i*f.nSteps].trace
		}
		entry := f.segs(int32(i))
		for k := range int(in.depth) {
			kept := f.kept[i*f.nSteps+k]
			st := InstanceStep{
				TraceID:  kept.trace,
				Start:    time.Unix(0, f.chosen[i*f.nSteps+k]).UTC(),
				Duration: kept.dur,
				Error:    in.errs&(1<<k) != 0,
				Values:   make([]string, len(a.keys)),
			}
			for s, v := range entry {
				st.Values[s] = a.vals[s].names[v]
			}
			for j, s := range f.stepKeys {
				if v := f.stepVals[(i*f.nSteps+k)*f.nSK+j]; v >= 0 {
					st.Values[s] = a.vals[s].names[v]
				}
			}
			x.Steps = append(x.Steps, st)
		}
		set.Instances = append(set.Instances, x)
	}
	slices.SortFunc(set.Instances, func(x, y Instance) int { return x.Entry.Compare(y.Entry) })
	return set, nil
}

// In reports whether the instance counts in seg at step k (all traffic
// always does).
func (s *InstanceSet) In(x Instance, k int, seg *Segment) bool {
	if seg == nil || seg.All() {
		return true
	}
	i := slices.Index(s.Keys, seg.Key)
	if i < 0 || k >= len(x.Steps) {
		return false
	}
	return x.Steps[k].Values[i] == seg.Value
}

// Group says which side of a comparison an instance is on at step k:
// selected, baseline, or neither (not there, or still in flight).
func (s *InstanceSet) Group(x Instance, k int, compareWhat string, threshold time.Duration) (selected, ok bool) {
	if x.Reached <= k {
		return false, false
	}
	switch compareWhat {
	case CompareDropped:
		if x.Reached > k+1 {
			return false, true
		}
		return true, !x.InFlight
	case CompareSlow:
		return x.Steps[k].Duration > threshold, true
	}
	return false, false
}

// Differences compares, as Store.Differences does, the instances in seg:
// those that dropped after step q.Step with those that went on, or those
// whose span of the step was slower than q.Threshold with the rest (here
// the instances' chosen spans, not every span of the step). A slow
// comparison needs a threshold: the caller takes it from the rollups.
func (s *InstanceSet) Differences(q DiffQuery, seg *Segment) Differences {
	out := Differences{Slug: q.Slug, From: q.From, To: q.To, Step: q.Step, Compare: q.Compare}
	if q.Compare == CompareSlow {
		out.ThresholdMS, out.ThresholdExact = ms(float64(q.Threshold)), true
	}
	type cell struct{ key, value string }
	tally := map[cell]*compare.Count{}
	for _, x := range s.Instances {
		if !s.In(x, q.Step, seg) {
			continue
		}
		sel, ok := s.Group(x, q.Step, q.Compare, q.Threshold)
		if !ok {
			if x.Reached > q.Step {
				out.InFlight++
			}
			continue
		}
		if sel {
			out.Selected++
		} else {
			out.Baseline++
		}
		for i, key := range s.Keys {
			if seg != nil && key == seg.Key {
				continue
			}
			c := cell{key, x.Steps[q.Step].Values[i]}
			n := tally[c]
			if n == nil {
				n = &compare.Count{Key: c.key, Value: c.value}
				tally[c] = n
			}
			if sel {
				n.Selected++
			} else {
				n.Baseline++
			}
		}
	}
	counts := make([]compare.Count, 0, len(tally))
	totals := map[string]compare.Totals{}
	for _, c := range tally {
		counts = append(counts, *c)
		t := totals[c.Key]
		t.Selected, t.Baseline = t.Selected+c.Selected, t.Baseline+c.Baseline
		totals[c.Key] = t
	}
	out.Attributes = compare.Rank(counts, totals)
	if out.Attributes == nil {
		out.Attributes = []compare.Difference{}
	}
	return out
}

// Exemplars returns up to n traces of each side of a comparison among the
// instances carrying key=value at step k (any value when key is empty),
// latest first: the trace of each instance's span of step k.
func (s *InstanceSet) Exemplars(k int, compareWhat string, threshold time.Duration, seg *Segment, n int) (selected, baseline []Exemplar) {
	for i := len(s.Instances) - 1; i >= 0 && (len(selected) < n || len(baseline) < n); i-- {
		x := s.Instances[i]
		if !s.In(x, k, seg) {
			continue
		}
		sel, ok := s.Group(x, k, compareWhat, threshold)
		if !ok {
			continue
		}
		st := x.Steps[k]
		e := Exemplar{TraceID: st.TraceID, Start: st.Start, Duration: st.Duration}
		switch {
		case sel && len(selected) < n:
			selected = append(selected, e)
		case !sel && len(baseline) < n:
			baseline = append(baseline, e)
		}
	}
	return selected, baseline
}
