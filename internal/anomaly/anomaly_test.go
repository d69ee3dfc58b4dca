package anomaly_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/anomaly"
)

var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday

// hourly is a history of n hourly points from t0, value f(i).
func hourly(n int, f func(i int) float64) anomaly.History {
	h := anomaly.History{Width: time.Hour}
	for i := range n {
		v := f(i)
		h.Points = append(h.Points, anomaly.Point{Start: t0.Add(time.Duration(i) * time.Hour), Value: v, Events: max(v, 1)})
	}
	return h
}

func TestWeeklyBand(t *testing.T) {
	t.Parallel()
	at := t0.Add(28*24*time.Hour + 12*time.Hour)
	// Around the same hour one to four weeks back: 90, 100, 100 and a bad
	// week's 400.
	set := map[time.Duration]float64{}
	for w, v := range []float64{90, 100, 100, 400} {
		for s := -1; s <= 1; s++ {
			set[at.Sub(t0)-time.Duration(w+1)*7*24*time.Hour+time.Duration(s)*time.Hour] = v
		}
	}
	h := hourly(28*24+24, func(i int) float64 {
		if v, ok := set[time.Duration(i)*time.Hour]; ok {
			return v
		}
		return 0 // no data
	})
	// Median 100, MAD 5: 4·1.4826·5 = 29.65 is under the Poisson floor
	// 4·√100 + 10 = 50. The bad week moves neither.
	b, ok := h.Band(at, time.Hour, anomaly.Count, 0)
	require.True(t, ok)
	require.Equal(t, anomaly.BaselineWeekly, b.Baseline)
	require.Equal(t, 4, b.Neighbours)
	require.InDelta(t, 100, b.Expected, 1e-9)
	require.InDelta(t, 50, b.Low, 1e-9)
	require.InDelta(t, 150, b.High, 1e-9)
	// A quarter-hour point expects a quarter: median 25, floor 4·5 + 2.5.
	b, _ = h.Band(at, 15*time.Minute, anomaly.Count, 0)
	require.InDelta(t, 25, b.Expected, 1e-9)
	require.InDelta(t, 2.5, b.Low, 1e-9)
	require.InDelta(t, 47.5, b.High, 1e-9)
	// As latencies the MAD is wider than the 20% floor.
	b, _ = h.Band(at, time.Hour, anomaly.Latency, 0)
	require.InDelta(t, 4*1.4826*5, b.High-b.Expected, 1e-9)
}

func TestSeasonalValuesAreInterpolated(t *testing.T) {
	t.Parallel()
	// A ramp: hour h of each day holds 10·h. The quarter 12:15–12:30 is
	// read at its middle, 12:22:30, between the middles of hours 11 and
	// 12 (11:30 and 12:30), 7/8 of the way: 110 + 8.75.
	h := hourly(8*24, func(i int) float64 { return float64(10 * (i % 24)) })
	at := t0.Add(7*24*time.Hour + 12*time.Hour + 15*time.Minute)
	b, ok := h.Band(at, 15*time.Minute, anomaly.Latency, 0)
	require.True(t, ok)
	require.Equal(t, anomaly.BaselineDaily, b.Baseline)
	require.InDelta(t, 118.75, b.Expected, 1e-9)
}

func TestRatioFloor(t *testing.T) {
	t.Parallel()
	h := hourly(15*24, func(int) float64 { return 0.5 })
	b, ok := h.Band(t0.Add(14*24*time.Hour+5*time.Hour), 15*time.Minute, anomaly.Ratio, 1000)
	require.True(t, ok)
	// MAD 0: the binomial noise of 1000 events, 4·√(0.25/1000), plus 1 pt.
	half := 4*math.Sqrt(0.25/1000) + 0.01
	require.InDelta(t, 0.5-half, b.Low, 1e-12)
	require.InDelta(t, 0.5+half, b.High, 1e-12)
}

