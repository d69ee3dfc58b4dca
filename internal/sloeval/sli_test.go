package sloeval_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

// TestSLIOfEachKind evaluates one SLO of each kind over hand-built rollups
// and checks the events to the unit, and the budget built on them.
func TestSLIOfEachKind(t *testing.T) {
	t.Parallel()
	w := dur(30 * day)
	j := shopJourney(
		journeys.SLO{Name: "s3-latency", Step: "s3", Kind: journeys.SLOLatency, Threshold: dur(300 * time.Millisecond), Objective: 0.9, Window: w},
		journeys.SLO{Name: "s1-latency", Step: "s1", Kind: journeys.SLOLatency, Threshold: dur(time.Second), Objective: 0.95, Window: w},
		journeys.SLO{Name: "s2-success", Step: "s2", Kind: journeys.SLOSuccess, Objective: 0.9, Window: w},
		journeys.SLO{Name: "journey-success", Kind: journeys.SLOSuccess, Objective: 0.99, Window: w},
		journeys.SLO{Name: "conversion", Kind: journeys.SLOConversion, Objective: 0.5, Window: w},
		journeys.SLO{Name: "conv-s2", Step: "s2", Kind: journeys.SLOConversion, Objective: 0.5, Window: w},
	)
	f := setup(t, j, alerttest.Options{})
	// Rollups count s1 spans ≤1s and s3 spans ≤300ms exactly.
	require.Equal(t, [][]time.Duration{{time.Second}, nil, {300 * time.Millisecond}}, rollup.Thresholds(j))

	row := func(k int, minute int, spans, errs int64, good ...int64) rollup.StepRow {
		return rollup.StepRow{Step: k, Bucket: at(time.Duration(minute) * time.Minute), Width: time.Minute,
			Spans: spans, Errors: errs, Good: good, Latency: &sketch.Sketch{}}
	}
	// A row written before the SLOs existed has no threshold counts: its
	// good events come from the sketch (5 spans of 100ms, 5 of 2s).
	old := row(2, -3, 10, 0)
	old.Latency = &sketch.Sketch{}
	for i := 0; i < 5; i++ {
		old.Latency.Add(100 * time.Millisecond)
		old.Latency.Add(2 * time.Second)
	}
	steps := []rollup.StepRow{
		row(0, -10, 100, 3, 95), row(0, -9, 100, 7, 95),
		row(1, -10, 50, 5),
		row(2, -10, 40, 0, 30), row(2, -9, 40, 2, 30), row(2, -8, 20, 1, 10),
		old,
	}
	// Two cohorts whose 10-minute trace window closed by t0 (at -9m and
	// -8m), and one that closes after it.
	funnels := []rollup.FunnelRow{
		{Bucket: at(-20 * time.Minute), Width: time.Minute, Reached: []int64{10, 8, 5}, InFlight: []int64{0, 0, 0}, Errored: 2},
		{Bucket: at(-19 * time.Minute), Width: time.Minute, Reached: []int64{6, 4, 2}, InFlight: []int64{0, 0, 0}, Errored: 1},
		{Bucket: at(-10 * time.Minute), Width: time.Minute, Reached: []int64{7, 5, 3}, InFlight: []int64{4, 3, 0}},
	}
	f.write(t, at(-20*time.Minute), t0, steps, funnels)

	tests := []struct {
		slo         string
		good, total int64
		approximate bool
		objective   float64
	}{
		// s3: 30+30+10 exact, 5 of the sketch row.
		{"s3-latency", 75, 110, true, 0.9},
		{"s1-latency", 190, 200, false, 0.95},
		{"s2-success", 45, 50, false, 0.9},
		// Instances entered minus errored: (10-2) + (6-1) + 7.
		{"journey-success", 20, 23, false, 0.99},
		// Reaching the last step over entered, of the closed cohorts only:
		// (5+2) / (10+6); the cohort at -10m closes at t0+1m.
		{"conversion", 7, 16, false, 0.5},
		// Reaching s2: (8+4) / 16.
		{"conv-s2", 12, 16, false, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.slo, func(t *testing.T) {
			t.Parallel()
			st, err := f.svc.SLOStatus(f.ctx, "shop", tt.slo, t0)
			require.NoError(t, err)
			require.Equal(t, tt.good, st.Good)
			require.Equal(t, tt.total, st.Total)
			require.Equal(t, tt.approximate, st.Approximate)
			require.InDelta(t, float64(tt.good)/float64(tt.total), st.SLI, 1e-15)
			eb := 1 - tt.objective
			require.InDelta(t, 1-float64(tt.total-tt.good)/float64(tt.total)/eb, st.Budget.Remaining, 1e-9)
			require.Equal(t, t0, st.DataThrough)
			require.False(t, st.Stale)
			// The 1h alert window holds every row.
			require.Equal(t, tt.total, st.Pairs[0].LongBurn.Events.Total)
			if tt.slo == "conversion" || tt.slo == "conv-s2" {
				require.Equal(t, 10*time.Minute, st.CohortDelay)
				require.Equal(t, "conversion counts a journey once its 10m correlation window has closed: these numbers are 10m old, of the journeys that entered before 9 Mar 23:50 UTC", st.DataNote)
			} else {
				require.Zero(t, st.CohortDelay)
				require.Empty(t, st.DataNote)
			}
		})
	}
}

