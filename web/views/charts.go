package views

import (
	"strconv"
	"strings"
	"time"
)

// Charts are SVG drawn on the server: readable without JavaScript, and
// sized by attributes rather than inline styles, which the content security
// policy forbids.

// svgNum writes an SVG coordinate: one decimal is finer than a pixel.
func svgNum(f float64) string { return trimZeros(strconv.FormatFloat(f, 'f', 1, 64)) }

// Sparkline box, in SVG user units.
const (
	sparkW = 160.0
	sparkH = 32.0
)

// maxOf is the largest value, at least 0.
func maxOf(vs []float64) float64 {
	m := 0.0
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}

// sparkPoints lays values out as the points of an SVG polyline in a w×h
// box: evenly spaced, zero at the bottom, top at the scale. A scale of 0
// draws a flat line along the bottom.
func sparkPoints(values []float64, scale, w, h float64) string {
	n := len(values)
	if n == 0 {
		return ""
	}
	y := func(v float64) string {
		if scale <= 0 {
			return svgNum(h - 1)
		}
		// One unit of margin keeps the stroke inside the box.
		return svgNum(h - 1 - (h-2)*min(max(v, 0)/scale, 1))
	}
	if n == 1 {
		return "0," + y(values[0]) + " " + svgNum(w) + "," + y(values[0])
	}
	var b strings.Builder
	step := w / float64(n-1)
	for i, v := range values {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(svgNum(float64(i) * step))
		b.WriteByte(',')
		b.WriteString(y(v))
	}
	return b.String()
}

func sparkTitle(what string, values []float64, width time.Duration) string {
	return what + ": " + strconv.Itoa(len(values)) + " points of " + width.String() + ", peak " + trimZeros(strconv.FormatFloat(maxOf(values), 'f', 2, 64))
}

// Funnel geometry, in SVG user units.
const (
	funnelW      = 640.0
	funnelBarMax = 500.0
	funnelRowH   = 42.0
	funnelBarH   = 16.0
)

// funnelBar is one step's bar of the funnel.
type funnelBar struct {
	Name    string
	Reached int64
	// Share is Reached over the instances that entered.
	Share float64
	// Geometry of the name, the bar and the value label.
	NameY, BarY, W, LabelX, LabelY float64
}

// funnelBars sizes one bar per step in proportion to the instances that
// reached it.
func funnelBars(steps []MapStep) []funnelBar {
	var top int64
	for _, s := range steps {
		top = max(top, s.Reached)
	}
	var entered int64
	if len(steps) > 0 {
		entered = steps[0].Reached
	}
	bars := make([]funnelBar, len(steps))
	for i, s := range steps {
		b := funnelBar{Name: s.Name, Reached: s.Reached}
		y := float64(i) * funnelRowH
		b.NameY = y + 13
		b.BarY = y + 18
		b.LabelY = y + 31
		if top > 0 {
			b.W = funnelBarMax * float64(s.Reached) / float64(top)
			if s.Reached > 0 {
				// A step reached by few is still visibly there.
				b.W = max(b.W, 2)
			}
		}
		if entered > 0 {
			b.Share = float64(s.Reached) / float64(entered)
		}
		b.LabelX = b.W + 6
		bars[i] = b
	}
	return bars
}

func funnelHeight(n int) string { return svgNum(float64(max(n, 1)) * funnelRowH) }

func funnelViewBox(n int) string { return "0 0 " + svgNum(funnelW) + " " + funnelHeight(n) }
