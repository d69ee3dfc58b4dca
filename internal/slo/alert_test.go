package slo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

// A scripted incident on 100 events a minute at a 99% objective: an hour
// of calm, an hour at 20% bad (burn 20), six hours at 4% (burn 4), then
// calm again.
func TestEvaluateTimeline(t *testing.T) {
	t.Parallel()
	t0 := utc("2026-06-01T00:00:00Z")
	s := series(t, t0, minutes(60, 100, 0), minutes(60, 100, 20), minutes(360, 100, 4), minutes(480, 100, 0))
	in := Inputs{Series: s, Window: Rolling(30*journeys.Day, nil), Objective: 0.99, MinEvents: 100}

	type step struct {
		at         time.Duration // after t0
		state      State
		transition *Transition
		reason     string
		firing     []int // indexes of firing pairs
	}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	steps := []step{
		{at: time.Hour, state: StateOK, reason: "no alert window burns at its threshold"},
		// 1h: 50 minutes at 20% → 1000 bad of 6000 → 16.67; 5m: 20. The
		// longer windows hold only the 110 minutes since t0: 9.09.
		{at: time.Hour + 50*time.Minute, state: StatePage,
			transition: &Transition{From: StateOK, To: StatePage, At: at(time.Hour + 50*time.Minute), Event: EventFiring},
			reason:     "burn 16.67× over 1h and 20× over 5m reach 14.4×", firing: []int{0, 1, 2, 3}},
		// 6h: 1680 bad of 24000 → 7 but 30m only 4; 1d 7 and 2h 4 → ticket;
		// 3d 7 and 6h 7 → ticket.
		{at: 4 * time.Hour, state: StateTicket,
			transition: &Transition{From: StatePage, To: StateTicket, At: at(4 * time.Hour), Event: EventDeescalated},
			reason:     "burn 7× over 24h and 4× over 2h reach 3×", firing: []int{2, 3}},
		// 2h: 240 bad of 12000 → 2; 3d: 2640 of 54000 → 4.89, 6h: 1200
		// of 36000 → 3.33: still a ticket, no transition.
		{at: 9 * time.Hour, state: StateTicket,
			reason: "burn 4.89× over 3d and 3.33× over 6h reach 1×", firing: []int{3}},
		// The last 6h are calm: every short window burns 0.
		{at: 15 * time.Hour, state: StateOK,
			transition: &Transition{From: StateTicket, To: StateOK, At: at(15 * time.Hour), Event: EventResolved},
			reason:     "no alert window burns at its threshold"},
		{at: 16 * time.Hour, state: StateOK, reason: "no alert window burns at its threshold"},
	}
	var prev Prior // never evaluated
	for _, st := range steps {
		ev := Evaluate(prev, in, at(st.at))
		require.NoError(t, ev.Err)
		require.Equal(t, at(st.at), ev.At)
		require.Equal(t, st.state, ev.State, "at +%s", st.at)
		require.Equal(t, st.transition, ev.Transition, "at +%s", st.at)
		require.Equal(t, st.reason, ev.Reason, "at +%s", st.at)
		var firing []int
		for i, p := range ev.Pairs {
			if p.Fires {
				firing = append(firing, i)
			}
		}
		require.Equal(t, st.firing, firing, "at +%s", st.at)
		prev = ev.Hold
	}

	// The numbers behind the last evaluation: 90000 events, 2640 bad.
	ev := Evaluate(Prior{State: StateOK}, in, at(15*time.Hour))
	require.Equal(t, Counts{Good: 87360, Total: 90000}, ev.Budget.Events)
	require.InDelta(t, 87360.0/90000, ev.Budget.SLI, 1e-12)
	require.InDelta(t, 1-2640.0/90000/0.01, ev.Budget.Remaining, 1e-12)
	require.Equal(t, ForecastExhausted, ev.Forecast.Outcome)
	require.Equal(t, ScaledPairs(30 * journeys.Day)[3], ev.Pairs[3].BurnPair)
	require.Equal(t, Counts{Good: 87360, Total: 90000}, ev.Pairs[3].LongBurn.Events)
	require.Equal(t, Counts{Good: 36000, Total: 36000}, ev.Pairs[3].ShortBurn.Events)
}

