package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// StepRisk is what the instances that stopped at one step were worth: the
// journey's value attribute (an order total, say), from the furthest step
// of each instance that carried one.
type StepRisk struct {
	// Step is 0-based; Name is the step's name in the journey.
	Step int    `json:"step"`
	Name string `json:"name"`
	// Dropped counts the instances that reached the step and went no
	// further once their window closed (0 for the last step);
	// DroppedValue sums their value.
	Dropped      int64   `json:"dropped"`
	DroppedValue float64 `json:"dropped_value"`
	// Errors counts the step's failed spans; ErroredValue sums the value
	// of the instances whose span of the step failed.
	Errors       int64   `json:"errors"`
	ErroredValue float64 `json:"errored_value"`
	// Errored are the latest failed spans' traces of the step, latest
	// first: the exemplars of the value at risk.
	Errored []Exemplar `json:"errored_exemplars"`
}

// RevenueAtRisk is, per step, the value of the instances that dropped
// there or failed there, over the cohorts entering in [From, To).
type RevenueAtRisk struct {
	Slug    string     `json:"slug"`
	From    time.Time  `json:"from"`
	To      time.Time  `json:"to"`
	Segment Segment    `json:"segment"`
	Steps   []StepRisk `json:"steps"`
	// DroppedValue and ErroredValue add up the steps'.
	DroppedValue float64 `json:"dropped_value"`
	ErroredValue float64 `json:"errored_value"`
}

// RevenueAtRisk returns the value at risk per step of j over rows whose
// bucket starts in [from, to), in one segment (nil for all traffic). A
// journey without a value attribute has zero values and still its counts.
// It answers ErrNotFound for an unknown journey.
func (s *Store) RevenueAtRisk(ctx context.Context, j journeys.Journey, from, to time.Time, seg *Segment) (RevenueAtRisk, error) {
	slug := j.Metadata.Slug
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return RevenueAtRisk{}, err
	}
	key, val := segmentArgs(seg)
	out := RevenueAtRisk{Slug: slug, From: from, To: to, Segment: Segment{Key: key, Value: val}, Steps: []StepRisk{}}
	// Only what risk needs: no latency sketch, and exemplars only of
	// rows with errors, which is what Stats would cost over a week.
	var f funnelTotals
	frows, err := s.pool.Query(ctx, `
		SELECT reached, in_flight, dropped_value, errored_value
		FROM rollup_funnels
		WHERE journey_id = $1 AND segment_key = $2 AND segment_value = $3 AND bucket >= $4 AND bucket < $5`,
		ref.id, key, val, from, to)
	if err != nil {
		return out, fmt.Errorf("read revenue at risk of %q: %w", slug, err)
	}
	defer frows.Close()
	for frows.Next() {
		var reached, inFlight []int64
		var dropped, failed []float64
		if err := frows.Scan(&reached, &inFlight, &dropped, &failed); err != nil {
			return out, fmt.Errorf("read revenue at risk of %q: %w", slug, err)
		}
		if err := f.add(reached, inFlight, nil, 0, nil, dropped, failed); err != nil {
			return out, err
		}
	}
	if err := frows.Err(); err != nil {
		return out, fmt.Errorf("read revenue at risk of %q: %w", slug, err)
	}
	steps := max(ref.steps, len(f.reached))
	errs := make([]int64, steps)
	sets := make([]exemplars, steps)
	rows, err := s.pool.Query(ctx, `
		SELECT step, errors, errored
		FROM rollup_steps
		WHERE journey_id = $1 AND segment_key = $2 AND segment_value = $3 AND bucket >= $4 AND bucket < $5 AND errors > 0`,
		ref.id, key, val, from, to)
	if err != nil {
		return out, fmt.Errorf("read revenue at risk of %q: %w", slug, err)
	}
	defer rows.Close()
	for rows.Next() {
		var step int16
		var n int64
		var ex []byte
		if err := rows.Scan(&step, &n, &ex); err != nil {
			return out, fmt.Errorf("read revenue at risk of %q: %w", slug, err)
		}
		if int(step) >= steps {
			continue
		}
		errs[step] += n
		if err := offerJSON(&sets[step], ex, later); err != nil {
			return out, err
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read revenue at risk of %q: %w", slug, err)
	}
	at := func(v []int64, k int) int64 {
		if k < len(v) {
			return v[k]
		}
		return 0
	}
	atf := func(v []float64, k int) float64 {
		if k < len(v) {
			return v[k]
		}
		return 0
	}
	for k := range steps {
		r := StepRisk{Step: k, DroppedValue: atf(f.dropped, k), Errors: errs[k], ErroredValue: atf(f.failed, k), Errored: sets[k].list()}
		if k < len(j.Spec.Steps) {
			r.Name = j.Spec.Steps[k].Name
		}
		if k+1 < steps {
			r.Dropped = max(at(f.reached, k)-at(f.reached, k+1)-(at(f.inFlight, k)-at(f.inFlight, k+1)), 0)
		}
		if r.Errored == nil {
			r.Errored = []Exemplar{}
		}
		out.DroppedValue += r.DroppedValue
		out.ErroredValue += r.ErroredValue
		out.Steps = append(out.Steps, r)
	}
	return out, nil
}

