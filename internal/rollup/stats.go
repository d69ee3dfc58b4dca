package rollup

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// JourneyStats are a journey's numbers over a time range, per step and
// overall, in one segment (or all traffic).
type JourneyStats struct {
	Slug    string      `json:"slug"`
	From    time.Time   `json:"from"`
	To      time.Time   `json:"to"`
	Segment Segment     `json:"segment"`
	Steps   []StepStats `json:"steps"`
	// Entered counts instances entering step 1 in the range; Completed
	// those of them that reached the last step.
	Entered   int64 `json:"entered"`
	Completed int64 `json:"completed"`
	// Conversion is Completed / Entered, 0 when nothing entered.
	Conversion float64 `json:"conversion"`
	// InFlight counts instances whose window was still open at the last
	// computation without reaching the last step; Dropped the rest of those
	// that did not complete.
	InFlight int64 `json:"in_flight"`
	Dropped  int64 `json:"dropped"`
	// Errored counts instances with an error on a step they reached.
	Errored int64 `json:"errored"`
	// Versions lists the journey versions whose rows were read, ascending:
	// more than one means the range spans an edit.
	Versions []int `json:"versions"`
	// SampledShare is the spans read over the spans they stand for: 1 for
	// unsampled traffic; 0.1 when the numbers are estimated from a tenth
	// of the traces.
	SampledShare float64 `json:"sampled_share"`
}

