package journeypages

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// healthLines bounds the anomalies the health line lists.
const healthLines = 3

// Health is the journey's health line: whether its numbers are usual for
// the time, from the anomalies of the range.
type Health struct {
	// Checked is false in a segment: anomalies are of all traffic.
	Checked bool
	Lines   []string
	// More counts the anomalies not listed.
	More int
}

// SparkMark is an anomaly on a sparkline.
type SparkMark struct {
	X     float64
	Title string
}

// TransitionView is the time-to-next-step histogram of one transition.
type TransitionView struct {
	From, To      string
	Count         int64
	P50, P95, P99 float64
	Bars          []HistBar
	Ticks         []HistTick
}

// HistBar is one bin of a histogram, in SVG units.
type HistBar struct {
	X, Y, W, H float64
	Title      string
}

// HistTick labels a bin edge.
type HistTick struct {
	X    float64
	Text string
}

// Histogram geometry, in SVG user units.
const (
	histW    = 260.0
	histBarH = 48.0
	histTop  = 2.0
)

// RiskView is the revenue at risk of the range: the journey's value
// attribute summed over the instances that dropped at or failed at each
// step.
type RiskView struct {
	Attribute    string
	Steps        []RiskStep
	DroppedValue float64
	ErroredValue float64
}

// RiskStep is one step's value at risk.
type RiskStep struct {
	Name                       string
	Dropped, Errors            int64
	DroppedValue, ErroredValue float64
	Exemplars                  []ExemplarLink
}

// ForecastLine is one SLO's budget forecast.
type ForecastLine struct {
	SLO      string
	Sentence string
}

// insightReads are what the map reads from the insight engine, apart
// from the numbers: the anomalies of the range (all traffic only) and the
// revenue at risk (with a value attribute only).
type insightReads struct {
	anomalies *journeyhttp.Anomalies
	risk      *rollup.RevenueAtRisk
}

// readInsight reads them; it needs nothing the map's other reads give, so
// that it runs beside them.
func (h *Handler) readInsight(ctx context.Context, j journeys.Journey, win journeyhttp.Window, seg *rollup.Segment) (insightReads, error) {
	var out insightReads
	if seg == nil {
		an, err := journeyhttp.ReadAnomalies(ctx, h.rollups, j, win)
		if err != nil {
			return out, err
		}
		out.anomalies = &an
	}
	if j.Spec.Value != "" {
		risk, err := h.rollups.RevenueAtRisk(ctx, j, win.From, win.To, seg)
		if err != nil {
			return out, httpx.Missing(fmt.Errorf("read revenue at risk: %w", err), "journey %q", j.Metadata.Slug)
		}
		out.risk = &risk
	}
	return out, nil
}

// addInsight adds to the map what the insight engine says of the range:
// the health line and the anomalies on the sparklines, the Why? links,
// the time-to-next-step histograms and the revenue at risk.
func (h *Handler) addInsight(m *JourneyMap, j journeys.Journey, win journeyhttp.Window, st journeyhttp.Stats, in insightReads) {
	s := m.Stats
	slug := j.Metadata.Slug
	for k := range s.Steps {
		step := &s.Steps[k]
		step.WhySlowHref = whyURL(slug, win, k+1, rollup.CompareSlow)
		if k > 0 {
			step.WhyDropHref = whyURL(slug, win, k, rollup.CompareDropped)
			if t := st.Steps[k].TimeFromPreviousMS; t != nil && t.Count > 0 {
				s.Transitions = append(s.Transitions, transitionView(s.Steps[k-1].Name, step.Name, t))
			}
		}
	}
	if an := in.anomalies; an != nil {
		s.Health.Checked = true
		for i, a := range an.Anomalies {
			if i < healthLines {
				s.Health.Lines = append(s.Health.Lines, a.Summary)
			} else {
				s.Health.More++
			}
			if a.Step == nil || *a.Step > len(s.Steps) {
				continue
			}
			step := &s.Steps[*a.Step-1]
			x, ok := sparkDeployX(a.At, s.From, s.PointWidth, len(step.Throughput))
			if !ok {
				continue
			}
			mark := SparkMark{X: x, Title: a.Summary}
			if a.Metric == rollup.MetricP95 {
				step.P95Anomalies = append(step.P95Anomalies, mark)
			} else {
				step.SpanAnomalies = append(step.SpanAnomalies, mark)
			}
		}
	}
	if risk := in.risk; risk != nil {
		rv := &RiskView{Attribute: j.Spec.Value, DroppedValue: risk.DroppedValue, ErroredValue: risk.ErroredValue}
		for _, r := range risk.Steps {
			name := r.Name
			if name == "" {
				name = "step " + strconv.Itoa(r.Step+1)
			}
			ex := make([]journeyhttp.Exemplar, 0, len(r.Errored))
			for _, e := range r.Errored {
				ex = append(ex, journeyhttp.Exemplar{TraceID: e.TraceID, Start: e.Start.UTC(),
					DurationMS: float64(e.Duration) / float64(time.Millisecond), URL: h.TraceURL(e.TraceID)})
			}
			rv.Steps = append(rv.Steps, RiskStep{Name: name, Dropped: r.Dropped, Errors: r.Errors,
				DroppedValue: r.DroppedValue, ErroredValue: r.ErroredValue, Exemplars: exemplarLinks(ex[:min(len(ex), 3)], slug, r.Step)})
		}
		s.Risk = rv
	}
}