func TestEvaluateTraffic(t *testing.T) {
	t.Parallel()
	t0 := utc("2026-06-01T00:00:00Z")
	// Three days at 100 events a minute, two hours at 1 a minute, then
	// busy again; the last busy hour at 50% bad.
	s := series(t, t0, minutes(4320, 100, 0), minutes(120, 1, 0), minutes(60, 100, 0), minutes(60, 100, 50))
	in := Inputs{Series: s, Window: Rolling(30*journeys.Day, nil), Objective: 0.99, MinEvents: 1000}
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	tests := []struct {
		name       string
		prev       State
		at         time.Duration
		state      State
		transition *Transition
		reason     string
	}{
		{"busy and calm", StateOK, 72 * time.Hour, StateOK, nil, "no alert window burns at its threshold"},
		{"traffic drops", StateOK, 74 * time.Hour, StateInsufficientTraffic,
			&Transition{From: StateOK, To: StateInsufficientTraffic, At: at(74 * time.Hour), Event: EventInsufficientTraffic},
			"only 60 events in the last 1h, need 1000 to alert"},
		{"traffic back", StateInsufficientTraffic, 75 * time.Hour, StateOK,
			&Transition{From: StateInsufficientTraffic, To: StateOK, At: at(75 * time.Hour), Event: EventTrafficRestored},
			"no alert window burns at its threshold"},
		{"firing out of insufficient traffic", StateInsufficientTraffic, 76 * time.Hour, StatePage,
			&Transition{From: StateInsufficientTraffic, To: StatePage, At: at(76 * time.Hour), Event: EventFiring},
			"burn 50× over 1h and 50× over 5m reach 14.4×"},
		{"escalated from a ticket", StateTicket, 76 * time.Hour, StatePage,
			&Transition{From: StateTicket, To: StatePage, At: at(76 * time.Hour), Event: EventEscalated},
			"burn 50× over 1h and 50× over 5m reach 14.4×"},
		{"a page goes quiet for lack of traffic", StatePage, 74 * time.Hour, StateInsufficientTraffic,
			&Transition{From: StatePage, To: StateInsufficientTraffic, At: at(74 * time.Hour), Event: EventInsufficientTraffic},
			"only 60 events in the last 1h, need 1000 to alert"},
		{"unchanged page", StatePage, 76 * time.Hour, StatePage, nil, "burn 50× over 1h and 50× over 5m reach 14.4×"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := Evaluate(Prior{State: tt.prev}, in, at(tt.at))
			require.NoError(t, ev.Err)
			require.Equal(t, tt.state, ev.State)
			require.Equal(t, tt.transition, ev.Transition)
			require.Equal(t, tt.reason, ev.Reason)
		})
	}
}

func TestEventOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to State
		want     Event
	}{
		{StateOK, StateTicket, EventFiring},
		{StateOK, StatePage, EventFiring},
		{StateInsufficientTraffic, StateTicket, EventFiring},
		{StateInsufficientTraffic, StatePage, EventFiring},
		{StateTicket, StatePage, EventEscalated},
		{StatePage, StateTicket, EventDeescalated},
		{StateTicket, StateOK, EventResolved},
		{StatePage, StateOK, EventResolved},
		{StateOK, StateInsufficientTraffic, EventInsufficientTraffic},
		{StateTicket, StateInsufficientTraffic, EventInsufficientTraffic},
		{StatePage, StateInsufficientTraffic, EventInsufficientTraffic},
		{StateInsufficientTraffic, StateOK, EventTrafficRestored},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, eventOf(tt.from, tt.to), "%s → %s", tt.from, tt.to)
	}
}