// StepStats are one step's numbers over a range.
type StepStats struct {
	Step  int   `json:"step"`
	Spans int64 `json:"spans"`
	// Sampled counts the spans read; with sampled traffic each of them
	// counts in Spans (and every other number) as the spans it stands for.
	Sampled   int64   `json:"sampled_spans"`
	Errors    int64   `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	// Latency percentiles in milliseconds, from the merged sketches:
	// within 1% of the exact values.
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	// ValueSum sums the journey's value attribute over the step's spans.
	ValueSum float64 `json:"value_sum"`
	// DroppedValue sums what the journeys that dropped after this step
	// were worth (their value attribute, from the furthest step carrying
	// it), ErroredValue those whose span of this step failed: revenue at
	// risk. Journeys count once their window has closed.
	DroppedValue float64 `json:"dropped_value"`
	ErroredValue float64 `json:"errored_value"`
	// Reached counts instances entering in the range that reached this
	// step in order; ConversionFromPrevious is Reached over the previous
	// step's Reached (1 for the first step when anything entered).
	Reached                int64   `json:"reached"`
	ConversionFromPrevious float64 `json:"conversion_from_previous"`
	InFlight               int64   `json:"in_flight"`
	// Time from the previous step to this one, in milliseconds (0 for the
	// first step).
	TimeFromPreviousP50 float64 `json:"time_from_previous_p50_ms"`
	TimeFromPreviousP95 float64 `json:"time_from_previous_p95_ms"`
	TimeFromPreviousP99 float64 `json:"time_from_previous_p99_ms"`
	// TimeFromPreviousCount counts the instances timed: those that reached
	// this step from the previous one.
	TimeFromPreviousCount int64 `json:"time_from_previous_count"`
	// TimeFromPrevious is the merged sketch of those times, for histograms.
	TimeFromPrevious *sketch.Sketch `json:"-"`
	// Exemplars: slowest first; errored latest first.
	Slowest []Exemplar `json:"slowest"`
	Errored []Exemplar `json:"errored"`
	// Latency is the merged sketch, for other quantiles.
	Latency *sketch.Sketch `json:"-"`
}

func ms(d float64) float64 { return d / float64(time.Millisecond) }

func segmentArgs(seg *Segment) (string, string) {
	if seg == nil || seg.All() {
		return "", ""
	}
	return seg.Key, seg.Value
}

// Stats returns a journey's numbers over rows whose bucket starts in
// [from, to), for one segment (nil for all traffic).
func (s *Store) Stats(ctx context.Context, slug string, from, to time.Time, seg *Segment) (JourneyStats, error) {
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return JourneyStats{}, err
	}
	key, val := segmentArgs(seg)
	out := JourneyStats{Slug: slug, From: from, To: to, Segment: Segment{Key: key, Value: val}}
	versions := map[int]bool{}

	type stepAgg struct {
		spans, errors int64
		sampled       int64
		lat           sketch.Sketch
		valueSum      float64
		slow, errs    exemplars
	}
	var steps []*stepAgg
	grow := func(n int) {
		for len(steps) < n {
			steps = append(steps, &stepAgg{})
		}
	}
	grow(ref.steps)

	rows, err := s.pool.Query(ctx, `
		SELECT step, journey_version, spans, COALESCE(sampled, spans), errors, latency, value_sum, slowest, errored
		FROM rollup_steps
		WHERE journey_id = $1 AND segment_key = $2 AND segment_value = $3 AND bucket >= $4 AND bucket < $5`,
		ref.id, key, val, from, to)
	if err != nil {
		return out, fmt.Errorf("read step rows of %q: %w", slug, err)
	}
	defer rows.Close()
	for rows.Next() {
		var step int16
		var version int
		var spans, sampled, errs int64
		var lat, slowJSON, errJSON []byte
		var valueSum float64
		if err := rows.Scan(&step, &version, &spans, &sampled, &errs, &lat, &valueSum, &slowJSON, &errJSON); err != nil {
			return out, fmt.Errorf("read step rows of %q: %w", slug, err)
		}
		sk, err := decodeSketch(lat)
		if err != nil {
			return out, err
		}
		grow(int(step) + 1)
		a := steps[step]
		a.spans += spans
		a.sampled += sampled
		a.errors += errs
		a.lat.Merge(sk)
		a.valueSum += valueSum
		if err := offerJSON(&a.slow, slowJSON, slower); err != nil {
			return out, err
		}
		if err := offerJSON(&a.errs, errJSON, later); err != nil {
			return out, err
		}
		versions[version] = true
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read step rows of %q: %w", slug, err)
	}

	f, err := s.funnelTotals(ctx, ref.id, key, val, from, to, versions)
	if err != nil {
		return out, fmt.Errorf("read funnel rows of %q: %w", slug, err)
	}
	grow(len(f.reached))

	for k, a := range steps {
		st := StepStats{
			Step:     k,
			Spans:    a.spans,
			Sampled:  a.sampled,
			Errors:   a.errors,
			ValueSum: a.valueSum,
			Slowest:  a.slow.list(),
			Errored:  a.errs.list(),
			Latency:  &a.lat,
		}
		if a.spans > 0 {
			st.ErrorRate = float64(a.errors) / float64(a.spans)
			st.P50 = ms(a.lat.QuantileNanos(0.5))
			st.P95 = ms(a.lat.QuantileNanos(0.95))
			st.P99 = ms(a.lat.QuantileNanos(0.99))
		}
		if k < len(f.reached) {
			st.Reached = f.reached[k]
			st.InFlight = f.inFlight[k]
		}
		if k < len(f.dropped) {
			st.DroppedValue = f.dropped[k]
		}
		if k < len(f.failed) {
			st.ErroredValue = f.failed[k]
		}
		switch {
		case k == 0 && st.Reached > 0:
			st.ConversionFromPrevious = 1
		case k > 0 && k-1 < len(f.reached) && f.reached[k-1] > 0:
			st.ConversionFromPrevious = float64(st.Reached) / float64(f.reached[k-1])
		}
		if k > 0 && k-1 < len(f.times) && f.times[k-1].Count() > 0 {
			tt := &f.times[k-1]
			st.TimeFromPreviousP50 = ms(tt.QuantileNanos(0.5))
			st.TimeFromPreviousP95 = ms(tt.QuantileNanos(0.95))
			st.TimeFromPreviousP99 = ms(tt.QuantileNanos(0.99))
			st.TimeFromPreviousCount = int64(tt.Count())
			st.TimeFromPrevious = tt
		}
		out.Steps = append(out.Steps, st)
	}
	if len(f.reached) > 0 {
		out.Entered = f.reached[0]
		out.Completed = f.reached[len(f.reached)-1]
		out.InFlight = f.inFlight[0]
	}
	out.Errored = f.errored
	out.Dropped = max(out.Entered-out.Completed-out.InFlight, 0)
	if out.Entered > 0 {
		out.Conversion = float64(out.Completed) / float64(out.Entered)
	}
	var sampled, spans int64
	for _, st := range out.Steps {
		sampled, spans = sampled+st.Sampled, spans+st.Spans
	}
	out.SampledShare = 1
	if spans > 0 {
		out.SampledShare = float64(sampled) / float64(spans)
	}
	for v := range versions {
		out.Versions = append(out.Versions, v)
	}
	slices.Sort(out.Versions)
	return out, nil
}

type funnelTotals struct {
	reached, inFlight []int64
	continued         []int64 // rows counted at the step only
	errored           int64
	times             []sketch.Sketch
	dropped, failed   []float64
}

func (t *funnelTotals) add(reached, inFlight, continued []int64, errored int64, times [][]byte, dropped, failed []float64) error {
	for len(t.continued) < len(continued) {
		t.continued = append(t.continued, 0)
	}
	for k, n := range continued {
		t.continued[k] += n
	}
	t.dropped = addFloats(t.dropped, dropped)
	t.failed = addFloats(t.failed, failed)
	for len(t.reached) < len(reached) {
		t.reached = append(t.reached, 0)
		t.inFlight = append(t.inFlight, 0)
	}
	for k, n := range reached {
		t.reached[k] += n
		if k < len(inFlight) {
			t.inFlight[k] += inFlight[k]
		}
	}
	t.errored += errored
	for len(t.times) < len(times) {
		t.times = append(t.times, sketch.Sketch{})
	}
	for k, b := range times {
		sk, err := decodeSketch(b)
		if err != nil {
			return err
		}
		t.times[k].Merge(sk)
	}
	return nil
}

func (s *Store) funnelTotals(ctx context.Context, id int64, key, val string, from, to time.Time, versions map[int]bool) (funnelTotals, error) {
	var t funnelTotals
	rows, err := s.pool.Query(ctx, `
		SELECT journey_version, reached, in_flight, errored, step_times, dropped_value, errored_value
		FROM rollup_funnels
		WHERE journey_id = $1 AND segment_key = $2 AND segment_value = $3 AND bucket >= $4 AND bucket < $5`,
		id, key, val, from, to)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var version int
		var reached, inFlight []int64
		var errored int64
		var times [][]byte
		var dropped, failed []float64
		if err := rows.Scan(&version, &reached, &inFlight, &errored, &times, &dropped, &failed); err != nil {
			return t, err
		}
		if err := t.add(reached, inFlight, nil, errored, times, dropped, failed); err != nil {
			return t, err
		}
		versions[version] = true
	}
	return t, rows.Err()
}

func offerJSON(set *exemplars, b []byte, better func(x, y exemplar) bool) error {
	if len(b) == 0 {
		return nil
	}
	var ex []Exemplar
	if err := json.Unmarshal(b, &ex); err != nil {
		return fmt.Errorf("decode stored exemplars: %w", err)
	}
	for _, e := range ex {
		set.offer(exemplar{trace: e.TraceID, start: e.Start.UnixNano(), dur: int64(e.Duration)}, better)
	}
	return nil
}

// Point is one point of a step's series.
type Point struct {
	Start  time.Time `json:"start"`
	Spans  int64     `json:"spans"`
	Errors int64     `json:"errors"`
	// Reached counts instances entering during the point that reached the
	// step.
	Reached int64   `json:"reached"`
	P50     float64 `json:"p50_ms"`
	P95     float64 `json:"p95_ms"`
	P99     float64 `json:"p99_ms"`
}

// StepSeries is one step's numbers over time, for sparklines and heat maps.
type StepSeries struct {
	Step   int     `json:"step"`
	Points []Point `json:"points"`
}

// MaxPoints bounds the points of one series.
const MaxPoints = 10_000

// Series returns, per step, points of width every from from until to (the
// last point may extend past to), empty points included so that charts
// need no gap filling. A downsampled hour counts in the point where it
// starts.
func (s *Store) Series(ctx context.Context, slug string, from, to time.Time, every time.Duration, seg *Segment) ([]StepSeries, error) {
	if every <= 0 || !from.Before(to) {
		return nil, fmt.Errorf("series of %q: need from < to and a positive step", slug)
	}
	if n := int((to.Sub(from) + every - 1) / every); n > MaxPoints {
		return nil, fmt.Errorf("series of %q: %d points is more than %d", slug, n, MaxPoints)
	}
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return nil, err
	}
	rows, err := s.seriesRows(ctx, ref, from, to, seg)
	if err != nil {
		return nil, err
	}
	return rows.series(ref.steps, from, to, every), nil
}

// seriesRows are the step and funnel rows series are built from, each
// sketch decoded once, so that one read serves series of several widths.
type seriesRows struct {
	steps   []seriesStep
	funnels []seriesFunnel
	// minuteFrom is the earliest bucket of a row narrower than an hour
	// (zero when none was read).
	minuteFrom time.Time
}

type seriesStep struct {
	step        int
	bucket      time.Time
	spans, errs int64
	latency     *sketch.Sketch
}

type seriesFunnel struct {
	bucket  time.Time
	reached []int64
}

// seriesRows reads one segment's step and funnel rows in [from, to): two
// queries, whatever the widths asked of them.
func (s *Store) seriesRows(ctx context.Context, ref journeyRef, from, to time.Time, seg *Segment) (*seriesRows, error) {
	key, val := segmentArgs(seg)
	out := &seriesRows{}
	note := func(b time.Time, width int32) {
		if width < int32(HourWidth/time.Second) && (out.minuteFrom.IsZero() || b.Before(out.minuteFrom)) {
			out.minuteFrom = b
		}
	}
	rows, err := s.pool.Query(ctx, `
		SELECT step, bucket, width_s, spans, errors, latency
		FROM rollup_steps
		WHERE journey_id = $1 AND segment_key = $2 AND segment_value = $3 AND bucket >= $4 AND bucket < $5`,
		ref.id, key, val, from, to)
	if err != nil {
		return nil, fmt.Errorf("read series rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r seriesStep
		var step int16
		var width int32
		var lat []byte
		if err := rows.Scan(&step, &r.bucket, &width, &r.spans, &r.errs, &lat); err != nil {
			return nil, fmt.Errorf("read series rows: %w", err)
		}
		if r.latency, err = decodeSketch(lat); err != nil {
			return nil, err
		}
		r.step, r.bucket = int(step), r.bucket.UTC()
		note(r.bucket, width)
		out.steps = append(out.steps, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read series rows: %w", err)
	}
	frows, err := s.pool.Query(ctx, `
		SELECT bucket, width_s, reached
		FROM rollup_funnels
		WHERE journey_id = $1 AND segment_key = $2 AND segment_value = $3 AND bucket >= $4 AND bucket < $5`,
		ref.id, key, val, from, to)
	if err != nil {
		return nil, fmt.Errorf("read funnel series rows: %w", err)
	}
	defer frows.Close()
	for frows.Next() {
		var r seriesFunnel
		var width int32
		if err := frows.Scan(&r.bucket, &width, &r.reached); err != nil {
			return nil, fmt.Errorf("read funnel series rows: %w", err)
		}
		r.bucket = r.bucket.UTC()
		note(r.bucket, width)
		out.funnels = append(out.funnels, r)
	}
	if err := frows.Err(); err != nil {
		return nil, fmt.Errorf("read funnel series rows: %w", err)
	}
	return out, nil
}

// series adds the rows in [from, to) into points of width every (at least
// steps series), as Store.Series answers.
func (r *seriesRows) series(steps int, from, to time.Time, every time.Duration) []StepSeries {
	n := int((to.Sub(from) + every - 1) / every)
	var out []StepSeries
	var sketches [][]sketch.Sketch
	grow := func(steps int) {
		for len(out) < steps {
			ps := make([]Point, n)
			for i := range ps {
				ps[i].Start = from.Add(time.Duration(i) * every).UTC()
			}
			out = append(out, StepSeries{Step: len(out), Points: ps})
			sketches = append(sketches, make([]sketch.Sketch, n))
		}
	}
	grow(steps)
	in := func(b time.Time) bool { return !b.Before(from) && b.Before(to) }
	point := func(b time.Time) int { return int(b.Sub(from) / every) }
	for _, row := range r.steps {
		if !in(row.bucket) {
			continue
		}
		grow(row.step + 1)
		i := point(row.bucket)
		p := &out[row.step].Points[i]
		p.Spans += row.spans
		p.Errors += row.errs
		sketches[row.step][i].Merge(row.latency)
	}
	for _, row := range r.funnels {
		if !in(row.bucket) {
			continue
		}
		grow(len(row.reached))
		i := point(row.bucket)
		for k, n := range row.reached {
			out[k].Points[i].Reached += n
		}
	}
	for k := range out {
		for i := range out[k].Points {
			sk := &sketches[k][i]
			if sk.Count() == 0 {
				continue
			}
			p := &out[k].Points[i]
			p.P50, p.P95, p.P99 = ms(sk.QuantileNanos(0.5)), ms(sk.QuantileNanos(0.95)), ms(sk.QuantileNanos(0.99))
		}
	}
	return out
}

// SegmentValue is one value of a segment key with its funnel totals over a
// range, for the segment picker and breakdown tables.
type SegmentValue struct {
	Value      string  `json:"value"`
	Entered    int64   `json:"entered"`
	Completed  int64   `json:"completed"`
	InFlight   int64   `json:"in_flight"`
	Conversion float64 `json:"conversion"`
	// Spans counts the first step's spans carrying the value.
	Spans int64 `json:"spans"`
}

// SegmentValues lists the values of one segment key seen in [from, to),
// most entered first.
func (s *Store) SegmentValues(ctx context.Context, slug, key string, from, to time.Time) ([]SegmentValue, error) {
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		WITH f AS (
			SELECT segment_value AS value, sum(reached[1]) AS entered,
				sum(reached[array_length(reached, 1)]) AS completed, sum(in_flight[1]) AS in_flight
			FROM rollup_funnels
			WHERE journey_id = $1 AND segment_key = $2 AND bucket >= $3 AND bucket < $4
			GROUP BY segment_value
		), s AS (
			SELECT segment_value AS value, sum(spans) AS spans
			FROM rollup_steps
			WHERE journey_id = $1 AND segment_key = $2 AND bucket >= $3 AND bucket < $4 AND step = 0
			GROUP BY segment_value
		)
		SELECT COALESCE(f.value, s.value), COALESCE(f.entered, 0)::bigint, COALESCE(f.completed, 0)::bigint,
			COALESCE(f.in_flight, 0)::bigint, COALESCE(s.spans, 0)::bigint
		FROM f FULL JOIN s ON f.value = s.value
		ORDER BY 2 DESC, 5 DESC, COALESCE(f.value, s.value) COLLATE "C"`,
		ref.id, key, from, to)
	if err != nil {
		return nil, fmt.Errorf("read segment values of %q: %w", slug, err)
	}
	defer rows.Close()
	var out []SegmentValue
	for rows.Next() {
		var v SegmentValue
		if err := rows.Scan(&v.Value, &v.Entered, &v.Completed, &v.InFlight, &v.Spans); err != nil {
			return nil, fmt.Errorf("read segment values of %q: %w", slug, err)
		}
		if v.Entered > 0 {
			v.Conversion = float64(v.Completed) / float64(v.Entered)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read segment values of %q: %w", slug, err)
	}
	return out, nil
}