func TestBaselineFallsBack(t *testing.T) {
	t.Parallel()
	flat := func(int) float64 { return 50 }
	for _, tc := range []struct {
		hours    int
		baseline string
	}{
		{15 * 24, anomaly.BaselineWeekly},
		{13 * 24, anomaly.BaselineDaily}, // one week back only
		{3 * 24, anomaly.BaselineDaily},
		{30, anomaly.BaselineTrailing}, // one day back only
		{3, anomaly.BaselineTrailing},
	} {
		h := hourly(tc.hours, flat)
		b, ok := h.Band(t0.Add(time.Duration(tc.hours)*time.Hour), time.Hour, anomaly.Count, 0)
		require.True(t, ok, "%d hours", tc.hours)
		require.Equal(t, tc.baseline, b.Baseline, "%d hours", tc.hours)
	}
	_, ok := hourly(2, flat).Band(t0.Add(2*time.Hour), time.Hour, anomaly.Count, 0)
	require.False(t, ok)
	_, ok = anomaly.History{}.Band(t0, time.Hour, anomaly.Count, 0)
	require.False(t, ok)
}

func TestDetectAndEpisodes(t *testing.T) {
	t.Parallel()
	h := hourly(15*24, func(int) float64 { return 100 })
	at := t0.Add(14 * 24 * time.Hour)
	var pts []anomaly.Point
	for i, v := range []float64{100, 105, 20, 10, 98, 0, 400} {
		pts = append(pts, anomaly.Point{Start: at.Add(time.Duration(i) * time.Hour), Value: v, Events: v})
	}
	flags := anomaly.Detect(h, pts, time.Hour, anomaly.Count, 30)
	var flagged []float64
	for _, f := range flags {
		flagged = append(flagged, f.Value)
	}
	// Band [50, 150]: 20 and 10 are out, and so is 0 (traffic gone: the
	// expected 100 is enough traffic to tell), and 400.
	require.Equal(t, []float64{20, 10, 0, 400}, flagged)
	eps := anomaly.Episodes(flags, time.Hour)
	require.Len(t, eps, 2)
	require.Equal(t, at.Add(2*time.Hour), eps[0].From)
	require.Equal(t, at.Add(4*time.Hour), eps[0].To)
	require.Equal(t, 10.0, eps[0].Worst.Value)
	require.Equal(t, at.Add(5*time.Hour), eps[1].From)
	require.Equal(t, at.Add(7*time.Hour), eps[1].To)
	require.Equal(t, 400.0, eps[1].Worst.Value)

	// Too little traffic on either side: nothing to say.
	quiet := hourly(15*24, func(int) float64 { return 5 })
	require.Empty(t, anomaly.Detect(quiet, []anomaly.Point{{Start: at, Value: 0}}, time.Hour, anomaly.Count, 30))
}

// TestPrecisionAndRecall runs the detector over a month of generated
// traffic with a daily pattern per seed: four weeks of hourly history,
// then a week scored at 15 minutes with three anomalies (throughput
// halved, conversion down a third, latency tripled, 30 to 90 minutes
// each) at seeded times. An episode overlapping an anomaly is a hit.
func TestPrecisionAndRecall(t *testing.T) {
	t.Parallel()
	const seeds = 30
	var hits, found, episodes, anomalies int
	for seed := range uint64(seeds) {
		h, p, r, missed := scoreSeed(seed)
		hits, found, episodes, anomalies = hits+h, found+r, episodes+p, anomalies+3
		for _, m := range missed {
			t.Log("missed", m)
		}
	}
	precision, recall := float64(hits)/float64(episodes), float64(found)/float64(anomalies)
	t.Logf("over %d seeds: %d episodes, %d on an anomaly (precision %.3f); %d of %d anomalies found (recall %.3f)",
		seeds, episodes, hits, precision, found, anomalies, recall)
	require.GreaterOrEqual(t, precision, 0.9)
	require.GreaterOrEqual(t, recall, 0.9)
}

