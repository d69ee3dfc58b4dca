package rollup

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/waymarkhq/waymark/internal/anomaly"
	"github.com/waymarkhq/waymark/journeys"
)

// Metrics an anomaly can be on.
const (
	MetricThroughput = "throughput"
	MetricErrorRate  = "error_rate"
	MetricP95        = "p95"
	MetricConversion = "conversion"
)

// AnomalyWidth is the width of the points anomalies are looked for in
// while minute rows last; older rows are hours and are looked at as hours.
const AnomalyWidth = 15 * time.Minute

// AnomalyHistory is how far back the baseline reaches.
const AnomalyHistory = 28 * 24 * time.Hour

// DefaultAnomalyMinEvents is the least traffic a point needs to be judged.
const DefaultAnomalyMinEvents = 30

// Anomaly is a run of points of one metric outside the band its seasonal
// baseline expects.
type Anomaly struct {
	// Step is 0-based; -1 for the journey's conversion.
	Step   int       `json:"step"`
	Metric string    `json:"metric"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// At is the start of the point furthest outside its band, and the
	// values are that point's: throughput per minute, rates as fractions,
	// p95 in milliseconds.
	At           time.Time `json:"at"`
	Value        float64   `json:"value"`
	Expected     float64   `json:"expected"`
	ExpectedLow  float64   `json:"expected_low"`
	ExpectedHigh float64   `json:"expected_high"`
	Baseline     string    `json:"baseline"`
}

// Change is how far the value is from the expected one, as a fraction of it
// (negative below).
func (a Anomaly) Change() float64 {
	if a.Expected == 0 {
		return 0
	}
	return (a.Value - a.Expected) / a.Expected
}

// AnomalyQuery asks for the anomalies of one journey in [From, To).
type AnomalyQuery struct {
	From, To time.Time
	// CompleteThrough is where the rollups are complete: a cohort's
	// conversion is judged only once its window has closed before it.
	CompleteThrough time.Time
	MinEvents       float64
}

// Anomalies looks for points of each step's throughput, error rate and p95,
// and of the journey's conversion, outside their seasonal bands, and
// returns them as runs, latest first.
func (s *Store) Anomalies(ctx context.Context, j journeys.Journey, q AnomalyQuery) ([]Anomaly, error) {
	slug := j.Metadata.Slug
	if q.MinEvents <= 0 {
		q.MinEvents = DefaultAnomalyMinEvents
	}
	from, to := q.From.Truncate(time.Hour), q.To
	if !from.Before(to) {
		return nil, fmt.Errorf("anomalies of %q: the range is empty", slug)
	}
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return nil, err
	}
	// One read of the all-traffic rows serves both widths: the rows of the
	// range's last quarter hour may reach past to.
	rows, err := s.seriesRows(ctx, ref, from.Add(-AnomalyHistory), to.Add(AnomalyWidth), nil)
	if err != nil {
		return nil, fmt.Errorf("anomalies of %q: %w", slug, err)
	}
	hist := rows.series(ref.steps, from.Add(-AnomalyHistory), to, time.Hour)
	// Quarter hours where minute rows are; hours before. Minute rows are
	// the newest (maintenance merges the oldest into hours), so the first
	// one read is where they begin.
	split := to
	if !rows.minuteFrom.IsZero() {
		split = rows.minuteFrom.Truncate(time.Hour)
	}
	if split.After(to) {
		split = to
	}
	if split.Before(from) {
		split = from
	}
	fineTo := to
	if fineTo.Before(split.Add(AnomalyWidth)) {
		fineTo = split.Add(AnomalyWidth)
	}
	fine := rows.series(ref.steps, split, fineTo, AnomalyWidth)
	window := Window(j)
	closed := func(start time.Time, width time.Duration) bool {
		return !start.Add(width + window).After(q.CompleteThrough)
	}
	type pass struct {
		width  time.Duration
		points []Point
	}
	var out []Anomaly
	for k := range hist {
		var coarse []Point
		for _, p := range hist[k].Points {
			if !p.Start.Before(from) && p.Start.Before(split) {
				coarse = append(coarse, p)
			}
		}
		var quarters []Point
		if k < len(fine) && split.Before(to) {
			for _, p := range fine[k].Points {
				if p.Start.Before(to) {
					quarters = append(quarters, p)
				}
			}
		}
		passes := []pass{{time.Hour, coarse}, {AnomalyWidth, quarters}}
		metric := func(name string, kind anomaly.Kind, val func(p Point, width time.Duration) anomaly.Point) {
			h := anomaly.History{Width: time.Hour}
			for _, p := range hist[k].Points {
				h.Points = append(h.Points, val(p, time.Hour))
			}
			for _, ps := range passes {
				var pts []anomaly.Point
				for _, p := range ps.points {
					pts = append(pts, val(p, ps.width))
				}
				flags := anomaly.Detect(h, pts, ps.width, kind, q.MinEvents)
				for _, e := range anomaly.Episodes(flags, ps.width) {
					out = append(out, anomalyOf(k, name, e, kind, ps.width))
				}
			}
		}
		metric(MetricThroughput, anomaly.Count, func(p Point, _ time.Duration) anomaly.Point {
			return anomaly.Point{Start: p.Start, Value: float64(p.Spans), Events: float64(p.Spans)}
		})
		metric(MetricErrorRate, anomaly.Ratio, func(p Point, _ time.Duration) anomaly.Point {
			return anomaly.Point{Start: p.Start, Value: ratio(p.Errors, p.Spans), Events: float64(p.Spans)}
		})
		metric(MetricP95, anomaly.Latency, func(p Point, _ time.Duration) anomaly.Point {
			return anomaly.Point{Start: p.Start, Value: p.P95, Events: float64(p.Spans)}
		})
		if k != len(hist)-1 {
			continue
		}
		// The journey's conversion, of the cohorts whose window has closed.
		first := hist[0].Points
		conv := func(ps []Point, base []Point, width time.Duration) []anomaly.Point {
			out := make([]anomaly.Point, len(ps))
			for i, p := range ps {
				out[i] = anomaly.Point{Start: p.Start}
				if entered := base[i].Reached; entered > 0 && closed(p.Start, width) {
					out[i].Value, out[i].Events = ratio(p.Reached, entered), float64(entered)
				}
			}
			return out
		}
		h := anomaly.History{Width: time.Hour, Points: conv(hist[k].Points, first, time.Hour)}
		for _, ps := range []pass{{time.Hour, coarse}, {AnomalyWidth, quarters}} {
			var base []Point
			if ps.width == time.Hour {
				for _, p := range first {
					if !p.Start.Before(from) && p.Start.Before(split) {
						base = append(base, p)
					}
				}
			} else if len(fine) > 0 {
				base = fine[0].Points[:len(ps.points)]
			}
			flags := anomaly.Detect(h, conv(ps.points, base, ps.width), ps.width, anomaly.Ratio, q.MinEvents)
			for _, e := range anomaly.Episodes(flags, ps.width) {
				out = append(out, anomalyOf(-1, MetricConversion, e, anomaly.Ratio, ps.width))
			}
		}
	}
	slices.SortFunc(out, func(x, y Anomaly) int {
		return cmp.Or(y.From.Compare(x.From), cmp.Compare(x.Step, y.Step), cmp.Compare(x.Metric, y.Metric))
	})
	return out, nil
}

func ratio(n, d int64) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// anomalyOf reports an episode, throughput per minute.
func anomalyOf(step int, metric string, e anomaly.Episode, kind anomaly.Kind, width time.Duration) Anomaly {
	scale := 1.0
	if kind == anomaly.Count {
		scale = float64(time.Minute) / float64(width)
	}
	w := e.Worst
	round := func(v float64) float64 { return math.Round(v*scale*1e6) / 1e6 }
	return Anomaly{
		Step: step, Metric: metric, From: e.From, To: e.To, At: w.Start,
		Value: round(w.Value), Expected: round(w.Expected), ExpectedLow: round(w.Low), ExpectedHigh: round(w.High),
		Baseline: w.Baseline,
	}
}
