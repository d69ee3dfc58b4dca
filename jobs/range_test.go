package jobs

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
)

func TestLiveRangeRecountsStepsOverTheLookbackOnTheHour(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 10, 0, 40, 0, time.UTC)
	d := &deps{opts: Options{Now: func() time.Time { return now }}.withDefaults()}
	at := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, time.UTC) }
	lagged := now.Add(-DefaultLag) // 10:00:10, past the end of a 9:59 bucket
	tests := []struct {
		name   string
		bucket time.Time
		window time.Duration
		want   rollup.Range
	}{
		{"mid-hour: trailing minutes, funnel window", at(9, 59), 30 * time.Minute,
			rollup.Range{From: at(9, 50), To: at(10, 0), FunnelFrom: at(9, 20), Horizon: lagged}},
		{"on the hour: steps over the lookback", at(10, 0), 30 * time.Minute,
			rollup.Range{From: at(8, 1), To: at(10, 1), FunnelFrom: at(7, 31), Horizon: at(10, 1)}},
		{"mid-hour, window past the lookback: funnels capped", at(9, 59), 3 * time.Hour,
			rollup.Range{From: at(9, 50), To: at(10, 0), FunnelFrom: at(7, 50), Horizon: lagged}},
		{"on the hour, window past the lookback: whole window", at(10, 0), 3 * time.Hour,
			rollup.Range{From: at(8, 1), To: at(10, 1), FunnelFrom: at(5, 1), Horizon: at(10, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, d.liveRange(tt.bucket, tt.window))
		})
	}
}
