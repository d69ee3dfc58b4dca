package slo

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

// holdTable pages on 10× over 10m and 2m, tickets on 2× over 60m and 10m.
var holdTable = []BurnPair{
	{Severity: SeverityPage, Long: 10 * time.Minute, Short: 2 * time.Minute, Threshold: 10},
	{Severity: SeverityTicket, Long: time.Hour, Short: 10 * time.Minute, Threshold: 2},
}

// holdStep is what one evaluation is expected to say; minutes are after
// the series' start.
type holdStep struct {
	minute     int
	state      State
	burning    State
	event      Event // of the transition, "" for none
	clear      int   // Hold.ClearSince, -1 for zero
	pageClear  int   // Hold.PageClearSince, -1 for zero
	stepDown   *StepDown
	reasonPart string // a prefix of the reason, "" to skip
}

// replay evaluates the series every minute from 1 to last, feeding each
// evaluation's hold to the next, and checks the steps listed; every other
// minute must have no transition.
func replay(t *testing.T, s Series, start time.Time, after time.Duration, last int, steps []holdStep) {
	t.Helper()
	in := Inputs{Series: s, Window: Rolling(journeys.Day, nil), Objective: 0.99, MinEvents: 100, ResolveAfter: after, Pairs: holdTable}
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	opt := func(m int) time.Time {
		if m < 0 {
			return time.Time{}
		}
		return at(m)
	}
	want := map[int]holdStep{}
	for _, st := range steps {
		want[st.minute] = st
	}
	var prev Prior
	for m := 1; m <= last; m++ {
		ev := Evaluate(prev, in, at(m))
		require.NoError(t, ev.Err)
		st, ok := want[m]
		if !ok {
			require.Nil(t, ev.Transition, "minute %d: %s", m, ev.Reason)
			prev = ev.Hold
			continue
		}
		require.Equal(t, st.state, ev.State, "minute %d: %s", m, ev.Reason)
		require.Equal(t, st.burning, ev.Burning, "minute %d", m)
		require.Equal(t, Prior{State: st.state, ClearSince: opt(st.clear), PageClearSince: opt(st.pageClear)}, ev.Hold, "minute %d", m)
		require.Equal(t, st.stepDown, ev.StepDown, "minute %d", m)
		if st.event == "" {
			require.Nil(t, ev.Transition, "minute %d", m)
		} else {
			require.Equal(t, &Transition{From: prev.State, To: st.state, At: at(m), Event: st.event}, ev.Transition, "minute %d", m)
		}
		if st.reasonPart != "" {
			require.Equal(t, st.reasonPart, ev.Reason, "minute %d", m)
		}
		prev = ev.Hold
	}
}

// A five-minute burst at 50% bad from 01:00 on 100 events a minute pages
// at 01:02. The page pair's 2m short window is clean from 01:07, the
// ticket pair's 10m one from 01:15. With a 15-minute hold the page holds
// until 01:22, then de-escalates to a ticket whose own hold ends at 01:30.
func TestResolveHoldPageThenTicket(t *testing.T) {
	t.Parallel()
	t0 := utc("2026-06-01T00:00:00Z")
	s := series(t, t0, minutes(60, 100, 0), minutes(5, 100, 50), minutes(60, 100, 0))
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	replay(t, s, t0, 15*time.Minute, 120, []holdStep{
		{minute: 61, state: StateOK, burning: StateOK, clear: -1, pageClear: -1, reasonPart: "no alert window burns at its threshold"},
		// [52m, 62m) holds 100 bad of 1000: 10×; [60m, 62m) 50×.
		{minute: 62, state: StatePage, burning: StatePage, event: EventFiring, clear: -1, pageClear: -1,
			reasonPart: "burn 10× over 10m and 50× over 2m reach 10×"},
		{minute: 66, state: StatePage, burning: StatePage, clear: -1, pageClear: -1},
		// 01:07: the 2m window is clean, the ticket pair still fires.
		{minute: 67, state: StatePage, burning: StateTicket, clear: -1, pageClear: 67,
			stepDown:   &StepDown{To: StateTicket, At: at(82), Since: at(67)},
			reasonPart: "holding the page: no page window has burned at its threshold since 01:07 UTC; a ticket from 01:22 UTC unless one does (burn 4.17× over 1h and 25× over 10m reach 2×)"},
		// 01:15: no window burns any more.
		{minute: 75, state: StatePage, burning: StateOK, clear: 75, pageClear: 67,
			stepDown:   &StepDown{To: StateTicket, At: at(82), Since: at(67), ResolvesAt: at(90)},
			reasonPart: "holding the page: no page window has burned at its threshold since 01:07 UTC, no window since 01:15 UTC; a ticket from 01:22 UTC, resolved at 01:30 UTC, if none does"},
		{minute: 81, state: StatePage, burning: StateOK, clear: 75, pageClear: 67,
			stepDown: &StepDown{To: StateTicket, At: at(82), Since: at(67), ResolvesAt: at(90)}},
		{minute: 82, state: StateTicket, burning: StateOK, event: EventDeescalated, clear: 75, pageClear: -1,
			stepDown:   &StepDown{To: StateOK, At: at(90), Since: at(75), ResolvesAt: at(90)},
			reasonPart: "no page window has burned at its threshold for 15m, since 01:07 UTC; the ticket resolves at 01:30 UTC if no window burns"},
		{minute: 89, state: StateTicket, burning: StateOK, clear: 75, pageClear: -1,
			stepDown:   &StepDown{To: StateOK, At: at(90), Since: at(75), ResolvesAt: at(90)},
			reasonPart: "holding the ticket: no window has burned at its threshold since 01:15 UTC; resolves at 01:30 UTC if none does"},
		{minute: 90, state: StateOK, burning: StateOK, event: EventResolved, clear: -1, pageClear: -1,
			reasonPart: "no window has burned at its threshold for 15m, since 01:15 UTC"},
	})

	// Without a hold the same burst pages, de-escalates the minute the 2m
	// window is clean and resolves the minute the 10m one is.
	replay(t, s, t0, 0, 120, []holdStep{
		{minute: 62, state: StatePage, burning: StatePage, event: EventFiring, clear: -1, pageClear: -1},
		{minute: 67, state: StateTicket, burning: StateTicket, event: EventDeescalated, clear: -1, pageClear: -1,
			reasonPart: "burn 4.17× over 1h and 25× over 10m reach 2×"},
		{minute: 75, state: StateOK, burning: StateOK, event: EventResolved, clear: -1, pageClear: -1,
			reasonPart: "no alert window burns at its threshold"},
	})
}

