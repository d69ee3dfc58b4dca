// Package anomaly says whether a journey's numbers are unusual for the
// time: each point is held against a band expected from the same time of
// week (or, with less history, of day) in the weeks before.
//
// The baseline is robust rather than fitted: the median of the values at
// the same time of week in each of the last four weeks, with the band's
// half-width from their median absolute deviation. A Holt-Winters model would follow a trend better, but it
// needs whole seasons to fit, is pulled off course by the very anomalies
// it should flag (one bad Tuesday skews next Tuesday's forecast), and its
// parameters have to be tuned per series. The median ignores a bad week
// outright, needs no fitting, and degrades plainly: with under two weeks
// it uses the same hour of the last seven days (weekdays and weekends
// alike, which it says), and with under two days the last six hours,
// which catches sudden changes but not a slow one.
//
// The band is never narrower than the point's own sampling noise allows:
// Poisson for counts, binomial for ratios, for latencies 20% or the p95's
// own sampling error, whichever is wider. Without it a
// quiet, regular history (MAD near zero) would flag every wobble.
package anomaly

import (
	"math"
	"slices"
	"time"
)

// Kind is what a series counts, which sets its noise floor.
type Kind int

// Kinds of series.
const (
	// Count is a number of events per point (throughput).
	Count Kind = iota
	// Ratio is a share of events (error rate, conversion): Events is its
	// denominator.
	Ratio
	// Latency is a duration percentile.
	Latency
)

// Baselines a band can come from, weakest last.
const (
	BaselineWeekly   = "same time of week, last 4 weeks"
	BaselineDaily    = "same time of day, last 7 days"
	BaselineTrailing = "last 6 hours"
)

// Point is one value of a series. A point without data has Events 0.
type Point struct {
	Start time.Time
	Value float64
	// Events is how many events the value is computed from: the count
	// itself, a ratio's denominator, the spans behind a percentile.
	Events float64
}

// History is a regular series (Width apart, by Start) that bands are
// drawn from: typically hourly, over the four weeks before.
type History struct {
	Width  time.Duration
	Points []Point
}

// Band is what a point is expected to lie in.
type Band struct {
	Low, High, Expected float64
	Baseline            string
	// Neighbours is how many history points the band was drawn from.
	Neighbours int
}

// Contains reports whether v lies in the band.
func (b Band) Contains(v float64) bool { return v >= b.Low && v <= b.High }

// k is how many robust standard deviations (or noise floors) the band's
// half-width spans: 4 keeps false alarms rare on healthy traffic, which a
// reader would otherwise learn to ignore.
const k = 4

// madScale turns a median absolute deviation into a standard deviation for
// normally distributed values.
const madScale = 1.4826

// Band returns the band expected for a point of width width starting at at,
// computed from events events, or false when the history cannot give one.
// Counts in the history are scaled from its width to width.
func (h History) Band(at time.Time, width time.Duration, kind Kind, events float64) (Band, bool) {
	vals, baseline := h.neighbours(at, width)
	if len(vals) == 0 {
		return Band{}, false
	}
	if kind == Count && h.Width > 0 {
		scale := float64(width) / float64(h.Width)
		for i := range vals {
			vals[i] *= scale
		}
	}
	med := median(vals)
	dev := make([]float64, len(vals))
	for i, v := range vals {
		dev[i] = math.Abs(v - med)
	}
	half := k * madScale * median(dev)
	half = max(half, floor(kind, med, events))
	b := Band{Expected: med, Low: med - half, High: med + half, Baseline: baseline, Neighbours: len(vals)}
	b.Low = max(b.Low, 0)
	if kind == Ratio {
		b.High = min(b.High, 1)
	}
	return b, true
}

// floor is the least half-width a band may have: the noise of one point.
func floor(kind Kind, expected, events float64) float64 {
	switch kind {
	case Count:
		return k*math.Sqrt(max(expected, 1)) + 0.1*expected
	case Ratio:
		p := min(max(expected, 0), 1)
		return k*math.Sqrt(max(p*(1-p), 0.0025)/max(events, 1)) + 0.01
	default:
		rel := 0.2
		if events > 0 {
			rel = max(rel, k*p95Noise/math.Sqrt(events))
		}
		return rel * expected
	}
}

// p95Noise is the relative standard error of a p95 read from n spans,
// times √n: σ·√(0.05·0.95)/φ(1.645) for log-normal latencies, taken at
// σ = 0.5, a typical spread of service latencies. A quarter hour of a
// hundred spans has a p95 that wanders by 10% on its own; without this
// every quiet step would flag its wobble.
const p95Noise = 1.06

