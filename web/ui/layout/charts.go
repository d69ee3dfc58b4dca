package layout

import (
	"strconv"
	"strings"
	"time"
)

// Charts are SVG drawn on the server: readable without JavaScript, and
// sized by attributes rather than inline styles, which the content security
// policy forbids.

// SvgNum writes an SVG coordinate: one decimal is finer than a pixel.
func SvgNum(f float64) string { return TrimZeros(strconv.FormatFloat(f, 'f', 1, 64)) }

// Sparkline box, in SVG user units.
const (
	SparkW = 160.0
	SparkH = 32.0
)

// MaxOf is the largest value, at least 0.
func MaxOf(vs []float64) float64 {
	m := 0.0
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}

// SparkPoints lays values out as the points of an SVG polyline in a w×h
// box: evenly spaced, zero at the bottom, top at the scale. A scale of 0
// draws a flat line along the bottom.
func SparkPoints(values []float64, scale, w, h float64) string {
	n := len(values)
	if n == 0 {
		return ""
	}
	y := func(v float64) string {
		if scale <= 0 {
			return SvgNum(h - 1)
		}
		// One unit of margin keeps the stroke inside the box.
		return SvgNum(h - 1 - (h-2)*min(max(v, 0)/scale, 1))
	}
	if n == 1 {
		return "0," + y(values[0]) + " " + SvgNum(w) + "," + y(values[0])
	}
	var b strings.Builder
	step := w / float64(n-1)
	for i, v := range values {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(SvgNum(float64(i) * step))
		b.WriteByte(',')
		b.WriteString(y(v))
	}
	return b.String()
}

// SparkTitle is a sparkline's title: what it shows, how many points of
// which width, and its peak.
func SparkTitle(what string, values []float64, width time.Duration) string {
	return what + ": " + strconv.Itoa(len(values)) + " points, one per " + Per(width) + ", peak " + TrimZeros(strconv.FormatFloat(MaxOf(values), 'f', 2, 64))
}

// Per names a point width after "per": "minute", "5 minutes", "hour",
// "2 hours"; other widths as Go writes them.
func Per(d time.Duration) string {
	unit := func(n time.Duration, one string) string {
		if n == 1 {
			return one
		}
		return strconv.FormatInt(int64(n), 10) + " " + one + "s"
	}
	switch {
	case d > 0 && d%time.Hour == 0:
		return unit(d/time.Hour, "hour")
	case d > 0 && d%time.Minute == 0:
		return unit(d/time.Minute, "minute")
	}
	return d.String()
}
