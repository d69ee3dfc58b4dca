package journeyhttp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/anomaly"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// The health line says what is unusual against what, and says so when the
// band comes from a fallback rather than the same time of week.
func TestAnomalyOf(t *testing.T) {
	t.Parallel()
	j := journeys.Journey{Metadata: journeys.Metadata{Slug: "checkout", Name: "Checkout"},
		Spec: journeys.Spec{Steps: []journeys.Step{{Name: "cart"}, {Name: "pay"}}}}
	tue := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC) // a Tuesday
	cases := []struct {
		a    rollup.Anomaly
		kind string
		want string
	}{
		{rollup.Anomaly{Step: -1, Metric: rollup.MetricConversion, At: tue, Value: 0.246, Expected: 0.3, Baseline: anomaly.BaselineWeekly},
			BaselineWeekly, "Checkout conversion 18% below its usual for Tuesday 14:00 UTC (24.6% against 30.0% expected)"},
		{rollup.Anomaly{Step: 1, Metric: rollup.MetricP95, At: tue, Value: 900, Expected: 300, Baseline: anomaly.BaselineDaily},
			BaselineDaily, "pay p95 latency 3.0× its usual for 14:00 UTC on recent days (900 ms against 300 ms expected; under two weeks of history, so weekdays and weekends are not told apart)"},
		{rollup.Anomaly{Step: 0, Metric: rollup.MetricThroughput, At: tue, Value: 12, Expected: 10, Baseline: anomaly.BaselineTrailing},
			BaselineTrailing, "cart throughput 20% above its usual of the last 6 hours at Tuesday 14:00 UTC (12/min against 10/min expected; too little history for a seasonal baseline, so this is a trailing one)"},
	}
	for _, tc := range cases {
		got := AnomalyOf(j, tc.a)
		require.Equal(t, tc.kind, got.Baseline)
		require.Equal(t, tc.want, got.Summary)
		if tc.a.Step < 0 {
			require.Nil(t, got.Step)
		} else {
			require.Equal(t, tc.a.Step+1, *got.Step)
		}
	}
}