// neighbours are the history values a band at at is drawn from, and which
// baseline they make: the weekly one when two weeks have data, else the
// daily one when two days have, else the trailing hours. Seasonal values
// are read at the point's own time of day (at+width/2), between the
// history's points: on the morning ramp the hour before and the hour
// after differ by more than any anomaly worth flagging.
func (h History) neighbours(at time.Time, width time.Duration) ([]float64, string) {
	if h.Width <= 0 {
		return nil, ""
	}
	mid := at.Add(width / 2)
	seasonal := func(period time.Duration, periods int) []float64 {
		var vals []float64
		for p := 1; p <= periods; p++ {
			if v, ok := h.between(mid.Add(-time.Duration(p) * period)); ok {
				vals = append(vals, v)
			}
		}
		return vals
	}
	if vals := seasonal(7*24*time.Hour, 4); len(vals) >= 2 {
		return vals, BaselineWeekly
	}
	if vals := seasonal(24*time.Hour, 7); len(vals) >= 2 {
		return vals, BaselineDaily
	}
	var vals []float64
	for back := h.Width; back <= 6*time.Hour; back += h.Width {
		if v, ok := h.at(at.Truncate(h.Width).Add(-back)); ok {
			vals = append(vals, v)
		}
	}
	if len(vals) >= 3 {
		return vals, BaselineTrailing
	}
	return nil, ""
}

// between is the history's value at instant t, interpolated between the
// middles of the points either side (or the one of them with data).
func (h History) between(t time.Time) (float64, bool) {
	if len(h.Points) == 0 {
		return 0, false
	}
	first := h.Points[0].Start.Add(h.Width / 2)
	off := t.Sub(first)
	i := int(math.Floor(float64(off) / float64(h.Width)))
	frac := float64(off-time.Duration(i)*h.Width) / float64(h.Width)
	lo, okLo := h.at(first.Add(time.Duration(i) * h.Width))
	hi, okHi := h.at(first.Add(time.Duration(i+1) * h.Width))
	switch {
	case okLo && okHi:
		return lo + (hi-lo)*frac, true
	case okLo:
		return lo, true
	case okHi:
		return hi, true
	}
	return 0, false
}

// at is the value of the history point holding t, when it has data.
func (h History) at(t time.Time) (float64, bool) {
	if len(h.Points) == 0 || h.Width <= 0 || t.Before(h.Points[0].Start) {
		return 0, false
	}
	i := int(t.Sub(h.Points[0].Start) / h.Width)
	if i >= len(h.Points) {
		return 0, false
	}
	p := h.Points[i]
	if p.Events <= 0 || math.IsNaN(p.Value) {
		return 0, false
	}
	return p.Value, true
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Flag is a point outside its band.
type Flag struct {
	Point
	Band
}

// Detect flags the points outside their bands. A point counts only with
// at least minEvents events (for counts, when either it or its expected
// value reaches minEvents, so that traffic vanishing is flagged too).
func Detect(h History, points []Point, width time.Duration, kind Kind, minEvents float64) []Flag {
	var out []Flag
	for _, p := range points {
		b, ok := h.Band(p.Start, width, kind, p.Events)
		if !ok {
			continue
		}
		enough := p.Events >= minEvents
		if kind == Count {
			enough = p.Value >= minEvents || b.Expected >= minEvents
		} else if p.Events <= 0 {
			continue
		}
		if enough && !b.Contains(p.Value) {
			out = append(out, Flag{Point: p, Band: b})
		}
	}
	return out
}

// Episode is a run of flagged points, each at most one point's width
// after the last.
type Episode struct {
	From, To time.Time
	// Worst is the flag furthest outside its band, relative to the band's
	// half-width.
	Worst Flag
}

// Episodes merges flags (in time order) into episodes.
func Episodes(flags []Flag, width time.Duration) []Episode {
	var out []Episode
	for _, f := range flags {
		end := f.Start.Add(width)
		if n := len(out); n > 0 && !f.Start.After(out[n-1].To) {
			e := &out[n-1]
			e.To = end
			if excess(f) > excess(e.Worst) {
				e.Worst = f
			}
			continue
		}
		out = append(out, Episode{From: f.Start, To: end, Worst: f})
	}
	return out
}

// excess is how far outside its band a flag is, in half-widths.
func excess(f Flag) float64 {
	half := (f.High - f.Low) / 2
	if half <= 0 {
		return math.Inf(1)
	}
	if f.Value > f.High {
		return (f.Value - f.High) / half
	}
	return (f.Low - f.Value) / half
}