// scoreSeed returns the episodes on an anomaly, all episodes, and the
// anomalies found, over the three metrics of one seed.
func scoreSeed(seed uint64) (hits, episodes, found int, missed []string) {
	names := []string{"throughput", "conversion", "latency"}
	rng := rand.New(rand.NewPCG(seed, 3))
	// Sessions per minute: quiet at night, a peak mid-afternoon, lower at
	// weekends.
	rate := func(t time.Time) float64 {
		hour := float64(t.Hour()) + float64(t.Minute())/60
		r := 8 + 22*math.Pow(math.Max(0, math.Sin((hour-6)/16*math.Pi)), 1.5)
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			r *= 0.6
		}
		return r
	}
	type window struct{ from, to time.Time }
	scored := t0.Add(28 * 24 * time.Hour)
	var bad [3]window
	for m := range bad {
		from := scored.Add(time.Duration(rng.IntN(7*24*4)) * 15 * time.Minute)
		bad[m] = window{from, from.Add(time.Duration(30+rng.IntN(61)) * time.Minute)}
	}
	in := func(m int, t time.Time) bool { return !t.Before(bad[m].from) && t.Before(bad[m].to) }
	// Minute by minute: sessions, conversions and a p95.
	type minute struct{ n, conv, p95 float64 }
	minutes := make([]minute, 35*24*60)
	for i := range minutes {
		t := t0.Add(time.Duration(i) * time.Minute)
		lam := rate(t)
		if in(0, t) {
			lam /= 2
		}
		n := poisson(rng, lam)
		p := 0.7
		if in(1, t) {
			p = 0.7 * 2 / 3
		}
		conv := binomial(rng, n, p)
		p95 := 180 * (1 + 0.1*rng.NormFloat64())
		if in(2, t) {
			p95 *= 3
		}
		minutes[i] = minute{n, conv, p95}
	}
	series := func(width time.Duration, from, to time.Time, m int) []anomaly.Point {
		var out []anomaly.Point
		per := int(width / time.Minute)
		for t := from; t.Before(to); t = t.Add(width) {
			i := int(t.Sub(t0) / time.Minute)
			var n, conv, lat float64
			for _, x := range minutes[i : i+per] {
				n, conv, lat = n+x.n, conv+x.conv, lat+x.p95*x.n
			}
			p := anomaly.Point{Start: t, Events: n}
			switch m {
			case 0:
				p.Value = n
			case 1:
				p.Value = conv / max(n, 1)
			case 2:
				p.Value = lat / max(n, 1)
			}
			out = append(out, p)
		}
		return out
	}
	kinds := []anomaly.Kind{anomaly.Count, anomaly.Ratio, anomaly.Latency}
	for m, kind := range kinds {
		h := anomaly.History{Width: time.Hour, Points: series(time.Hour, t0, scored.Add(7*24*time.Hour), m)}
		flags := anomaly.Detect(h, series(15*time.Minute, scored, scored.Add(7*24*time.Hour), m), 15*time.Minute, kind, 30)
		hit := false
		for _, e := range anomaly.Episodes(flags, 15*time.Minute) {
			episodes++
			if e.From.Before(bad[m].to) && e.To.After(bad[m].from) {
				hits++
				hit = true
			}
		}
		if hit {
			found++
		} else {
			missed = append(missed, fmt.Sprintf("seed %d: %s %s–%s", seed, names[m], bad[m].from.Format("Mon 15:04"), bad[m].to.Format("15:04")))
		}
	}
	return hits, episodes, found, missed
}

func poisson(rng *rand.Rand, lam float64) float64 {
	// Normal approximation: rates here are 5 or more per minute.
	return math.Max(0, math.Round(lam+math.Sqrt(lam)*rng.NormFloat64()))
}

func binomial(rng *rand.Rand, n, p float64) float64 {
	var k float64
	for range int(n) {
		if rng.Float64() < p {
			k++
		}
	}
	return k
}