// SLIQuery asks for the good and total events of an SLO over a range.
type SLIQuery struct {
	Slug string
	Kind journeys.SLOKind
	// Step is the 0-based step, or -1 for the whole journey: latency over
	// every step, success over whole instances, conversion to the last
	// step.
	Step      int
	Threshold time.Duration // latency SLOs
	From, To  time.Time
}

// SLICounts are the events of an SLI.
type SLICounts struct {
	Good  int64 `json:"good"`
	Total int64 `json:"total"`
	// Approximate is set when a latency threshold was not counted at
	// rollup time (the SLO is newer than the rows) and the count was
	// estimated from the sketches, within their 1% accuracy.
	Approximate bool `json:"approximate,omitempty"`
}

// SLI counts the good and total events of an SLO over [From, To), all
// traffic:
//
//   - latency: spans with duration ≤ Threshold over spans, of rows whose
//     bucket starts in [From, To);
//   - success, one step: spans without error over spans, likewise; whole
//     journey: instances without an error over instances entered, of the
//     funnel rows whose bucket starts in [From, To);
//   - conversion: instances reaching the step (the last for -1) over
//     instances entered, of the cohorts whose correlation window closed in
//     the range (see below).
//
// A conversion cohort, the funnel row of bucket b and width w, closes at
// b + w + W, W being the journey's correlation window (Window): after that
// none of its instances can convert, and once the rollups are complete
// through it the row is final. It counts in the range when From < b + w +
// W <= To, so a range ending at the rollups' CompleteThrough counts the
// cohorts final then and adjacent ranges share none. For minute rows and
// minute-aligned bounds these are the cohorts that entered in [From - W,
// To - W). Cohorts still open count neither way: their in-flight instances
// have not decided, and their finished ones alone would overstate the
// conversion.
func (s *Store) SLI(ctx context.Context, q SLIQuery) (SLICounts, error) {
	ref, err := lookup(ctx, s.pool, q.Slug)
	if err != nil {
		return SLICounts{}, err
	}
	var c SLICounts
	switch {
	case q.Kind == journeys.SLOLatency:
		err = s.latencySLI(ctx, ref, q, &c)
	case q.Kind == journeys.SLOSuccess && q.Step >= 0:
		err = s.pool.QueryRow(ctx, `
			SELECT COALESCE(sum(spans - errors), 0)::bigint, COALESCE(sum(spans), 0)::bigint
			FROM rollup_steps
			WHERE journey_id = $1 AND segment_key = '' AND segment_value = '' AND step = $2 AND bucket >= $3 AND bucket < $4`,
			ref.id, q.Step, q.From, q.To).Scan(&c.Good, &c.Total)
	case q.Kind == journeys.SLOSuccess:
		err = s.pool.QueryRow(ctx, `
			SELECT COALESCE(sum(reached[1] - errored), 0)::bigint, COALESCE(sum(reached[1]), 0)::bigint
			FROM rollup_funnels
			WHERE journey_id = $1 AND segment_key = '' AND segment_value = '' AND bucket >= $2 AND bucket < $3`,
			ref.id, q.From, q.To).Scan(&c.Good, &c.Total)
	case q.Kind == journeys.SLOConversion:
		var w time.Duration
		if w, err = conversionWindow(ctx, s.pool, ref.id); err != nil {
			break
		}
		// SQL arrays are 1-based; NULL for the last step means "each row's
		// own last". A row ends at bucket + width; it closed in the range
		// when its end lies in (From - W, To - W]. Rows are at most
		// HourWidth wide, which bounds the bucket scan from below.
		var step *int
		if q.Step >= 0 {
			s := q.Step + 1
			step = &s
		}
		after, by := q.From.Add(-w), q.To.Add(-w)
		err = s.pool.QueryRow(ctx, `
			SELECT COALESCE(sum(COALESCE(reached[COALESCE($2::int, array_length(reached, 1))], 0)), 0)::bigint,
				COALESCE(sum(reached[1]), 0)::bigint
			FROM rollup_funnels
			WHERE journey_id = $1 AND segment_key = '' AND segment_value = ''
				AND bucket > $3 AND bucket < $4
				AND bucket + width_s * interval '1 second' > $5 AND bucket + width_s * interval '1 second' <= $4`,
			ref.id, step, after.Add(-HourWidth), by, after).Scan(&c.Good, &c.Total)
	default:
		return c, fmt.Errorf("SLI of %q: unknown SLO kind %q", q.Slug, q.Kind)
	}
	if err != nil {
		return c, fmt.Errorf("SLI of %q: %w", q.Slug, err)
	}
	return c, nil
}