func TestEvaluateCalendarUsesTheWorkbookTable(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-11T00:00:00Z")
	s := series(t, utc("2026-06-01T00:00:00Z"), hours(1, 100, 72), hours(215, 100, 0), hours(24, 100, 2))
	// A burn of 2 over the last day tickets on a week's 16h48m/1h24m pair,
	// not on a month's 3d/6h one (3d: 48 bad of 7200 → 0.67).
	for _, tt := range []struct {
		w     Window
		state State
	}{{Month(nil), StateOK}, {Week(time.Monday, nil), StateTicket}} {
		ev := Evaluate(Prior{State: StateOK}, Inputs{Series: s, Window: tt.w, Objective: 0.99}, now)
		require.NoError(t, ev.Err)
		require.Len(t, ev.Pairs, 4)
		want := ScaledPairs(tt.w.Nominal())
		for i := range want {
			require.Equal(t, want[i], ev.Pairs[i].BurnPair)
		}
		require.Equal(t, tt.state, ev.State, tt.w.String())
	}
	ev := Evaluate(Prior{State: StateOK}, Inputs{Series: s, Window: Month(nil), Objective: 0.99}, now)
	require.Equal(t, time.Hour, ev.Pairs[0].Long)
	require.Equal(t, utc("2026-06-16T00:00:00Z"), ev.Forecast.At)
	require.Equal(t, "at the last 24h's burn the budget runs out on 16 Jun 00:00", ev.Forecast.Sentence())
	require.Equal(t, Counts{Good: 23880, Total: 24000}, ev.Budget.Events)

	// A custom table and lookback.
	pairs := []BurnPair{{Severity: SeverityTicket, Long: 24 * time.Hour, Short: time.Hour, Threshold: 2}}
	ev = Evaluate(Prior{State: StateOK}, Inputs{Series: s, Window: Month(nil), Objective: 0.99, Pairs: pairs, Lookback: 48 * time.Hour}, now)
	require.NoError(t, ev.Err)
	require.Equal(t, StateTicket, ev.State)
	require.Equal(t, "burn 2× over 24h and 2× over 1h reach 2×", ev.Reason)
	require.Equal(t, 48*time.Hour, ev.Forecast.Burn.Window)
	require.InDelta(t, 1, ev.Forecast.Burn.Rate, 1e-12)
}

func TestEvaluateInvalid(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-11T00:00:00Z")
	good := Inputs{Window: Rolling(28*journeys.Day, nil), Objective: 0.99}
	tests := []struct {
		name  string
		prev  State
		in    Inputs
		state State
		err   string
	}{
		{"unknown previous state", "paging", good, StateOK, `evaluate SLO: unknown previous state "paging"`},
		{"objective 1 keeps the page", StatePage, Inputs{Window: good.Window, Objective: 1},
			StatePage, "evaluate SLO: objective 1 must be between 0 and 1, exclusive, e.g. 0.995"},
		{"zero window", StateTicket, Inputs{Objective: 0.99}, StateTicket, "evaluate SLO: rolling SLO window 0s must be positive"},
		{"negative minimum", StateOK, Inputs{Window: good.Window, Objective: 0.99, MinEvents: -5},
			StateOK, "evaluate SLO: minimum events -5 must not be negative"},
		{"negative lookback", StateOK, Inputs{Window: good.Window, Objective: 0.99, Lookback: -time.Hour},
			StateOK, "evaluate SLO: forecast lookback -1h0m0s must be positive"},
		{"empty table", StateOK, Inputs{Window: good.Window, Objective: 0.99, Pairs: []BurnPair{}},
			StateOK, "evaluate SLO: alert table has no window pairs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := Evaluate(Prior{State: tt.prev}, tt.in, now)
			require.EqualError(t, ev.Err, tt.err)
			require.Equal(t, tt.state, ev.State)
			require.Nil(t, ev.Transition)
		})
	}
}
