package sloeval_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

// holdSLO is burstSLO with the default resolve hold of 15 minutes.
var holdSLO = journeys.SLO{Name: "pay-hold", Step: "s2", Kind: journeys.SLOSuccess, Objective: 0.99, Window: dur(day),
	MinEvents: journeys.NewCount(10)}

// posted decodes what one Alertmanager request carried: severity,
// startsAt and endsAt of each alert, the other labels checked.
func posted(t *testing.T, body []byte) []string {
	t.Helper()
	var alerts []amAlert
	require.NoError(t, json.Unmarshal(body, &alerts))
	out := make([]string, len(alerts))
	for i, a := range alerts {
		sev := a.Labels["severity"]
		require.Equal(t, map[string]string{"alertname": "WaymarkSLOBurn", "journey": "shop", "slo": "pay-hold", "severity": sev}, a.Labels)
		out[i] = sev + " " + a.StartsAt.Sub(t0).String() + " → " + a.EndsAt.Sub(t0).String()
	}
	return out
}

// TestResolveHoldThroughTheStore: a minute of failed payments pages at
// t0. The page pairs' 1m windows are clean from t0+1m, the slowest ticket
// pair's 12m window from t0+12m. The state row carries the hold between
// evaluations: the page holds until t0+16m, de-escalates to a ticket, and
// the ticket resolves with the first rollups through t0+27m, stale ones
// having held it still.
// The SLO page words each step of the way; Alertmanager hears of one page
// and one ticket with the same identity.
func TestResolveHoldThroughTheStore(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(holdSLO), alerttest.Options{})
	am := newReceiver(t)
	hook := newReceiver(t)
	f.channel(t, notify.ChannelInput{Name: "am", Kind: notify.ChannelAlertmanager, URL: am.URL, Enabled: true})
	f.channel(t, notify.ChannelInput{Name: "hook", Kind: notify.ChannelWebhook, URL: hook.URL, Enabled: true})
	m := time.Minute
	deliver := func() {
		t.Helper()
		for _, d := range f.queued.take() {
			require.NoError(t, f.svc.Deliver(f.ctx, d))
		}
	}
	status := func(now time.Time) sloeval.Status {
		t.Helper()
		st, err := f.svc.SLOStatus(f.ctx, "shop", holdSLO.Name, now)
		require.NoError(t, err)
		return st
	}

	// Half an hour of clean payments, evaluated 20s before t0.
	f.write(t, at(-30*m), at(-m), rows(1, at(-30*m), at(-m), m, 100, 0), nil)
	f.clock.Set(at(-20 * time.Second))
	require.Equal(t, slo.StateOK, f.evaluate(t, holdSLO.Name).State)

	// The last minute's payments all failed; the page shows one state, ok,
	// and the page under way.
	f.write(t, at(-m), t0, rows(1, at(-m), t0, m, 100, 100), nil)
	st := status(t0)
	require.Equal(t, slo.StateOK, st.State)
	require.Equal(t, slo.StatePage, st.Burning)
	require.Equal(t, &sloeval.Pending{Kind: sloeval.PendingConfirm, To: slo.StatePage, At: at(40 * time.Second),
		Sentence: "page pending: 2 of 2 windows of the 2m/1m pair burn at or above 14.4× (50×, 100×); confirmed at the next evaluation in 40s"}, st.Pending)

	type step struct {
		state   slo.State
		event   slo.Event
		pending *sloeval.Pending
	}
	clock := func(d time.Duration) time.Time { return t0.Add(d) }
	want := map[int]step{
		0: {state: slo.StatePage, event: slo.EventFiring},
		1: {state: slo.StatePage, pending: &sloeval.Pending{Kind: sloeval.PendingResolve, To: slo.StateTicket, At: clock(16 * m),
			Sentence: "de-escalating: no page window has burned at or above its threshold since 00:01 UTC; becomes a ticket at 00:16 UTC if none does"}},
		12: {state: slo.StatePage, pending: &sloeval.Pending{Kind: sloeval.PendingResolve, To: slo.StateTicket, At: clock(16 * m), ResolvesAt: clock(27 * m),
			Sentence: "de-escalating: no page window has burned at or above its threshold since 00:01 UTC, no window since 00:12 UTC; becomes a ticket at 00:16 UTC and resolves at 00:27 UTC if it stays clear"}},
		16: {state: slo.StateTicket, event: slo.EventDeescalated, pending: &sloeval.Pending{Kind: sloeval.PendingResolve, To: slo.StateOK, At: clock(27 * m), ResolvesAt: clock(27 * m),
			Sentence: "resolving: no window has burned at or above its threshold since 00:12 UTC; resolves at 00:27 UTC if it stays clear"}},
		// The first evaluation on data through 00:27 or later resolves.
		29: {state: slo.StateOK, event: slo.EventResolved},
	}
	var trs []*sloeval.Transition
	for i := 0; i <= 30; i++ {
		now := at(time.Duration(i) * m)
		switch {
		case i == 0:
		case i < 22 || i > 29:
			f.write(t, at(time.Duration(i-1)*m), now, rows(1, at(time.Duration(i-1)*m), now, m, 100, 0), nil)
		case i == 29:
			// The rollups catch up after eight minutes without any.
			f.write(t, at(21*m), now, rows(1, at(21*m), now, m, 100, 0), nil)
		}
		f.clock.Set(now)
		out := f.evaluate(t, holdSLO.Name)
		deliver()
		w, listed := want[i]
		switch {
		case i >= 22 && i < 29:
			// The data stops at t0+21m: evaluated there the ticket holds,
			// and once the rollups are stale it is kept as it is.
			require.Equal(t, slo.StateTicket, out.State, "minute %d", i)
			require.Nil(t, out.Transition, "minute %d", i)
			require.Equal(t, i >= 27, out.Stale, "minute %d", i)
			if i == 27 {
				require.Equal(t, "rollups are stale: complete through 2025-03-10 00:21 UTC, 6m ago (limit 5m)", out.Reason)
			}
			continue
		case !listed:
			require.Nil(t, out.Transition, "minute %d: %s", i, out.Reason)
			continue
		}
		require.Equal(t, w.state, out.State, "minute %d: %s", i, out.Reason)
		if w.event == "" {
			require.Nil(t, out.Transition, "minute %d", i)
		} else {
			require.NotNil(t, out.Transition, "minute %d", i)
			require.Equal(t, w.event, out.Transition.Event, "minute %d", i)
			trs = append(trs, out.Transition)
		}
		require.Equal(t, w.pending, status(now).Pending, "minute %d", i)
	}
	require.Len(t, trs, 3)
	require.Equal(t, "no page window has burned at its threshold for 15m, since 00:01 UTC; the ticket resolves at 00:27 UTC if no window burns", trs[1].Reason)
	require.Equal(t, at(16*m), trs[1].TicketSince)
	require.Equal(t, "no window has burned at its threshold for 17m, since 00:12 UTC", trs[2].Reason)
	require.Equal(t, at(16*m), trs[2].TicketSince, "the resolve names the ticket it closes")

	// The webhook heard of each change once.
	var events []slo.Event
	for _, r := range hook.requests() {
		var wp notify.WebhookPayload
		require.NoError(t, json.Unmarshal(r.body, &wp))
		events = append(events, wp.Event)
	}
	require.Equal(t, []slo.Event{slo.EventFiring, slo.EventDeescalated, slo.EventResolved}, events)

	// Alertmanager: the page, refreshed every five minutes; at t0+16m the
	// page ends and the ticket opens, refreshed at t0+21m and t0+26m; stale
	// minutes refresh nothing, and at t0+29m the ticket ends.
	var got [][]string
	for _, r := range am.requests() {
		require.Equal(t, "/api/v2/alerts", r.path)
		got = append(got, posted(t, r.body))
	}
	require.Equal(t, [][]string{
		{"page 0s → 20m0s"},
		{"page 0s → 25m0s"},
		{"page 0s → 30m0s"},
		{"page 0s → 35m0s"},
		{"page 0s → 16m0s", "ticket 16m0s → 36m0s"},
		{"ticket 16m0s → 41m0s"},
		{"ticket 16m0s → 46m0s"},
		{"ticket 16m0s → 29m0s"},
	}, got)
}