// whyURL is the Why? page of a comparison at step (1-based) over w.
func whyURL(slug string, w journeyhttp.Window, step int, compareWhat string) string {
	q := url.Values{}
	q.Set("step", strconv.Itoa(step))
	q.Set("compare", compareWhat)
	q.Set("from", w.From.UTC().Format(time.RFC3339))
	q.Set("to", w.To.UTC().Format(time.RFC3339))
	return layout.JourneyPath(slug, "/why") + "?" + q.Encode()
}

// transitionView draws the histogram of the times from one step to the
// next, bars as tall as their bin's count against the fullest.
func transitionView(from, to string, t *journeyhttp.StepTimes) TransitionView {
	v := TransitionView{From: from, To: to, Count: t.Count, P50: t.P50, P95: t.P95, P99: t.P99}
	hist := t.Histogram
	if hist == nil || len(hist.Counts) == 0 {
		return v
	}
	var top uint64
	for _, c := range hist.Counts {
		top = max(top, c)
	}
	n := len(hist.Counts)
	w := histW / float64(n)
	for i, c := range hist.Counts {
		var lo, hi string
		switch {
		case i == 0:
			lo, hi = "", layout.Millis(hist.EdgesMS[0])
		case i == n-1:
			lo, hi = layout.Millis(hist.EdgesMS[i-1]), ""
		default:
			lo, hi = layout.Millis(hist.EdgesMS[i-1]), layout.Millis(hist.EdgesMS[i])
		}
		var title string
		switch {
		case lo == "":
			title = "under " + hi
		case hi == "":
			title = lo + " or more"
		default:
			title = lo + " to " + hi
		}
		title += ": " + layout.Count(int64(c))
		bh := 0.0
		if top > 0 {
			bh = histBarH * float64(c) / float64(top)
			if c > 0 {
				bh = max(bh, 1)
			}
		}
		v.Bars = append(v.Bars, HistBar{X: float64(i) * w, Y: histTop + histBarH - bh, W: w - 1, H: bh, Title: title})
		// Every other edge when the bins are too narrow for "1m40s".
		if i > 0 && (n <= 6 || i%2 == 1) {
			v.Ticks = append(v.Ticks, HistTick{X: float64(i) * w, Text: layout.Millis(hist.EdgesMS[i-1])})
		}
	}
	return v
}

// addForecasts says, for each SLO of the journey, when its error budget
// runs out at the recent burn.
func (h *Handler) addForecasts(ctx context.Context, m *JourneyMap, j journeys.Journey) error {
	for _, o := range j.Spec.SLOs {
		st, err := h.alerting.SLOStatus(ctx, j.Metadata.Slug, o.Name, h.Now())
		if err != nil {
			return httpx.Missing(fmt.Errorf("read SLO %q: %w", o.Name, err), "journey %q", j.Metadata.Slug)
		}
		if st.ForecastSentence != "" {
			m.Forecasts = append(m.Forecasts, ForecastLine{SLO: o.Name, Sentence: st.ForecastSentence})
		}
	}
	return nil
}

// money writes a sum of the value attribute: whole units with thousands
// separators, cents below 100.
func money(v float64) string {
	if v == 0 {
		return "0"
	}
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return layout.Count(int64(v + 0.5))
}

func upperFirst(s string) string { return httpx.UpperFirst(s) }
