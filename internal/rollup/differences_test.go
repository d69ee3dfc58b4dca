package rollup_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/compare"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

// whyTraffic is 200 traces entering every 30 s, each through steps 1 and
// 2; version 1.5.0 (every fourth) drops before step 3 half the time, and
// every tenth trace from the third drops whatever its version. Step 2
// runs on h1 for every fifth trace, slowly, else on h2.
func whyTraffic() []rolluptest.Span {
	var spans []rolluptest.Span
	for i := range 200 {
		entry := at(time.Duration(i) * 30 * time.Second)
		version, tier, host, slow := "1.4.2", "free", "h2", 100*time.Millisecond
		if i%4 == 0 {
			version = "1.5.0"
		}
		if i%3 == 0 {
			tier = "gold"
		}
		if i%5 == 0 {
			host, slow = "h1", 900*time.Millisecond
		}
		spans = append(spans,
			rolluptest.StepSpan(1, i+1, 3*i+1, entry, 10*time.Millisecond, false, attrs("span.version", version, "span.tier", tier, "resource.host.name", "login")),
			rolluptest.StepSpan(2, i+1, 3*i+2, entry.Add(time.Second), slow, false, attrs("resource.host.name", host)))
		if i%8 == 0 || i%10 == 3 {
			continue
		}
		spans = append(spans, rolluptest.StepSpan(3, i+1, 3*i+3, entry.Add(2*time.Second), 10*time.Millisecond, false, attrs("resource.host.name", "pay")))
	}
	return spans
}

func whyJourney() journeys.Journey {
	j := rolluptest.Journey("why", journeys.CorrelateByTrace, 0, 3)
	j.Spec.Segments = []string{"span.version", "span.tier", "resource.host.name"}
	j.Spec.SLOs = []journeys.SLO{{Name: "fast", Kind: journeys.SLOLatency, Step: "s2", Threshold: journeys.NewDuration(500 * time.Millisecond), Objective: 0.9}}
	return j
}

func describeDiffs(ds []compare.Difference) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s=%s %d/%d sig=%v", d.Key, d.Value, d.CountSelected, d.CountBaseline, d.Significant))
	}
	return out
}

func TestDifferencesOfDropped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := whyJourney()
	v := b.put(t, j)
	b.advance(t, j, v, t0, at(time.Hour), at(3*time.Hour), whyTraffic())

	d, err := b.rollups.Differences(b.ctx, j, rollup.DiffQuery{Slug: "why", From: t0, To: at(100 * time.Minute), Step: 1, Compare: rollup.CompareDropped})
	require.NoError(t, err)
	// Dropped: 25 on 1.5.0 (i%8 == 0) and 20 on 1.4.2 (i%10 == 3).
	require.Equal(t, int64(45), d.Selected)
	require.Equal(t, int64(155), d.Baseline)
	require.Equal(t, int64(0), d.InFlight)
	require.Equal(t, []string{
		"span.version=1.5.0 25/25 sig=true",
		"span.version=1.4.2 20/130 sig=true",
		// Step 2's own host: h1 served i%5 == 0, of which i%40 == 0 dropped.
		"resource.host.name=h2 40/120 sig=false",
		"resource.host.name=h1 5/35 sig=false",
		// Gold is i%3 == 0: i%24 == 0 (9) and i ≡ 3 mod 30 (7) dropped.
		"span.tier=gold 16/51 sig=false",
		"span.tier=free 29/104 sig=false",
	}, describeDiffs(d.Attributes))
	require.InDelta(t, 25.0/45, d.Attributes[0].ShareSelected, 1e-12)
	require.InDelta(t, 25.0/155, d.Attributes[0].ShareBaseline, 1e-12)

	// Hour rows answer the same as the minutes they merge.
	n, err := b.rollups.Downsample(b.ctx, at(3*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	hours, err := b.rollups.Differences(b.ctx, j, rollup.DiffQuery{Slug: "why", From: t0, To: at(2 * time.Hour), Step: 1, Compare: rollup.CompareDropped})
	require.NoError(t, err)
	require.Equal(t, describeDiffs(d.Attributes), describeDiffs(hours.Attributes))
	require.Equal(t, d.Selected, hours.Selected)

	// Step 1 → 2: nothing drops.
	d, err = b.rollups.Differences(b.ctx, j, rollup.DiffQuery{Slug: "why", From: t0, To: at(100 * time.Minute), Step: 0, Compare: rollup.CompareDropped})
	require.NoError(t, err)
	require.Equal(t, int64(0), d.Selected)
	require.Equal(t, int64(200), d.Baseline)
	require.Empty(t, d.Attributes)
}

func TestDifferencesLeaveOutInFlight(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := whyJourney()
	v := b.put(t, j)
	// At 102 min the windows (10 min) of entries after 92 min are open:
	// i ≥ 185, of which 192 and 193 have not gone on.
	b.advance(t, j, v, t0, at(time.Hour), at(102*time.Minute), whyTraffic())
	d, err := b.rollups.Differences(b.ctx, j, rollup.DiffQuery{Slug: "why", From: t0, To: at(100 * time.Minute), Step: 1, Compare: rollup.CompareDropped})
	require.NoError(t, err)
	require.Equal(t, int64(43), d.Selected)
	require.Equal(t, int64(155), d.Baseline)
	require.Equal(t, int64(2), d.InFlight)
}

func TestDifferencesOfSlow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := whyJourney()
	v := b.put(t, j)
	b.advance(t, j, v, t0, at(time.Hour), at(3*time.Hour), whyTraffic())

	for _, tc := range []struct {
		threshold time.Duration
		exact     bool
	}{{500 * time.Millisecond, true}, {300 * time.Millisecond, false}} {
		d, err := b.rollups.Differences(b.ctx, j, rollup.DiffQuery{Slug: "why", From: t0, To: at(100 * time.Minute), Step: 1, Compare: rollup.CompareSlow, Threshold: tc.threshold})
		require.NoError(t, err)
		require.Equal(t, tc.exact, d.ThresholdExact)
		require.InDelta(t, float64(tc.threshold/time.Millisecond), d.ThresholdMS, 1e-9)
		require.Equal(t, int64(40), d.Selected)
		require.Equal(t, int64(160), d.Baseline)
		require.Equal(t, []string{
			"resource.host.name=h1 40/0 sig=true",
			"resource.host.name=h2 0/160 sig=true",
			// h1 is i%5 == 0: gold i%15 == 0, 1.5.0 i%20 == 0.
			"span.tier=gold 14/53 sig=false",
			"span.tier=free 26/107 sig=false",
			"span.version=1.4.2 30/120 sig=false", // the same shares
			"span.version=1.5.0 10/40 sig=false",
		}, describeDiffs(d.Attributes))
	}
}