// TestMinimumTrafficGuard: 50 failing payments in the last hour page only
// when the SLO's guard allows 50 events to judge. The guard is the SLO's
// minEvents, else one stored with SetMinEvents before minEvents existed,
// else the default.
func TestMinimumTrafficGuard(t *testing.T) {
	t.Parallel()
	def := paySLO
	def.ResolveAfter = journeys.NewDuration(0)
	f := setup(t, shopJourney(def), alerttest.Options{})
	f.write(t, at(-50*time.Minute), t0, rows(1, at(-50*time.Minute), t0, time.Minute, 1, 1), nil)
	steps := []struct {
		minEvents journeys.Count // of the journey
		legacy    int64          // stored with SetMinEvents; -1 for none
		want      int64
		source    string
		state     slo.State
		event     slo.Event // of the transition, "" for none
		reason    string
	}{
		{journeys.Count{}, -1, sloeval.DefaultMinEvents, sloeval.GuardFromDefault, slo.StateInsufficientTraffic, slo.EventInsufficientTraffic,
			"only 50 events in the last 1h, need 100 to alert"},
		{journeys.NewCount(50), -1, 50, sloeval.GuardFromJourney, slo.StatePage, slo.EventFiring, "burn 100× over 1h and 100× over 5m reach 14.4×"},
		{journeys.NewCount(51), -1, 51, sloeval.GuardFromJourney, slo.StateInsufficientTraffic, slo.EventInsufficientTraffic,
			"only 50 events in the last 1h, need 51 to alert"},
		{journeys.NewCount(51), -1, 51, sloeval.GuardFromJourney, slo.StateInsufficientTraffic, "", "only 50 events in the last 1h, need 51 to alert"},
		// 0 turns the guard off.
		{journeys.NewCount(0), -1, 0, sloeval.GuardFromJourney, slo.StatePage, slo.EventFiring, "burn 100× over 1h and 100× over 5m reach 14.4×"},
		// A guard stored the old way applies while the SLO sets none...
		{journeys.Count{}, 60, 60, sloeval.GuardFromLegacySetting, slo.StateInsufficientTraffic, slo.EventInsufficientTraffic,
			"only 50 events in the last 1h, need 60 to alert"},
		// ...and the SLO's own wins over it.
		{journeys.NewCount(40), 60, 40, sloeval.GuardFromJourney, slo.StatePage, slo.EventFiring, "burn 100× over 1h and 100× over 5m reach 14.4×"},
	}
	for i, st := range steps {
		d := def
		d.MinEvents = st.minEvents
		_, _, err := f.journeys.PutJourney(f.ctx, shopJourney(d), "test")
		require.NoError(t, err)
		if st.legacy >= 0 {
			require.NoError(t, f.svc.SetMinEvents(f.ctx, "shop", def.Name, st.legacy))
		}
		f.clock.Set(at(time.Duration(i) * time.Second))
		out := f.evaluate(t, def.Name)
		require.Equal(t, st.state, out.State, "step %d", i)
		require.Equal(t, st.reason, out.Reason, "step %d", i)
		n, err := f.svc.MinEvents(f.ctx, "shop", def.Name)
		require.NoError(t, err)
		require.Equal(t, st.want, n, "step %d", i)
		status, err := f.svc.SLOStatus(f.ctx, "shop", def.Name, f.clock.Now())
		require.NoError(t, err)
		require.Equal(t, st.want, status.MinEvents, "step %d", i)
		require.Equal(t, st.source, status.MinEventsSource, "step %d", i)
		if st.event == "" {
			require.Nil(t, out.Transition, "step %d", i)
			continue
		}
		require.NotNil(t, out.Transition, "step %d", i)
		require.Equal(t, st.event, out.Transition.Event, "step %d", i)
		ev := f.lastEvaluation(t, def.Name)
		require.Equal(t, st.want, ev.MinEvents)
		require.Equal(t, int64(50), ev.Numbers.Pairs[0].LongBurn.Events.Total)
		require.Equal(t, st.want <= 50, ev.Numbers.Pairs[0].EnoughTraffic)
	}
	require.NoError(t, f.svc.ResetMinEvents(f.ctx, "shop", def.Name))
	_, _, err := f.journeys.PutJourney(f.ctx, shopJourney(def), "test")
	require.NoError(t, err)
	n, err := f.svc.MinEvents(f.ctx, "shop", def.Name)
	require.NoError(t, err)
	require.Equal(t, int64(sloeval.DefaultMinEvents), n)

	require.ErrorIs(t, f.svc.SetMinEvents(f.ctx, "shop", def.Name, -1), fault.ErrInvalid)
	require.ErrorIs(t, f.svc.SetMinEvents(f.ctx, "shop", "nope", 5), fault.ErrNotFound)
	require.ErrorIs(t, f.svc.SetMinEvents(f.ctx, "nope", def.Name, 5), fault.ErrNotFound)
}

