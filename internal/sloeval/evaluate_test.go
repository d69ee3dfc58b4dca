package sloeval_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

// history writes the background traffic of step s2: 240 000 clean spans
// a day from t0-29d to t0-3d (26 daily rows), then 1 000 clean spans an
// hour until t0 (72 hourly rows): 6 312 000 events.
func history(t *testing.T, f *fixture) {
	t.Helper()
	steps := append(rows(1, at(-29*day), at(-3*day), day, 240_000, 0), rows(1, at(-3*day), t0, time.Hour, 1000, 0)...)
	f.write(t, at(-29*day), t0, steps, nil)
}

type pairWant struct {
	longTotal, longBad, shortTotal, shortBad int64
	fires                                    bool
}

func requirePairs(t *testing.T, got []slo.PairStatus, want []pairWant) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, w := range want {
		p := got[i]
		require.Equal(t, w.longTotal, p.LongBurn.Events.Total, "pair %d long total", i)
		require.Equal(t, w.longBad, p.LongBurn.Events.Bad(), "pair %d long bad", i)
		require.Equal(t, w.shortTotal, p.ShortBurn.Events.Total, "pair %d short total", i)
		require.Equal(t, w.shortBad, p.ShortBurn.Events.Bad(), "pair %d short bad", i)
		if w.longTotal > 0 {
			require.InDelta(t, float64(w.longBad)/float64(w.longTotal)/0.01, p.LongBurn.Rate, 1e-9, "pair %d long burn", i)
		}
		if w.shortTotal > 0 {
			require.InDelta(t, float64(w.shortBad)/float64(w.shortTotal)/0.01, p.ShortBurn.Rate, 1e-9, "pair %d short burn", i)
		}
		require.Equal(t, w.fires, p.Fires, "pair %d fires", i)
	}
}

