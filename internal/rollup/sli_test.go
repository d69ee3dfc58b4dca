package rollup_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

// cohort is a hand-built all-traffic funnel row of a three-step journey.
func cohort(bucket time.Duration, width time.Duration, reached, inFlight [3]int64) rollup.FunnelRow {
	return rollup.FunnelRow{Bucket: at(bucket), Width: width, Reached: reached[:], InFlight: inFlight[:]}
}

// TestSLIConversionCountsClosedCohorts: a conversion SLI counts the
// cohorts whose 30-minute window closed in the range, each whole, and
// none still open, however many of their sessions already finished.
func TestSLIConversionCountsClosedCohorts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney() // correlated by session, 30m window
	v := b.put(t, j)
	m := time.Minute
	funnels := []rollup.FunnelRow{
		// Closed before 60m: [-60m, 0) closes at 0 + 30m.
		cohort(-60*m, time.Hour, [3]int64{40, 30, 20}, [3]int64{}),
		// A downsampled hour closing at 60m + 30m = 90m: inside.
		cohort(0, time.Hour, [3]int64{100, 70, 40}, [3]int64{}),
		// Minute cohorts closing at 91m and at 120m, the end: inside.
		cohort(60*m, m, [3]int64{10, 8, 4}, [3]int64{}),
		cohort(89*m, m, [3]int64{6, 5, 3}, [3]int64{}),
		// Open at 120m: they close at 121m, 131m and 150m. Some of their
		// sessions finished already (reached minus in flight: 2, 5, 1);
		// none of them counts yet.
		cohort(90*m, m, [3]int64{8, 6, 2}, [3]int64{5, 4, 0}),
		cohort(100*m, m, [3]int64{12, 9, 5}, [3]int64{7, 4, 0}),
		cohort(119*m, m, [3]int64{9, 3, 1}, [3]int64{8, 2, 0}),
	}
	// A segment's row is not all traffic.
	seg := cohort(60*m, m, [3]int64{4, 4, 4}, [3]int64{})
	seg.Segment = rollup.Segment{Key: "span.tier", Value: "gold"}
	funnels = append(funnels, seg)
	res := &rollup.Result{Slug: "checkout", Range: rollup.Range{From: at(-60 * m), To: at(120 * m)}, Thresholds: rollup.Thresholds(j), Funnels: funnels}
	require.NoError(t, b.rollups.Write(b.ctx, res, rollup.WriteOptions{Version: v, Live: true, Started: at(120 * m)}))

	sli := func(step int, from, to time.Duration) rollup.SLICounts {
		t.Helper()
		got, err := b.rollups.SLI(b.ctx, rollup.SLIQuery{Slug: "checkout", Kind: journeys.SLOConversion, Step: step, From: at(from), To: at(to)})
		require.NoError(t, err)
		return got
	}
	tests := []struct {
		name     string
		step     int
		from, to time.Duration
		want     rollup.SLICounts
	}{
		// 100 + 10 + 6 entered; 40 + 4 + 3 reached the last step.
		{"journey", -1, 60 * m, 120 * m, rollup.SLICounts{Good: 47, Total: 116}},
		// 70 + 8 + 5 reached step 2.
		{"to step 2", 1, 60 * m, 120 * m, rollup.SLICounts{Good: 83, Total: 116}},
		// Adjacent ranges split the cohorts between them: the hour closes
		// at 90m, in (60m, 90m]; the minute at 60m closes at 91m.
		{"first half", -1, 60 * m, 90 * m, rollup.SLICounts{Good: 40, Total: 100}},
		{"second half", -1, 90 * m, 120 * m, rollup.SLICounts{Good: 7, Total: 16}},
		{"the hour's closing minute", -1, 89 * m, 90 * m, rollup.SLICounts{Good: 40, Total: 100}},
		{"one minute cohort", -1, 90 * m, 91 * m, rollup.SLICounts{Good: 4, Total: 10}},
		// A range ending a minute earlier leaves out the cohort that
		// closes at 120m.
		{"before the last close", -1, 60 * m, 119 * m, rollup.SLICounts{Good: 44, Total: 110}},
		{"nothing closes then", -1, 121 * m, 122 * m, rollup.SLICounts{}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, sli(tt.step, tt.from, tt.to), tt.name)
	}

	// The window is the journey's own: correlated by trace without one,
	// a cohort closes 10 minutes after its bucket ends.
	tj := rolluptest.Journey("traced", journeys.CorrelateByTrace, 0, 3)
	tv := b.put(t, tj)
	res = &rollup.Result{Slug: "traced", Range: rollup.Range{From: t0, To: at(m)}, Thresholds: rollup.Thresholds(tj),
		Funnels: []rollup.FunnelRow{cohort(0, m, [3]int64{5, 3, 1}, [3]int64{})}}
	require.NoError(t, b.rollups.Write(b.ctx, res, rollup.WriteOptions{Version: tv, Live: true, Started: at(m)}))
	for _, tt := range []struct {
		from, to time.Duration
		want     rollup.SLICounts
	}{
		{0, 10 * m, rollup.SLICounts{}},
		{10 * m, 11 * m, rollup.SLICounts{Good: 1, Total: 5}},
		{11 * m, 12 * m, rollup.SLICounts{}},
	} {
		got, err := b.rollups.SLI(b.ctx, rollup.SLIQuery{Slug: "traced", Kind: journeys.SLOConversion, Step: -1, From: at(tt.from), To: at(tt.to)})
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "%s to %s", tt.from, tt.to)
	}
}

// TestSLIConversionOnAggregatedSessions reads the cohorts the aggregator
// writes for CheckoutSpans over [60m, 120m) once their windows closed: of
// the five sessions, B, C and A entered by 85m and closed by 116m; A alone
// reached step 3 within its window (B's step 3 came after it, C's at its
// very end). D and F, entered at 110m and 119m, close at 141m and 150m.
func TestSLIConversionOnAggregatedSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	b.advance(t, j, v, at(60*time.Minute), at(120*time.Minute), at(200*time.Minute), sessionSpans())
	sli := func(step int, from, to time.Duration) rollup.SLICounts {
		t.Helper()
		got, err := b.rollups.SLI(b.ctx, rollup.SLIQuery{Slug: "checkout", Kind: journeys.SLOConversion, Step: step, From: at(from), To: at(to)})
		require.NoError(t, err)
		return got
	}
	require.Equal(t, rollup.SLICounts{Good: 1, Total: 3}, sli(-1, 90*time.Minute, 120*time.Minute))
	require.Equal(t, rollup.SLICounts{Good: 3, Total: 3}, sli(1, 90*time.Minute, 120*time.Minute))
	require.Equal(t, rollup.SLICounts{Good: 1, Total: 5}, sli(-1, 90*time.Minute, 150*time.Minute))
	require.Equal(t, rollup.SLICounts{Good: 4, Total: 5}, sli(1, 90*time.Minute, 150*time.Minute))
}