// A page whose page and ticket pairs go quiet together resolves at once
// when its hold ends, without a ticket in between.
func TestResolveHoldPageStraightToOK(t *testing.T) {
	t.Parallel()
	t0 := utc("2026-06-01T00:00:00Z")
	// One minute at 100% bad after an hour of calm: 10× over 10m
	// (100/1000) and 50× over 2m page at 01:01 and 01:02; the 2m window is
	// clean from 01:03. The ticket pair's 60m window burns 100/6000, under
	// 2×, so it never fires.
	s := series(t, t0, minutes(60, 100, 0), minutes(1, 100, 100), minutes(60, 100, 0))
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	replay(t, s, t0, 15*time.Minute, 110, []holdStep{
		{minute: 61, state: StatePage, burning: StatePage, event: EventFiring, clear: -1, pageClear: -1},
		{minute: 63, state: StatePage, burning: StateOK, clear: 63, pageClear: 63,
			stepDown:   &StepDown{To: StateOK, At: at(78), Since: at(63), ResolvesAt: at(78)},
			reasonPart: "holding the page: no window has burned at its threshold since 01:03 UTC; resolves at 01:18 UTC if none does"},
		{minute: 78, state: StateOK, burning: StateOK, event: EventResolved, clear: -1, pageClear: -1,
			reasonPart: "no window has burned at its threshold for 15m, since 01:03 UTC"},
	})
}

// A window burning again during the hold restarts it: a second, smaller
// burst fires the ticket pair while the page holds, so the page steps
// down to a firing ticket, which then holds from the minute it went quiet.
func TestResolveHoldRestarts(t *testing.T) {
	t.Parallel()
	t0 := utc("2026-06-01T00:00:00Z")
	s := series(t, t0, minutes(60, 100, 0), minutes(5, 100, 50), minutes(13, 100, 0), minutes(1, 100, 30), minutes(60, 100, 0))
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	replay(t, s, t0, 15*time.Minute, 130, []holdStep{
		{minute: 62, state: StatePage, burning: StatePage, event: EventFiring, clear: -1, pageClear: -1},
		{minute: 75, state: StatePage, burning: StateOK, clear: 75, pageClear: 67,
			stepDown: &StepDown{To: StateTicket, At: at(82), Since: at(67), ResolvesAt: at(90)}},
		// Minute 78's 30 bad: [69m, 79m) burns 3× over 10m, [19m, 79m)
		// 280/6000 = 4.67× over 1h.
		{minute: 79, state: StatePage, burning: StateTicket, clear: -1, pageClear: 67,
			stepDown: &StepDown{To: StateTicket, At: at(82), Since: at(67)}},
		{minute: 82, state: StateTicket, burning: StateTicket, event: EventDeescalated, clear: -1, pageClear: -1,
			reasonPart: "no page window has burned at its threshold for 15m, since 01:07 UTC; burn 4.67× over 1h and 3× over 10m reach 2×"},
		// [79m, 89m) is clean: the ticket's hold starts over.
		{minute: 89, state: StateTicket, burning: StateOK, clear: 89, pageClear: -1,
			stepDown: &StepDown{To: StateOK, At: at(104), Since: at(89), ResolvesAt: at(104)}},
		{minute: 104, state: StateOK, burning: StateOK, event: EventResolved, clear: -1, pageClear: -1},
	})
}

