package rollup

import (
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// valueTable interns the values of one segment key.
type valueTable struct {
	ids   map[string]int32
	names []string
}

// otherID is the id of OtherValue in every table.
const otherID = 0

func newValueTable() valueTable {
	return valueTable{
		ids:   map[string]int32{OtherValue: otherID},
		names: []string{OtherValue},
	}
}

func (t *valueTable) intern(v string) int32 {
	if v == "" {
		v = NoneValue
	}
	if id, ok := t.ids[v]; ok {
		return id
	}
	if len(t.names) > trackedValues {
		return otherID
	}
	id := int32(len(t.names))
	v = strings.Clone(v)
	t.ids[v] = id
	t.names = append(t.names, v)
	return id
}

// stepAcc accumulates one step row.
type stepAcc struct {
	spans, errors int64
	sampled       int64 // spans read; spans is what they stand for
	lat           sketch.Sketch
	good          []int64
	valueSum      float64
	slow          exemplars
	errs          exemplars
}

func newStepAcc(thresholds []time.Duration) *stepAcc {
	r := &stepAcc{}
	if len(thresholds) > 0 {
		r.good = make([]int64, len(thresholds))
	}
	return r
}

// add counts span s as w spans (its weight: 1 unless its trace was
// sampled).
func (r *stepAcc) add(thresholds []time.Duration, start int64, s journeys.Span, idx int, value float64, hasValue bool, w int64) {
	r.spans += w
	r.sampled++
	r.lat.AddIndex(idx, uint64(w))
	for i, th := range thresholds {
		if s.Duration <= th {
			r.good[i] += w
		}
	}
	if hasValue {
		r.valueSum += value * float64(w)
	}
	x := exemplar{trace: s.TraceID, start: start, dur: int64(s.Duration)}
	r.slow.offer(x, slower)
	if s.Error {
		r.errors += w
		r.errs.offer(x, later)
	}
}

func (r *stepAcc) merge(o *stepAcc) {
	r.spans += o.spans
	r.sampled += o.sampled
	r.errors += o.errors
	r.lat.Merge(&o.lat)
	for i := range r.good {
		r.good[i] += o.good[i]
	}
	r.valueSum += o.valueSum
	for _, x := range o.slow.e[:o.slow.n] {
		r.slow.offer(x, slower)
	}
	for _, x := range o.errs.e[:o.errs.n] {
		r.errs.offer(x, later)
	}
}

type exemplar struct {
	trace string
	start int64
	dur   int64
}

// slower orders exemplars slowest first; later most recent first. Both
// break ties on trace id and then the other field so that the set kept never
// depends on arrival order.
func slower(x, y exemplar) bool {
	if x.dur != y.dur {
		return x.dur > y.dur
	}
	if x.trace != y.trace {
		return x.trace < y.trace
	}
	return x.start < y.start
}

func later(x, y exemplar) bool {
	if x.start != y.start {
		return x.start > y.start
	}
	if x.trace != y.trace {
		return x.trace < y.trace
	}
	return x.dur > y.dur
}

// exemplars keeps the best MaxExemplars by an order, one per trace.
type exemplars struct {
	n int
	e [MaxExemplars]exemplar
}

func (s *exemplars) offer(x exemplar, better func(x, y exemplar) bool) {
	if s.n == MaxExemplars && !better(x, s.e[s.n-1]) {
		return
	}
	for i := 0; i < s.n; i++ {
		if s.e[i].trace != x.trace {
			continue
		}
		if !better(x, s.e[i]) {
			return
		}
		copy(s.e[i:], s.e[i+1:s.n])
		s.n--
		break
	}
	i := s.n
	for i > 0 && better(x, s.e[i-1]) {
		i--
	}
	if s.n < MaxExemplars {
		s.n++
	}
	copy(s.e[i+1:s.n], s.e[i:s.n-1])
	s.e[i] = x
}

func (s *exemplars) list() []Exemplar {
	if s.n == 0 {
		return nil
	}
	out := make([]Exemplar, s.n)
	for i, x := range s.e[:s.n] {
		out[i] = Exemplar{TraceID: x.trace, Start: time.Unix(0, x.start).UTC(), Duration: time.Duration(x.dur)}
	}
	return out
}
