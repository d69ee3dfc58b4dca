package rollup_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/anomaly"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

// dailyTraffic is eight days of a two-step journey by trace: 4 entries a
// minute at night, 10 from 09:00 to 18:00, every one going on to step 2 a
// second later, the same every day. On the last day step 2 fails from
// 10:00 to 11:00, and half the entries never reach it from 14:00 to
// 14:30 (no deploy, nothing else changes).
func dailyTraffic(day0 time.Time) []rolluptest.Span {
	var spans []rolluptest.Span
	n := 0
	last := day0.Add(7 * 24 * time.Hour)
	in := func(t time.Time, from, to time.Duration) bool {
		return !t.Before(last.Add(from)) && t.Before(last.Add(to))
	}
	for m := range 8 * 24 * 60 {
		minute := day0.Add(time.Duration(m) * time.Minute)
		rate := 4
		if h := minute.Hour(); h >= 9 && h < 18 {
			rate = 10
		}
		for i := range rate {
			n++
			entry := minute.Add(time.Duration(i) * time.Minute / time.Duration(rate))
			spans = append(spans, rolluptest.StepSpan(1, n, 2*n, entry, 100*time.Millisecond, false, nil))
			if in(entry, 14*time.Hour, 14*time.Hour+30*time.Minute) && i%2 == 1 {
				continue
			}
			failing := in(entry, 10*time.Hour, 11*time.Hour)
			spans = append(spans, rolluptest.StepSpan(2, n, 2*n+1, entry.Add(time.Second), 100*time.Millisecond, failing, nil))
		}
	}
	return spans
}

func TestAnomaliesAgainstTheDailyPattern(t *testing.T) {
	t.Parallel()
	b := setup(t)
	day0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	j := rolluptest.Journey("daily", journeys.CorrelateByTrace, 0, 2)
	v := b.put(t, j)
	end := day0.Add(8 * 24 * time.Hour)
	b.compute(t, j, v, rollup.Range{From: day0, To: end.Add(time.Hour)}, dailyTraffic(day0), false)
	// Rows older than two days are hours, as the maintenance leaves them.
	_, err := b.rollups.Downsample(b.ctx, day0.Add(6*24*time.Hour))
	require.NoError(t, err)

	got, err := b.rollups.Anomalies(b.ctx, j, rollup.AnomalyQuery{From: day0.Add(2 * 24 * time.Hour), To: end, CompleteThrough: end.Add(time.Hour)})
	require.NoError(t, err)
	var lines []string
	for _, a := range got {
		lines = append(lines, fmt.Sprintf("step %d %s %s–%s value %g expected %g [%.4g, %.4g] %s",
			a.Step, a.Metric, a.From.Format("Mon 15:04"), a.To.Format("15:04"), a.Value, a.Expected, a.ExpectedLow, a.ExpectedHigh, a.Baseline))
	}
	// The quarter-hour floor on 150 spans: 4·√150 + 15 (a quarter of
	// 10/min), per minute; the ratio floors: 4·√(0.0025/n) + 0.01.
	low := (150 - (4*sqrt(150) + 15)) / 15
	high := (150 + (4*sqrt(150) + 15)) / 15
	require.Equal(t, []string{
		fmt.Sprintf("step -1 conversion Mon 14:00–14:30 value 0.5 expected 1 [%.4g, %.4g] %s", 1-(4*sqrt(0.0025/150)+0.01), 1.0, anomaly.BaselineDaily),
		fmt.Sprintf("step 1 throughput Mon 14:00–14:30 value 5 expected 10 [%.4g, %.4g] %s", low, high, anomaly.BaselineDaily),
		fmt.Sprintf("step 1 error_rate Mon 10:00–11:00 value 1 expected 0 [0, %.4g] %s", 4*sqrt(0.0025/150)+0.01, anomaly.BaselineDaily),
	}, lines)

	// The same rows by hour of week, two hours ahead of UTC: step 2 of
	// the second Monday, over minute and hour rows alike.
	zone := time.FixedZone("UTC+2", 2*3600)
	hm, err := b.rollups.WeekHeatmap(b.ctx, "daily", 1, day0.Add(24*time.Hour), end, zone)
	require.NoError(t, err)
	require.Equal(t, "UTC+2", hm.Zone)
	mon := hm.Cells[time.Monday]
	require.Equal(t, rollup.HeatCell{Spans: 600, Errors: 600, Hours: 1, P95: mon[12].P95}, mon[12]) // 10:00 UTC
	require.Equal(t, int64(450), mon[16].Spans)                                                     // 14:00 UTC
	require.Equal(t, int64(240), mon[3].Spans)
	require.InDelta(t, 4.0, mon[3].Throughput(), 1e-12)
	require.Equal(t, 1.0, mon[12].ErrorRate())
	require.InEpsilon(t, 100.0, mon[12].P95, 0.01)
	// Tuesday 09:00 UTC is 11:00 here: day traffic, no errors.
	require.Equal(t, rollup.HeatCell{Spans: 600, Hours: 1, P95: hm.Cells[time.Tuesday][11].P95}, hm.Cells[time.Tuesday][11])
	_, err = b.rollups.WeekHeatmap(b.ctx, "daily", 2, day0, end, time.UTC)
	require.ErrorIs(t, err, rollup.ErrBadComparison)
}

func sqrt(x float64) float64 { return math.Sqrt(x) }
