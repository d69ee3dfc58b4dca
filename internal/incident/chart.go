package incident

import (
	"context"
	"fmt"
	"html"
	"math"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
)

// ChartOptions shape an impact chart.
type ChartOptions struct {
	// Title is the chart's accessible name.
	Title string
	// Width and Height in pixels (640 × 180 when 0).
	Width, Height int
}

// ratePoint is one point of the chart; NaN means no data.
type ratePoint struct {
	at         time.Time
	conversion float64
	errorRate  float64
}

// rates turns per-step series into the journey's conversion (instances
// entering during the point that reached the last step, over those
// entering) and error rate (errored spans over spans, all steps).
func rates(series []rollup.StepSeries) []ratePoint {
	if len(series) == 0 {
		return nil
	}
	n := len(series[0].Points)
	out := make([]ratePoint, n)
	first, last := series[0], series[len(series)-1]
	for i := range n {
		p := ratePoint{at: first.Points[i].Start, conversion: math.NaN(), errorRate: math.NaN()}
		if entered := first.Points[i].Reached; entered > 0 && i < len(last.Points) {
			p.conversion = float64(last.Points[i].Reached) / float64(entered)
		}
		var spans, errs int64
		for _, st := range series {
			if i < len(st.Points) {
				spans += st.Points[i].Spans
				errs += st.Points[i].Errors
			}
		}
		if spans > 0 {
			p.errorRate = float64(errs) / float64(spans)
		}
		out[i] = p
	}
	return out
}

// ImpactSVG renders a journey's conversion and error rate over [from, to)
// from its series (rollup.Store.Series), with the incident window
// [markFrom, markTo) shaded, as a self-contained SVG that reads without
// JavaScript or CSS. A point without traffic leaves a gap.
func ImpactSVG(series []rollup.StepSeries, from, to, markFrom, markTo time.Time, o ChartOptions) string {
	w, h := o.Width, o.Height
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 180
	}
	const left, right, top, bottom = 44.0, 12.0, 22.0, 22.0
	x0, x1 := left, float64(w)-right
	y0, y1 := top, float64(h)-bottom
	if x1 <= x0 {
		x1 = x0 + 1
	}
	if y1 <= y0 {
		y1 = y0 + 1
	}
	span := to.Sub(from)
	if span <= 0 {
		span = time.Minute
	}
	xOf := func(t time.Time) float64 {
		f := float64(t.Sub(from)) / float64(span)
		return x0 + math.Max(0, math.Min(1, f))*(x1-x0)
	}
	pts := rates(series)
	top100 := 0.0
	for _, p := range pts {
		for _, v := range []float64{p.conversion, p.errorRate} {
			if !math.IsNaN(v) && v > top100 {
				top100 = v
			}
		}
	}
	// Round the scale up to a whole 10%, so that a 3% error rate is not
	// flattened against a 100% axis.
	yMax := math.Max(0.1, math.Min(1, math.Ceil(top100*10-1e-9)/10))
	yOf := func(v float64) float64 { return y1 - math.Min(v, yMax)/yMax*(y1-y0) }
	half := time.Duration(0)
	if len(pts) > 1 {
		half = pts[1].at.Sub(pts[0].at) / 2
	}

	var b strings.Builder
	title := html.EscapeString(o.Title)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="sans-serif" font-size="10">`, w, h, w, h, title)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	if !markFrom.IsZero() && markTo.After(markFrom) {
		mx0, mx1 := xOf(markFrom), xOf(markTo)
		fmt.Fprintf(&b, `<rect class="incident-window" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#fde2e1"/>`, mx0, y0, math.Max(mx1-mx0, 1), y1-y0)
	}
	for _, f := range []float64{0, 0.5, 1} {
		y := yOf(f * yMax)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d0d4da" stroke-width="1"/>`, x0, y, x1, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#555">%s%%</text>`, x0-4, y+3, trimFloat(f*yMax*100))
	}
	for _, t := range []time.Time{from, to} {
		anchor := "start"
		if t.Equal(to) {
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s" fill="#555">%s</text>`, xOf(t), float64(h)-6, anchor, t.UTC().Format("Jan 2 15:04 UTC"))
	}
	line := func(class, color string, val func(ratePoint) float64) {
		var d strings.Builder
		pen := false
		for _, p := range pts {
			v := val(p)
			if math.IsNaN(v) || p.at.Before(from) || !p.at.Before(to) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			if d.Len() > 0 {
				d.WriteByte(' ')
			}
			fmt.Fprintf(&d, "%s%.1f %.1f", cmd, xOf(p.at.Add(half)), yOf(v))
			pen = true
		}
		if d.Len() > 0 {
			fmt.Fprintf(&b, `<path class="%s" d="%s" fill="none" stroke="%s" stroke-width="1.5"/>`, class, d.String(), color)
		}
	}
	line("conversion", "#2563eb", func(p ratePoint) float64 { return p.conversion })
	line("error-rate", "#dc2626", func(p ratePoint) float64 { return p.errorRate })
	fmt.Fprintf(&b, `<text x="%.1f" y="14" fill="#2563eb">conversion</text>`, x0)
	fmt.Fprintf(&b, `<text x="%.1f" y="14" fill="#dc2626">error rate</text>`, x0+72)
	b.WriteString(`</svg>`)
	return b.String()
}

// trimFloat spells a percentage without a useless fraction: 50, 2.5.
func trimFloat(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

// chartWindow is the range an impact chart shows around an incident: the
// incident with half its length (at least 15 minutes, at most 12 hours)
// either side, in whole minutes, and a point width that keeps it under
// about 120 points.
func chartWindow(start, end time.Time) (from, to time.Time, every time.Duration) {
	pad := min(max(end.Sub(start)/2, 15*time.Minute), 12*time.Hour)
	from = start.Add(-pad).Truncate(time.Minute)
	to = ceilMinute(end.Add(pad))
	every = max(((to.Sub(from) / 120) + time.Minute - 1).Truncate(time.Minute), time.Minute)
	return from, to, every
}

func ceilMinute(t time.Time) time.Time {
	if f := t.Truncate(time.Minute); !f.Equal(t) {
		return f.Add(time.Minute)
	}
	return t
}

// ImpactChart renders one affected journey's conversion and error rate
// around the incident as SVG (see ImpactSVG).
func (s *Store) ImpactChart(ctx context.Context, incidentID int64, slug string) (string, error) {
	if s.cfg.Stats == nil {
		return "", fmt.Errorf("impact chart: no stats configured")
	}
	in, err := s.Get(ctx, incidentID)
	if err != nil {
		return "", err
	}
	start, end := in.StartedAt, in.End(s.now())
	from, to, every := chartWindow(start, end)
	series, err := s.cfg.Stats.Series(ctx, slug, from, to, every, nil)
	if err != nil {
		return "", fmt.Errorf("impact chart of %q: %w", slug, err)
	}
	return ImpactSVG(series, from, to, start, end, ChartOptions{Title: fmt.Sprintf("%s: conversion and error rate around incident %d", slug, incidentID)}), nil
}