// TestAlertTimeline scripts an incident: clean traffic, then every fifth
// payment failing for ten minutes (page), then 3% failing for an hour
// (ticket), then six clean hours (resolved). Every evaluation is checked
// to the event. The SLO resolves at once (resolveAfter: 0s), so that each
// phase shows in one evaluation; the hold has tests of its own.
func TestAlertTimeline(t *testing.T) {
	t.Parallel()
	def := paySLO
	def.ResolveAfter = journeys.NewDuration(0)
	f := setup(t, shopJourney(def), alerttest.Options{})
	history(t, f)
	name := def.Name
	pairs := slo.ScaledPairs(30 * day)
	require.Equal(t, slo.WorkbookPairs(), pairs)

	// Deploys: the latest of a journey service within 30 minutes before
	// the alert is the one named.
	for _, in := range []deploy.DeploymentInput{
		{Service: "shop", Version: "1.4.9", At: at(-25 * time.Minute)},
		{Service: "shop", Version: "1.5.0", Environment: "production", At: at(-5 * time.Minute), URL: "https://ci.example.com/runs/42"},
		{Service: "search", Version: "7.0.0", At: at(5 * time.Minute)},
	} {
		_, err := f.svc.CreateDeployment(f.ctx, in)
		require.NoError(t, err)
	}

	// E0 at t0: history only, in hourly rows, so that the 5m window of
	// the first pair holds none of the hour's 1000 events: too little
	// traffic to judge (the short window needs 9, see slo.ShortMinEvents).
	out := f.evaluate(t, name)
	require.Equal(t, slo.StateInsufficientTraffic, out.State)
	require.Equal(t, "no events in the last 5m, need 9 to alert", out.Reason)
	require.Equal(t, slo.EventInsufficientTraffic, out.Transition.Event)
	ev := f.lastEvaluation(t, name)
	require.Equal(t, t0, ev.At)
	require.Equal(t, t0, ev.DataThrough)
	require.Equal(t, int64(6_312_000), ev.Total)
	require.Equal(t, int64(6_312_000), ev.Good)
	require.Equal(t, 1.0, ev.SLI)
	require.Equal(t, 1.0, ev.BudgetRemaining)
	require.Equal(t, int64(sloeval.DefaultMinEvents), ev.MinEvents)
	requirePairs(t, ev.Numbers.Pairs, []pairWant{
		{1000, 0, 0, 0, false},     // 1h: the row of t0-1h; 5m: none
		{6000, 0, 0, 0, false},     // 6h: six hourly rows; 30m: none
		{24000, 0, 2000, 0, false}, // 1d; 2h: the rows of t0-2h and t0-1h
		{72000, 0, 6000, 0, false}, // 3d; 6h
	})

	// Phase A: [t0, t0+10m) 1000 payments a minute, 200 failing.
	f.write(t, t0, at(10*time.Minute), rowsWithExemplars(), nil)
	f.clock.Set(at(10 * time.Minute))
	out = f.evaluate(t, name)
	require.Equal(t, slo.StatePage, out.State)
	require.NotNil(t, out.Transition)
	tr := out.Transition
	require.Equal(t, slo.StateInsufficientTraffic, tr.From)
	require.Equal(t, slo.StatePage, tr.To)
	require.Equal(t, slo.EventFiring, tr.Event)
	require.Equal(t, at(10*time.Minute), tr.At)
	require.Equal(t, t0, tr.FromSince)
	require.Equal(t, at(10*time.Minute), tr.AlertStartedAt)
	require.Equal(t, "burn 20× over 1h and 20× over 5m reach 14.4×", tr.Reason)
	require.Equal(t, int64(6_322_000), tr.Total)
	require.Equal(t, int64(6_320_000), tr.Good)
	require.InDelta(t, 6_320_000.0/6_322_000, tr.SLI, 1e-15)
	require.InDelta(t, 1-2000.0/6_322_000/0.01, tr.BudgetRemaining, 1e-12)
	requirePairs(t, tr.Numbers.Pairs, []pairWant{
		{10_000, 2000, 5000, 1000, true},   // 20 and 20 ≥ 14.4
		{15_000, 2000, 10_000, 2000, true}, // 13.33 and 20 ≥ 6
		{33_000, 2000, 11_000, 2000, true}, // 6.06 and 18.18 ≥ 3
		{81_000, 2000, 15_000, 2000, true}, // 2.47 and 13.33 ≥ 1
	})
	require.NotNil(t, tr.Deployment)
	require.Equal(t, "1.5.0", tr.Deployment.Version)
	require.Equal(t, "production", tr.Deployment.Environment)
	require.Equal(t, def, tr.Definition)
	require.Equal(t, "Shop checkout", tr.JourneyName)
	// The latest errored traces of step s2 in the last hour; step s1's
	// error is not this SLO's.
	require.Equal(t, []sloeval.Exemplar{
		{TraceID: rolluptest.TraceID(0xa2), Step: "s2", Start: at(9*time.Minute + 30*time.Second), Duration: 120 * time.Millisecond, Error: true},
		{TraceID: rolluptest.TraceID(0xa1), Step: "s2", Start: at(8*time.Minute + 10*time.Second), Duration: 90 * time.Millisecond, Error: true},
	}, tr.Exemplars)

	// E1b at t0+15m: the burn eased (30 failing a minute since t0+10m)
	// but the 6h/30m page pair still fires: no transition.
	f.write(t, at(10*time.Minute), at(15*time.Minute), rows(1, at(10*time.Minute), at(15*time.Minute), time.Minute, 1000, 30), nil)
	f.clock.Set(at(15 * time.Minute))
	out = f.evaluate(t, name)
	require.Equal(t, slo.StatePage, out.State)
	require.Nil(t, out.Transition)
	ev = f.lastEvaluation(t, name)
	requirePairs(t, ev.Numbers.Pairs, []pairWant{
		{15_000, 2150, 5000, 150, false},   // 14.33 but 3 over 5m
		{20_000, 2150, 15_000, 2150, true}, // 10.75 and 14.33 ≥ 6
		{38_000, 2150, 16_000, 2150, true},
		{86_000, 2150, 20_000, 2150, true},
	})

	// Phase B until t0+70m: 30 failing a minute. E2: page → ticket.
	f.write(t, at(15*time.Minute), at(70*time.Minute), rows(1, at(15*time.Minute), at(70*time.Minute), time.Minute, 1000, 30), nil)
	f.clock.Set(at(70 * time.Minute))
	out = f.evaluate(t, name)
	require.Equal(t, slo.StateTicket, out.State)
	tr = out.Transition
	require.NotNil(t, tr)
	require.Equal(t, slo.StatePage, tr.From)
	require.Equal(t, slo.StateTicket, tr.To)
	require.Equal(t, slo.EventDeescalated, tr.Event)
	require.Equal(t, at(10*time.Minute), tr.FromSince)
	require.Equal(t, at(10*time.Minute), tr.AlertStartedAt, "the alert started when it first fired")
	require.Equal(t, "burn 4.13× over 24h and 5.43× over 2h reach 3×", tr.Reason)
	require.Equal(t, int64(6_382_000), tr.Total)
	require.Equal(t, int64(6_382_000-3800), tr.Good)
	require.InDelta(t, 1-3800.0/6_382_000/0.01, tr.BudgetRemaining, 1e-12)
	requirePairs(t, tr.Numbers.Pairs, []pairWant{
		{60_000, 1800, 5000, 150, false},   // 3 and 3
		{74_000, 3800, 30_000, 900, false}, // 5.14 and 3
		{92_000, 3800, 70_000, 3800, true}, // 4.13 and 5.43 ≥ 3
		{140_000, 3800, 74_000, 3800, true},
	})
	require.NotNil(t, tr.Deployment)
	require.Equal(t, "1.5.0", tr.Deployment.Version, "the alert keeps its deploy")

	// Phase C: six clean hours. E3 at t0+430m: resolved.
	f.write(t, at(70*time.Minute), at(430*time.Minute), rows(1, at(70*time.Minute), at(430*time.Minute), time.Minute, 1000, 0), nil)
	f.clock.Set(at(430 * time.Minute))
	out = f.evaluate(t, name)
	require.Equal(t, slo.StateOK, out.State)
	tr = out.Transition
	require.NotNil(t, tr)
	require.Equal(t, slo.StateTicket, tr.From)
	require.Equal(t, slo.StateOK, tr.To)
	require.Equal(t, slo.EventResolved, tr.Event)
	require.Equal(t, at(70*time.Minute), tr.FromSince)
	require.Equal(t, "no alert window burns at its threshold", tr.Reason)
	require.Equal(t, int64(6_742_000), tr.Total)
	require.InDelta(t, 1-3800.0/6_742_000/0.01, tr.BudgetRemaining, 1e-12)
	requirePairs(t, tr.Numbers.Pairs, []pairWant{
		{60_000, 0, 5000, 0, false},
		{360_000, 0, 30_000, 0, false},
		{446_000, 3800, 120_000, 0, false}, // 0.85
		{494_000, 3800, 360_000, 0, false}, // 0.77
	})
	require.Equal(t, "1.5.0", tr.Deployment.Version)
	require.Empty(t, tr.Exemplars)

	// The history, newest first.
	trs, err := f.svc.Transitions(f.ctx, sloeval.TransitionFilter{Journey: "shop"})
	require.NoError(t, err)
	var events []slo.Event
	for _, x := range trs {
		events = append(events, x.Event)
	}
	require.Equal(t, []slo.Event{slo.EventResolved, slo.EventDeescalated, slo.EventFiring, slo.EventInsufficientTraffic}, events)

	// One stored evaluation per evaluation, oldest first.
	evs, err := f.svc.Evaluations(f.ctx, "shop", name, time.Time{}, at(day), 0)
	require.NoError(t, err)
	var states []slo.State
	for _, e := range evs {
		states = append(states, e.State)
	}
	require.Equal(t, []slo.State{slo.StateInsufficientTraffic, slo.StatePage, slo.StatePage, slo.StateTicket, slo.StateOK}, states)

	// The list badge reads the stored state.
	st, err := f.svc.JourneySLOStates(f.ctx, "shop")
	require.NoError(t, err)
	require.Len(t, st, 1)
	require.Equal(t, slo.StateOK, st[0].State)
	require.Equal(t, at(430*time.Minute), st[0].Since)
	require.Equal(t, int64(6_742_000), st[0].Total)
	require.Equal(t, "https://waymark.example.com/journeys/shop/slos/pay-success", st[0].Link)
}

// rowsWithExemplars is phase A: [t0, t0+10m) 1000 payments a minute on
// step s2, 200 of them failing, with two errored exemplars on s2 and one
// on s1.
func rowsWithExemplars() []rollup.StepRow {
	rs := rows(1, t0, at(10*time.Minute), time.Minute, 1000, 200)
	rs[8].Errored = []rollup.Exemplar{{TraceID: rolluptest.TraceID(0xa1), Start: at(8*time.Minute + 10*time.Second), Duration: 90 * time.Millisecond}}
	rs[9].Errored = []rollup.Exemplar{{TraceID: rolluptest.TraceID(0xa2), Start: at(9*time.Minute + 30*time.Second), Duration: 120 * time.Millisecond}}
	s1 := rows(0, at(9*time.Minute), at(10*time.Minute), time.Minute, 10, 1)
	s1[0].Errored = []rollup.Exemplar{{TraceID: rolluptest.TraceID(0xb1), Start: at(9*time.Minute + 50*time.Second), Duration: time.Second}}
	return append(rs, s1...)
}