// EndpointRow is one service and endpoint a journey's steps touch, with
// its numbers hour by hour.
type EndpointRow struct {
	Service string `json:"service"`
	// Endpoint is the span name the steps match (their regular
	// expression when they match by one).
	Endpoint string `json:"endpoint"`
	// Steps are the 0-based steps matching these spans: one, unless two
	// steps share a pattern.
	Steps []int `json:"steps"`
	// Cells[i] is the hour EndpointHeatmap.Hours[i]; a cell's Hours is 1
	// and its P95 0 when no span ran then.
	Cells []HeatCell `json:"cells"`
}

// EndpointHeatmap is the p95 (with spans and errors) of every service and
// endpoint a journey touches, by hour: where the slow combinations are.
type EndpointHeatmap struct {
	Slug  string        `json:"slug"`
	From  time.Time     `json:"from"`
	To    time.Time     `json:"to"`
	Hours []time.Time   `json:"hours"`
	Rows  []EndpointRow `json:"rows"`
}

// MaxHeatmapHours bounds the hours of an endpoint heat map: 31 days.
const MaxHeatmapHours = 31 * 24

// EndpointHeatmap adds j's all-traffic step rows in [from, to) (from
// truncated to its hour) into one cell per step's service and endpoint
// and hour; steps sharing a pattern share a row, counted once. It answers ErrBadComparison for an empty or too long range
// and ErrNotFound for an unknown journey.
func (s *Store) EndpointHeatmap(ctx context.Context, j journeys.Journey, from, to time.Time) (EndpointHeatmap, error) {
	slug := j.Metadata.Slug
	from = from.UTC().Truncate(time.Hour)
	to = to.UTC()
	out := EndpointHeatmap{Slug: slug, From: from, To: to, Hours: []time.Time{}, Rows: []EndpointRow{}}
	n := int((to.Sub(from) + time.Hour - 1) / time.Hour)
	switch {
	case !from.Before(to):
		return out, fmt.Errorf("%w: the range is empty", ErrBadComparison)
	case n > MaxHeatmapHours:
		return out, fmt.Errorf("%w: %d hours is more than %d", ErrBadComparison, n, MaxHeatmapHours)
	}
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return out, err
	}
	for i := range n {
		out.Hours = append(out.Hours, from.Add(time.Duration(i)*time.Hour))
	}
	// Steps sharing a pattern count the same spans: the first of them
	// stands for the row, the others would count every span again.
	rowOf := make([]int, len(j.Spec.Steps))
	index := map[[2]string]int{}
	for k, st := range j.Spec.Steps {
		ep := st.Match.Span
		if ep == "" {
			ep = st.Match.SpanRegex
		}
		key := [2]string{st.Match.Service, ep}
		i, ok := index[key]
		rowOf[k] = -1
		if !ok {
			rowOf[k] = len(out.Rows)
			i = len(out.Rows)
			index[key] = i
			out.Rows = append(out.Rows, EndpointRow{Service: key[0], Endpoint: key[1], Steps: []int{}, Cells: make([]HeatCell, n)})
		}
		out.Rows[i].Steps = append(out.Rows[i].Steps, k)
	}
	sketches := make([][]sketch.Sketch, len(out.Rows))
	for i := range sketches {
		sketches[i] = make([]sketch.Sketch, n)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT step, bucket, spans, errors, latency
		FROM rollup_steps
		WHERE journey_id = $1 AND segment_key = '' AND segment_value = '' AND bucket >= $2 AND bucket < $3`,
		ref.id, from, to)
	if err != nil {
		return out, fmt.Errorf("read endpoint heat map of %q: %w", slug, err)
	}
	defer rows.Close()
	for rows.Next() {
		var step int16
		var bucket time.Time
		var spans, errs int64
		var lat []byte
		if err := rows.Scan(&step, &bucket, &spans, &errs, &lat); err != nil {
			return out, fmt.Errorf("read endpoint heat map of %q: %w", slug, err)
		}
		if int(step) >= len(rowOf) || rowOf[step] < 0 {
			continue // a step the journey no longer has, or a pattern's second
		}
		sk, err := decodeSketch(lat)
		if err != nil {
			return out, err
		}
		r, h := rowOf[step], int(bucket.Sub(from)/time.Hour)
		c := &out.Rows[r].Cells[h]
		c.Spans += spans
		c.Errors += errs
		sketches[r][h].Merge(sk)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read endpoint heat map of %q: %w", slug, err)
	}
	for r := range out.Rows {
		for h := range out.Rows[r].Cells {
			c := &out.Rows[r].Cells[h]
			c.Hours = 1
			if sk := &sketches[r][h]; sk.Count() > 0 {
				c.P95 = ms(sk.QuantileNanos(0.95))
			}
		}
	}
	return out, nil
}

// TransitionHistogram is the distribution of the time from one step to the
// next of the instances that made it, from the merged sketch.
type TransitionHistogram struct {
	// From and To are 0-based steps, To = From+1.
	From int `json:"from"`
	To   int `json:"to"`
	// EdgesMS cut the bins, on the 1-2-5 sequence (sketch.NiceEdges):
	// Counts[0] holds the times below EdgesMS[0], Counts[i] those in
	// [EdgesMS[i-1], EdgesMS[i]), the last those at or above the last
	// edge. Counts are within the sketch's 1% of the edges.
	EdgesMS []float64 `json:"edges_ms"`
	Counts  []uint64  `json:"counts"`
	Count   int64     `json:"count"`
	P50     float64   `json:"p50_ms"`
	P95     float64   `json:"p95_ms"`
	P99     float64   `json:"p99_ms"`
}

// TransitionHistograms returns, for each step after the first, the
// histogram of the time from the step before, as Stats merged it; a
// transition nobody made has no edges and no counts.
func TransitionHistograms(st JourneyStats) []TransitionHistogram {
	out := []TransitionHistogram{}
	for k := 1; k < len(st.Steps); k++ {
		x := st.Steps[k]
		h := TransitionHistogram{From: k - 1, To: k, EdgesMS: []float64{}, Counts: []uint64{},
			Count: x.TimeFromPreviousCount, P50: x.TimeFromPreviousP50, P95: x.TimeFromPreviousP95, P99: x.TimeFromPreviousP99}
		if sk := x.TimeFromPrevious; sk != nil && sk.Count() > 0 {
			edges := sketch.NiceEdges(sk.Range())
			for _, e := range edges {
				h.EdgesMS = append(h.EdgesMS, ms(float64(e)))
			}
			h.Counts = sk.Histogram(edges)
		}
		out = append(out, h)
	}
	return out
}