func TestDifferencesRefuseWhatCannotBeCompared(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := whyJourney()
	b.put(t, j)
	for _, q := range []rollup.DiffQuery{
		{Compare: "faster", Step: 0},
		{Compare: rollup.CompareDropped, Step: 2},
		{Compare: rollup.CompareSlow, Step: 3},
		{Compare: rollup.CompareSlow, Step: -1},
		{Compare: rollup.CompareSlow, Step: 0, Threshold: -time.Second},
	} {
		q.Slug, q.From, q.To = "why", t0, at(time.Hour)
		_, err := b.rollups.Differences(b.ctx, j, q)
		require.ErrorIs(t, err, rollup.ErrBadComparison, "%+v", q)
	}
	_, err := b.rollups.Differences(b.ctx, j, rollup.DiffQuery{Slug: "none", From: t0, To: at(time.Hour), Compare: rollup.CompareSlow})
	require.ErrorIs(t, err, rollup.ErrNotFound)
}

func TestInstancesAgreeWithTheRollups(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := whyJourney()
	v := b.put(t, j)
	b.advance(t, j, v, t0, at(time.Hour), at(3*time.Hour), whyTraffic())
	src := &rolluptest.Source{}
	src.Add(whyTraffic()...)
	q := rollup.DiffQuery{Slug: "why", From: t0, To: at(100 * time.Minute), Step: 1, Compare: rollup.CompareDropped}

	set, err := rollup.Instances(b.ctx, src, j, q.From, q.To, at(3*time.Hour))
	require.NoError(t, err)
	require.Len(t, set.Instances, 200)
	fromRows, err := b.rollups.Differences(b.ctx, j, q)
	require.NoError(t, err)
	one := set.Differences(q, nil)
	require.Equal(t, describeDiffs(fromRows.Attributes), describeDiffs(one.Attributes))
	require.Equal(t, [3]int64{45, 155, 0}, [3]int64{one.Selected, one.Baseline, one.InFlight})

	// Within gold (i%3 == 0): 1.5.0 is i%12 == 0, of which i%24 == 0
	// dropped; 1.4.2 gold dropped at i ≡ 3 mod 30. h1 is i%15 == 0 there,
	// of which i%120 == 0 dropped.
	gold := set.Differences(q, &rollup.Segment{Key: "span.tier", Value: "gold"})
	require.Equal(t, [3]int64{16, 51, 0}, [3]int64{gold.Selected, gold.Baseline, gold.InFlight})
	require.Equal(t, []string{
		"span.version=1.5.0 9/8 sig=true",
		"span.version=1.4.2 7/43 sig=true",
		"resource.host.name=h2 14/39 sig=false",
		"resource.host.name=h1 2/12 sig=false",
	}, describeDiffs(gold.Attributes))

	// The latest traces of each side, for version 1.5.0: dropped i = 192,
	// 184; went on i = 196, 188 (trace i+1).
	sel, base := set.Exemplars(1, rollup.CompareDropped, 0, &rollup.Segment{Key: "span.version", Value: "1.5.0"}, 2)
	require.Equal(t, []string{rolluptest.TraceID(193), rolluptest.TraceID(185)}, traceIDs(sel))
	require.Equal(t, []string{rolluptest.TraceID(197), rolluptest.TraceID(189)}, traceIDs(base))
	require.Equal(t, at(192*30*time.Second+time.Second), sel[0].Start)
	require.Equal(t, 100*time.Millisecond, sel[0].Duration)

	// Slow spans of step 2 are h1's.
	slow := set.Differences(rollup.DiffQuery{Step: 1, Compare: rollup.CompareSlow, Threshold: 500 * time.Millisecond}, nil)
	require.Equal(t, [2]int64{40, 160}, [2]int64{slow.Selected, slow.Baseline})
	require.Equal(t, "resource.host.name=h1 40/0 sig=true", describeDiffs(slow.Attributes)[0])

	// Read up to 102 min only, the last windows are open.
	set, err = rollup.Instances(b.ctx, src, j, q.From, q.To, at(102*time.Minute))
	require.NoError(t, err)
	open := set.Differences(q, nil)
	require.Equal(t, [3]int64{43, 155, 2}, [3]int64{open.Selected, open.Baseline, open.InFlight})

	_, err = rollup.Instances(b.ctx, src, j, t0, at(7*time.Hour), at(8*time.Hour))
	require.ErrorIs(t, err, rollup.ErrRangeTooLong)
}

func traceIDs(ex []rollup.Exemplar) []string {
	out := []string{}
	for _, e := range ex {
		out = append(out, e.TraceID)
	}
	return out
}