// TestEscalationNamesItsOwnDeploy: a ticket that follows one deploy and
// escalates after another names the later one on its page, and the
// alert's resolve names it too; an escalation with no deploy in the 30
// minutes before it names none, whatever the ticket followed.
func TestEscalationNamesItsOwnDeploy(t *testing.T) {
	t.Parallel()
	def := burstSLO // resolves at once
	m := time.Minute
	for _, tt := range []struct {
		name       string
		burstAt    time.Duration // the minute payments start failing outright
		secondAt   time.Duration // the second deploy, or -1 for none
		escalation string        // the version the page names, "" for none
	}{
		{"a deploy before the escalation", 5 * m, 4 * m, "2.1.0"},
		{"no deploy before the escalation", 35 * m, -1, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, shopJourney(def), alerttest.Options{})
			// 3 of 100 payments a minute fail from t0-30m: the 2h24m/12m ×1
			// ticket pair fires at t0, no page pair does.
			f.write(t, at(-60*m), t0, append(rows(1, at(-60*m), at(-30*m), m, 100, 0), rows(1, at(-30*m), t0, m, 100, 3)...), nil)
			first, err := f.svc.CreateDeployment(f.ctx, deploy.DeploymentInput{Service: "shop", Version: "2.0.0", At: at(-10 * m)})
			require.NoError(t, err)
			if tt.secondAt >= 0 {
				_, err = f.svc.CreateDeployment(f.ctx, deploy.DeploymentInput{Service: "shop", Version: "2.1.0", At: at(tt.secondAt)})
				require.NoError(t, err)
			}
			out := f.evaluate(t, def.Name)
			require.Equal(t, slo.StateTicket, out.State, out.Reason)
			require.Equal(t, &first, out.Transition.Deployment)
			require.Equal(t, t0, out.Transition.TicketSince)

			// Still 3% until the burst, then every payment fails.
			f.write(t, t0, at(tt.burstAt), rows(1, t0, at(tt.burstAt), m, 100, 3), nil)
			f.write(t, at(tt.burstAt), at(tt.burstAt+m), rows(1, at(tt.burstAt), at(tt.burstAt+m), m, 100, 100), nil)
			f.clock.Set(at(tt.burstAt + m))
			out = f.evaluate(t, def.Name)
			require.Equal(t, slo.StatePage, out.State, out.Reason)
			esc := out.Transition
			require.Equal(t, slo.EventEscalated, esc.Event)
			require.Equal(t, t0, esc.AlertStartedAt, "the alert started with the ticket")
			require.Equal(t, at(tt.burstAt+m), esc.EscalatedAt)
			require.Equal(t, t0, esc.TicketSince)
			if tt.escalation == "" {
				require.Nil(t, esc.Deployment)
			} else {
				require.NotNil(t, esc.Deployment)
				require.Equal(t, tt.escalation, esc.Deployment.Version)
			}
			st, err := f.svc.SLOStatus(f.ctx, "shop", def.Name, f.clock.Now())
			require.NoError(t, err)
			require.Equal(t, esc.Deployment, st.Deployment)

			// Clean again: the resolve names the page's deploy.
			f.write(t, at(tt.burstAt+m), at(tt.burstAt+3*time.Hour), rows(1, at(tt.burstAt+m), at(tt.burstAt+3*time.Hour), m, 100, 0), nil)
			f.clock.Set(at(tt.burstAt + 3*time.Hour))
			out = f.evaluate(t, def.Name)
			require.Equal(t, slo.StateOK, out.State)
			require.Equal(t, esc.Deployment, out.Transition.Deployment)
			require.Equal(t, at(tt.burstAt+m), out.Transition.EscalatedAt)
		})
	}
}
