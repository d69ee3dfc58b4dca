package slo

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

// benchSeries is 28 days of traffic: 27 days of 1-hour buckets, then a day
// of 1-minute buckets, as rollups keep them after downsampling; minute says
// whether the whole 28 days stay in 1-minute buckets instead.
func benchSeries(tb testing.TB, now time.Time, minute bool) Series {
	if minute {
		return series(tb, now.Add(-28*journeys.Day), minutes(28*24*60, 100, 1))
	}
	return series(tb, now.Add(-28*journeys.Day), hours(27*24, 6000, 60), minutes(24*60, 100, 1))
}

func BenchmarkEvaluate(b *testing.B) {
	now := utc("2026-06-29T00:00:00Z")
	for _, tt := range []struct {
		name   string
		minute bool
	}{{"downsampled", false}, {"minutes", true}} {
		b.Run(tt.name, func(b *testing.B) {
			in := Inputs{Series: benchSeries(b, now, tt.minute), Window: Rolling(28*journeys.Day, nil), Objective: 0.99, MinEvents: 100}
			b.ReportAllocs()
			for b.Loop() {
				ev := Evaluate(Prior{State: StateOK}, in, now)
				if ev.Err != nil {
					b.Fatal(ev.Err)
				}
			}
		})
	}
}

func BenchmarkNewSeries(b *testing.B) {
	now := utc("2026-06-29T00:00:00Z")
	bs := buckets(now.Add(-28*journeys.Day), minutes(28*24*60, 100, 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewSeries(bs); err != nil {
			b.Fatal(err)
		}
	}
}

// An evaluation encodes as JSON for the API and the alert history: no
// NaN or infinity hides in it, even without data.
func TestEvaluationJSON(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-29T00:00:00Z")
	for _, s := range []Series{{}, benchSeries(t, now, false)} {
		ev := Evaluate(Prior{}, Inputs{Series: s, Window: Month(nil), Objective: 0.995, MinEvents: 10}, now)
		require.NoError(t, ev.Err)
		_, err := json.Marshal(ev)
		require.NoError(t, err)
	}
	ev := Evaluate(Prior{State: StateOK}, Inputs{Series: benchSeries(t, now, false), Window: Rolling(28*journeys.Day, nil), Objective: 0.99, MinEvents: 100}, now)
	// A steady burn of 1 spends the budget exactly over the window: the
	// slowest ticket pair fires.
	require.Equal(t, StateTicket, ev.State)
	require.Equal(t, "burn 1× over 67h12m and 1× over 5h36m reach 1×", ev.Reason)
	require.Equal(t, Counts{Good: 27*24*5940 + 24*60*99, Total: 27*24*6000 + 24*60*100}, ev.Budget.Events)
	require.InDelta(t, 0, ev.Budget.Remaining, 1e-12)
	require.Equal(t, ForecastExhausted, ev.Forecast.Outcome)
}
