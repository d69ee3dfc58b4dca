package incident

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
)

func series(every time.Duration, steps ...[][3]int64) []rollup.StepSeries {
	out := make([]rollup.StepSeries, len(steps))
	for k, pts := range steps {
		out[k].Step = k
		for i, p := range pts {
			out[k].Points = append(out[k].Points, rollup.Point{Start: t0.Add(time.Duration(i) * every), Reached: p[0], Spans: p[1], Errors: p[2]})
		}
	}
	return out
}

// attr returns the attribute of the first element with the class.
func svgAttr(t *testing.T, svg, element, class, name string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return ""
		}
		require.NoError(t, err)
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != element {
			continue
		}
		var cls, val string
		for _, a := range se.Attr {
			if a.Name.Local == "class" {
				cls = a.Value
			}
			if a.Name.Local == name {
				val = a.Value
			}
		}
		if cls == class {
			return val
		}
	}
}

func TestImpactSVG(t *testing.T) {
	t.Parallel()
	// Conversion 50%, none, 25%, 50%; error rate 1/15, none, 5/25, 1/15.
	s := series(time.Minute,
		[][3]int64{{10, 10, 0}, {0, 0, 0}, {20, 20, 4}, {10, 10, 1}},
		[][3]int64{{5, 5, 1}, {0, 0, 0}, {5, 5, 1}, {5, 5, 0}},
	)
	svg := ImpactSVG(s, t0, t0.Add(4*time.Minute), t0.Add(time.Minute), t0.Add(3*time.Minute), ChartOptions{Title: `checkout <"&">`})

	// The scale tops at 50%: x = 44 + (i + 0.5) × 146, y = 158 − v / 0.5 × 136.
	require.Equal(t, "M117.0 22.0 M409.0 90.0 L555.0 22.0", svgAttr(t, svg, "path", "conversion", "d"))
	require.Equal(t, "M117.0 139.9 M409.0 103.6 L555.0 139.9", svgAttr(t, svg, "path", "error-rate", "d"))
	require.Equal(t, "190.0", svgAttr(t, svg, "rect", "incident-window", "x"))
	require.Equal(t, "292.0", svgAttr(t, svg, "rect", "incident-window", "width"))
	require.Contains(t, svg, `<title>checkout &lt;&#34;&amp;&#34;&gt;</title>`)
	require.Contains(t, svg, `>50%</text>`)
	require.Contains(t, svg, `>25%</text>`)
	require.Contains(t, svg, `>Mar 2 09:00 UTC</text>`)
	require.Contains(t, svg, `>Mar 2 09:04 UTC</text>`)
	require.True(t, strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 180"`))

	// No traffic: no lines, still a valid chart.
	empty := ImpactSVG(nil, t0, t0.Add(time.Hour), time.Time{}, time.Time{}, ChartOptions{Width: 300, Height: 100})
	require.Equal(t, "", svgAttr(t, empty, "path", "conversion", "d"))
	require.Equal(t, "", svgAttr(t, empty, "rect", "incident-window", "x"))
	require.Contains(t, empty, `>10%</text>`)

	// Degenerate sizes and ranges never panic.
	_ = ImpactSVG(s, t0, t0, t0, t0.Add(-time.Hour), ChartOptions{Width: 1, Height: 1})
}

func TestChartWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		start, end time.Time
		from, to   time.Time
		every      time.Duration
	}{
		{t0.Add(10*time.Minute + 30*time.Second), t0.Add(20 * time.Minute), t0.Add(-5 * time.Minute), t0.Add(35 * time.Minute), time.Minute},
		{t0, t0.Add(4 * time.Hour), t0.Add(-2 * time.Hour), t0.Add(6 * time.Hour), 4 * time.Minute},
		{t0, t0.Add(72 * time.Hour), t0.Add(-12 * time.Hour), t0.Add(84 * time.Hour), 48 * time.Minute},
	}
	for _, tt := range tests {
		from, to, every := chartWindow(tt.start, tt.end)
		require.Equal(t, []any{tt.from, tt.to, tt.every}, []any{from, to, every})
		require.LessOrEqual(t, int(to.Sub(from)/every), 120)
	}
}

func TestImpactChart(t *testing.T) {
	t.Parallel()
	stats := &fakeStats{series: map[string][]rollup.StepSeries{
		"shop-checkout": series(time.Minute, [][3]int64{{4, 4, 0}}, [][3]int64{{1, 1, 1}}),
	}}
	b := setup(t, Config{Stats: stats})
	in, err := b.store.Create(context.Background(), validIncident(), "alice")
	require.NoError(t, err)
	svg, err := b.store.ImpactChart(context.Background(), in.ID, "shop-checkout")
	require.NoError(t, err)
	require.Contains(t, svg, "<title>shop-checkout: conversion and error rate around incident 1</title>")
	_, err = b.store.ImpactChart(context.Background(), in.ID, "returns")
	require.ErrorIs(t, err, rollup.ErrNotFound)
	_, err = b.store.ImpactChart(context.Background(), in.ID+1, "shop-checkout")
	require.ErrorIs(t, err, ErrNotFound)
}