// TestStaleRollupsKeepTheState: when rollups stop arriving, an alert
// neither resolves nor fires; evaluations say why.
func TestStaleRollupsKeepTheState(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(burstSLO), alerttest.Options{})
	burst(t, f)
	require.Equal(t, slo.StatePage, f.evaluate(t, burstSLO.Name).State)

	f.clock.Set(at(6 * time.Minute))
	out := f.evaluate(t, burstSLO.Name)
	require.True(t, out.Stale)
	require.Equal(t, slo.StatePage, out.State)
	require.Nil(t, out.Transition)
	require.Equal(t, "rollups are stale: complete through 2025-03-10 00:00 UTC, 6m ago (limit 5m)", out.Reason)
	ev := f.lastEvaluation(t, burstSLO.Name)
	require.True(t, ev.Stale)
	require.Equal(t, t0, ev.DataThrough)
	require.Equal(t, int64(3000), ev.Total, "the numbers are still those of the data there is")

	// A failing rollup says why in the reason.
	require.NoError(t, f.rollups.RecordFailure(f.ctx, "shop", f.version, at(6*time.Minute), errTempo))
	f.clock.Set(at(7 * time.Minute))
	out = f.evaluate(t, burstSLO.Name)
	require.Equal(t, "rollups are stale: complete through 2025-03-10 00:00 UTC, 7m ago (limit 5m); last run failed: tempo: 503 Service Unavailable", out.Reason)

	// Fresh, clean rollups again: resolved.
	f.write(t, t0, at(20*time.Minute), rows(1, t0, at(20*time.Minute), time.Minute, 100, 0), nil)
	f.clock.Set(at(20 * time.Minute))
	out = f.evaluate(t, burstSLO.Name)
	require.False(t, out.Stale)
	require.Equal(t, slo.StateOK, out.State)
	require.Equal(t, slo.EventResolved, out.Transition.Event)
}

type staticErr string

func (e staticErr) Error() string { return string(e) }

const errTempo = staticErr("tempo: 503 Service Unavailable")

// TestNeverRolledUp: a journey without rollups is stale and starts ok.
func TestNeverRolledUp(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(paySLO), alerttest.Options{})
	f.clock.Set(at(90 * time.Second))
	out := f.evaluate(t, paySLO.Name)
	require.True(t, out.Stale)
	require.Equal(t, slo.StateOK, out.State)
	require.Equal(t, "no rollups yet", out.Reason)
	ev := f.lastEvaluation(t, paySLO.Name)
	require.Equal(t, at(time.Minute), ev.DataThrough)
	require.Equal(t, int64(0), ev.Total)
}

func TestEvaluateUnknown(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(paySLO), alerttest.Options{})
	_, err := f.svc.EvaluateSLO(f.ctx, "nope", paySLO.Name, t0, nil)
	require.ErrorIs(t, err, fault.ErrNotFound)
	_, err = f.svc.EvaluateSLO(f.ctx, "shop", "nope", t0, nil)
	require.ErrorIs(t, err, fault.ErrNotFound)
	_, err = f.svc.SLOStatus(f.ctx, "shop", "nope", t0)
	require.ErrorIs(t, err, fault.ErrNotFound)
	_, err = f.svc.JourneySLOStates(f.ctx, "nope")
	require.ErrorIs(t, err, fault.ErrNotFound)
}

// TestOlderEvaluationIsSkipped: a process whose clock lags cannot
// overwrite a newer evaluation.
func TestOlderEvaluationIsSkipped(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(burstSLO), alerttest.Options{})
	burst(t, f)
	out := f.evaluate(t, burstSLO.Name)
	require.Equal(t, slo.StatePage, out.State)
	old, err := f.svc.EvaluateSLO(f.ctx, "shop", burstSLO.Name, at(-time.Minute), f.queued.enqueue)
	require.NoError(t, err)
	require.True(t, old.Skipped)
	require.Zero(t, old.EvaluationID)
}
