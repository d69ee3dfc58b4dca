package sloeval_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

func TestSLOStatus(t *testing.T) {
	t.Parallel()
	daySLO := journeys.SLO{Name: "s2-day", Step: "s2", Kind: journeys.SLOSuccess, Objective: 0.9, Window: dur(day)}
	f := setup(t, shopJourney(daySLO, paySLO), alerttest.Options{Options: sloeval.Options{BurnDownPoints: 4}})
	// 300 payments in one day, 15 failed: a 10% budget allows 30.
	steps := append(rows(1, at(-20*time.Hour), at(-20*time.Hour+time.Minute), time.Minute, 100, 5),
		rows(1, at(-10*time.Hour), at(-10*time.Hour+time.Minute), time.Minute, 100, 10)...)
	steps = append(steps, rows(1, at(-time.Hour), at(-time.Hour+time.Minute), time.Minute, 100, 0)...)
	f.write(t, at(-day), t0, steps, nil)

	st, err := f.svc.SLOStatus(f.ctx, "shop", daySLO.Name, t0)
	require.NoError(t, err)
	require.Equal(t, "Shop checkout", st.JourneyName)
	require.Equal(t, daySLO, st.Definition)
	require.Equal(t, "https://waymark.example.com/journeys/shop/slos/s2-day", st.Link)
	require.Equal(t, day, st.Window)
	require.Equal(t, int64(285), st.Good)
	require.Equal(t, int64(300), st.Total)
	require.InDelta(t, 0.95, st.SLI, 1e-15)
	require.InDelta(t, 0.5, st.Budget.Remaining, 1e-12)
	require.InDelta(t, 30, st.Budget.AllowedBad, 1e-9)
	// Never evaluated: the state shown is the live one. The 2-minute long
	// window of the first page pair holds no events.
	require.False(t, st.Evaluated)
	require.Equal(t, slo.StateInsufficientTraffic, st.State)
	require.Equal(t, "no events in the last 2m, need 100 to alert", st.StateReason)
	require.Equal(t, st.State, st.LiveState)
	require.Len(t, st.Pairs, 4)
	require.Equal(t, slo.ScaledPairs(day)[3], st.Pairs[3].BurnPair)
	// The last 24h burned at (15/300)/0.1 = 0.5: half the budget over a
	// whole window, which is what is left.
	require.Equal(t, slo.ForecastOutlasts, st.Forecast.Outcome)
	require.InDelta(t, 0.5, st.Forecast.Burn.Rate, 1e-12)
	require.Equal(t, "at the last 24h's burn the budget does not run out", st.ForecastSentence)
	// Burn-down in four 6-hour steps: the first failures at -20h spend a
	// sixth of the budget (5 of 30), those at -10h half of it.
	requirePoints(t, []sloeval.BurnDownPoint{
		{At: at(-day), Remaining: 1},
		{At: at(-18 * time.Hour), Good: 95, Total: 100, Remaining: 1 - 5.0/30},
		{At: at(-12 * time.Hour), Good: 95, Total: 100, Remaining: 1 - 5.0/30},
		{At: at(-6 * time.Hour), Good: 185, Total: 200, Remaining: 0.5},
		{At: t0, Good: 285, Total: 300, Remaining: 0.5},
	}, st.BurnDown)
	require.Empty(t, st.Transitions)
	require.Empty(t, st.Exemplars)

	// After an evaluation the stored state shows, with its history.
	require.Equal(t, slo.StateInsufficientTraffic, f.evaluate(t, daySLO.Name).State)
	st, err = f.svc.SLOStatus(f.ctx, "shop", daySLO.Name, t0)
	require.NoError(t, err)
	require.True(t, st.Evaluated)
	require.Equal(t, t0, st.StateSince)
	require.Len(t, st.Transitions, 1)
	require.Equal(t, slo.EventInsufficientTraffic, st.Transitions[0].Event)

	// Badges for every SLO, evaluated or not.
	all, err := f.svc.AllSLOStates(f.ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, "s2-day", all[0].SLO)
	require.True(t, all[0].Evaluated)
	require.Equal(t, slo.StateInsufficientTraffic, all[0].State)
	require.Equal(t, int64(300), all[0].Total)
	require.InDelta(t, 0.5, all[0].BudgetRemaining, 1e-12)
	require.Len(t, all[0].Pairs, 4)
	require.Equal(t, "pay-success", all[1].SLO)
	require.False(t, all[1].Evaluated)
	require.Equal(t, slo.State(""), all[1].State)
	require.Equal(t, 30*day, all[1].Window)
}

// requirePoints compares burn-down points, Remaining within float noise.
func requirePoints(t *testing.T, want, got []sloeval.BurnDownPoint) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.InDelta(t, want[i].Remaining, got[i].Remaining, 1e-12, "point %d", i)
		got[i].Remaining = want[i].Remaining
	}
	require.Equal(t, want, got)
}