// conversionWindow reads the correlation window of a journey's live
// definition (Window of it): how long after a cohort's bucket its
// instances may still convert.
func conversionWindow(ctx context.Context, q querier, id int64) (time.Duration, error) {
	var raw []byte
	if err := q.QueryRow(ctx, `SELECT definition->'spec'->'correlation' FROM journeys WHERE id = $1`, id).Scan(&raw); err != nil {
		return 0, fmt.Errorf("read correlation window: %w", err)
	}
	var c journeys.Correlation
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return 0, fmt.Errorf("decode correlation window: %w", err)
		}
	}
	return Window(journeys.Journey{Spec: journeys.Spec{Correlation: c}}), nil
}

func (s *Store) latencySLI(ctx context.Context, ref journeyRef, q SLIQuery, c *SLICounts) error {
	rows, err := s.pool.Query(ctx, `
		SELECT spans, thresholds_ns, good, latency
		FROM rollup_steps
		WHERE journey_id = $1 AND segment_key = '' AND segment_value = '' AND ($2::int < 0 OR step = $2::int)
			AND bucket >= $3 AND bucket < $4`,
		ref.id, q.Step, q.From, q.To)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var spans int64
		var th, good []int64
		var lat []byte
		if err := rows.Scan(&spans, &th, &good, &lat); err != nil {
			return err
		}
		c.Total += spans
		if i := slices.Index(th, int64(q.Threshold)); i >= 0 && i < len(good) {
			c.Good += good[i]
			continue
		}
		sk, err := decodeSketch(lat)
		if err != nil {
			return err
		}
		c.Good += int64(sk.CountAtMost(q.Threshold))
		c.Approximate = true
	}
	return rows.Err()
}

// SegmentReached sums, for each of values of one segment key, the
// instances entering in [from, to) that reached each step in order: the
// funnel alone, in one read, for setting values side by side. A value with
// no rows is missing from the map.
func (s *Store) SegmentReached(ctx context.Context, slug, key string, values []string, from, to time.Time) (map[string][]int64, error) {
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT segment_value, reached
		FROM rollup_funnels
		WHERE journey_id = $1 AND segment_key = $2 AND segment_value = ANY($3) AND bucket >= $4 AND bucket < $5`,
		ref.id, key, values, from, to)
	if err != nil {
		return nil, fmt.Errorf("read funnel rows of %q: %w", slug, err)
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var v string
		var reached []int64
		if err := rows.Scan(&v, &reached); err != nil {
			return nil, fmt.Errorf("read funnel rows of %q: %w", slug, err)
		}
		sum := out[v]
		for len(sum) < len(reached) {
			sum = append(sum, 0)
		}
		for k, n := range reached {
			sum[k] += n
		}
		out[v] = sum
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read funnel rows of %q: %w", slug, err)
	}
	return out, nil
}