// A held alert steps down to insufficient_traffic, not ok, when traffic
// dried up meanwhile: a quiet table is no evidence then.
func TestResolveHoldToInsufficientTraffic(t *testing.T) {
	t.Parallel()
	t0 := utc("2026-06-01T00:00:00Z")
	s := series(t, t0, minutes(60, 100, 0), minutes(1, 100, 100))
	ev := Evaluate(Prior{}, Inputs{Series: s, Window: Rolling(journeys.Day, nil), Objective: 0.99, MinEvents: 100,
		ResolveAfter: 15 * time.Minute, Pairs: holdTable}, t0.Add(61*time.Minute))
	require.Equal(t, StatePage, ev.State)
	in := Inputs{Series: s, Window: Rolling(journeys.Day, nil), Objective: 0.99, MinEvents: 100, ResolveAfter: 15 * time.Minute, Pairs: holdTable}
	ev = Evaluate(ev.Hold, in, t0.Add(63*time.Minute))
	require.Equal(t, StatePage, ev.State)
	require.Equal(t, StateInsufficientTraffic, ev.Burning)
	require.Equal(t, StateInsufficientTraffic, ev.StepDown.To)
	ev = Evaluate(ev.Hold, in, t0.Add(78*time.Minute))
	require.Equal(t, StateInsufficientTraffic, ev.State)
	require.Equal(t, &Transition{From: StatePage, To: StateInsufficientTraffic, At: t0.Add(78 * time.Minute), Event: EventInsufficientTraffic}, ev.Transition)
	require.Equal(t, "no window has burned at its threshold for 15m, since 01:03 UTC; no events in the last 10m, need 100 to alert", ev.Reason)
}

func TestEvaluateNegativeHold(t *testing.T) {
	t.Parallel()
	ev := Evaluate(Prior{State: StatePage}, Inputs{Window: Rolling(journeys.Day, nil), Objective: 0.99, ResolveAfter: -time.Minute}, utc("2026-06-01T00:00:00Z"))
	require.EqualError(t, ev.Err, "evaluate SLO: resolve hold -1m0s must not be negative")
	require.Equal(t, StatePage, ev.State)
	require.Equal(t, Prior{State: StatePage}, ev.Hold)
}

func TestShortMinEvents(t *testing.T) {
	t.Parallel()
	m := time.Minute
	tests := []struct {
		min         int64
		short, long time.Duration
		want        int64
	}{
		{20, m, 2 * m, 10},
		{20, m, 12 * m, 2},
		{100, 5 * m, 56 * m, 9},
		{100, 28 * m, 336 * m, 9},
		{7, m, 7 * m, 1},
		{7, m, 6 * m, 2},
		{1, m, time.Hour, 1},
		{0, m, time.Hour, 0},
		{50, time.Hour, time.Hour, 50},
		{1_000_000_000, 336 * m, 4032 * m, 83_333_334},
		{9_000_000_000_000_000_000, 336 * m, 4032 * m, 750_000_000_000_000_000},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, ShortMinEvents(tt.min, tt.short, tt.long), fmt.Sprintf("%d over %s/%s", tt.min, tt.long, tt.short))
	}
}

// The short window of a pair needs its share of the guard: a burst of
// two errors in a thin minute cannot page, however high its burn.
func TestShortWindowGuard(t *testing.T) {
	t.Parallel()
	t0 := utc("2026-06-01T00:00:00Z")
	pair := []BurnPair{{Severity: SeverityPage, Long: 2 * time.Minute, Short: time.Minute, Threshold: 14.4}}
	tests := []struct {
		name      string
		last      run // the minute before now; the one before holds 40 events, 6 bad
		minEvents int64
		enough    bool
		state     State
		reason    string
	}{
		{"thin minute", minutes(1, 5, 2), 20, false, StateInsufficientTraffic, "only 5 events in the last 1m, need 10 to alert"},
		{"empty minute", minutes(1, 0, 0), 20, false, StateInsufficientTraffic, "no events in the last 1m, need 10 to alert"},
		{"just enough", minutes(1, 10, 2), 20, true, StatePage, "burn 16× over 2m and 20× over 1m reach 14.4×"},
		{"guard off", minutes(1, 5, 2), 0, true, StatePage, "burn 17.78× over 2m and 40× over 1m reach 14.4×"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := series(t, t0, minutes(1, 40, 6), tt.last)
			now := t0.Add(2 * time.Minute)
			table, err := BurnTable(s, pair, 0.99, tt.minEvents, now)
			require.NoError(t, err)
			require.Equal(t, tt.enough, table[0].EnoughTraffic)
			require.Equal(t, ShortMinEvents(tt.minEvents, time.Minute, 2*time.Minute), table[0].ShortMinEvents)
			st, reason := Overall(table)
			require.Equal(t, tt.state, st)
			require.Equal(t, tt.reason, reason)
		})
	}
}
