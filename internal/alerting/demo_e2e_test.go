package alerting_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

// The scripted incident on generated shop traffic: 90 minutes from
// demoStart, and from minute 40 to minute 55 app 1.5.0's payments fail 60%
// of the time and take twice as long. Every other step of every session
// fails 0.1% of the time.
var demoStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	demoMinutes  = 90
	deployAfter  = 40 * time.Minute
	deployFor    = 15 * time.Minute
	badVersion   = "1.5.0"
	goodVersion  = "1.4.0"
	paymentStep  = 4 // index of Payment in the shop journey
	paySuccess   = "payment-success"
	payLatency   = "payment-latency"
	payMinEvents = 30
)

func demoAt(d time.Duration) time.Time { return demoStart.Add(d) }

func minute(m int) time.Time { return demoAt(time.Duration(m) * time.Minute) }

// planBadDeploy plans the traffic. 9 000 sessions give about 27 payments
// a minute: enough for every alert window but the shortest to clear the
// default traffic guard, and little enough to send in a second or two.
func planBadDeploy(t *testing.T) *demo.Traffic {
	t.Helper()
	cfg := demo.DefaultConfig()
	cfg.Seed = 17
	cfg.Start = demoStart
	cfg.Duration = demoMinutes * time.Minute
	cfg.Sessions = 9000
	for i := range cfg.Steps {
		cfg.Steps[i].ErrorRate = 0.001
	}
	cfg.BadDeploy = demo.BadDeploy{Enabled: true, Step: demo.StepPayment, Version: badVersion,
		After: deployAfter, For: deployFor, ErrorRate: 0.6, Latency: 2}
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	return tr
}

// demoE2E is one database holding the planned traffic's spans (sent
// through the embedded store's OTLP receiver), the shop journey and its
// rollups, with an alerting service on a settable clock.
type demoE2E struct {
	ctx   context.Context
	tr    *demo.Traffic
	svc   *alerting.Service
	clock *clock
	shop  journeys.Journey
	slug  string
}

// newDemoE2E stores the shop journey without its conversion SLO. The
// rollups are written once for the whole window, as a backfill would, so
// a funnel cohort holds sessions that finish after the minute an
// evaluation stands at: evaluating a conversion SLO minute by minute over
// them would read the future. Step rows count spans by their start minute
// and have no such problem, so both payment SLOs see exactly what a live
// rollup would have shown.
func newDemoE2E(t *testing.T) *demoE2E {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	spans := spanstore.NewStore(pool, nil)
	tr := planBadDeploy(t)

	rcv := spanstore.NewReceiver(spans, spanstore.Config{}, nil)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rcv.Run(rctx) }()
	mux := http.NewServeMux()
	mux.Handle(spanstore.TracesPath, rcv)
	srv := httptest.NewServer(mux)
	sendErr := tr.Send(ctx, srv.URL)
	srv.Close()
	require.NoError(t, rcv.Close())
	cancel()
	<-done
	require.NoError(t, sendErr)

	b, err := examples.FS.ReadFile("shop-checkout.yaml")
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	require.Len(t, js, 1)
	shop := js[0]
	require.Equal(t, "Payment", shop.Spec.Steps[paymentStep].Name)
	shop.Spec.SLOs = slices.DeleteFunc(shop.Spec.SLOs, func(o journeys.SLO) bool { return o.Kind == journeys.SLOConversion })
	require.Equal(t, []string{payLatency, paySuccess}, []string{shop.Spec.SLOs[0].Name, shop.Spec.SLOs[1].Name})
	jstore := store.New(pool)
	rec, err := jstore.CreateJourney(ctx, shop, "test")
	require.NoError(t, err)

	rollups := rollup.NewStore(pool)
	res, err := rollup.Aggregate(ctx, spans, shop, rollup.Range{From: demoStart, To: tr.End()}, nil)
	require.NoError(t, err)
	require.NoError(t, rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: tr.End()}))

	c := &clock{t: demoStart}
	svc := alerting.NewService(pool, rollups, jstore, alerting.Options{Now: c.Now, PublicURL: "https://waymark.example.com"})
	return &demoE2E{ctx: ctx, tr: tr, svc: svc, clock: c, shop: shop, slug: shop.Metadata.Slug}
}

// payments returns the payment root spans of the plan.
func payments(tr *demo.Traffic) []*demo.Trace {
	var out []*demo.Trace
	for _, x := range tr.Traces() {
		if x.Step == demo.StepIndex(demo.StepPayment) {
			out = append(out, x)
		}
	}
	return out
}

// minuteCounts are one SLO's events per minute of the traffic, from the
// plan: bad[i] of total[i] events in minute i.
type minuteCounts struct{ total, bad [demoMinutes]int64 }

func countPayments(tr *demo.Traffic, isBad func(*demo.Span) bool) minuteCounts {
	var c minuteCounts
	for _, x := range payments(tr) {
		i := int(x.Root().Start.Sub(demoStart) / time.Minute)
		c.total[i]++
		if isBad(x.Root()) {
			c.bad[i]++
		}
	}
	return c
}

// sum counts the events of minutes [from, to), minutes before the traffic
// holding none.
func (c minuteCounts) sum(from, to int) (total, bad int64) {
	for i := max(from, 0); i < to && i < demoMinutes; i++ {
		total += c.total[i]
		bad += c.bad[i]
	}
	return total, bad
}

// pairMinutes is an alert pair with its windows in minutes.
type pairMinutes struct {
	severity    slo.Severity
	long, short int
	threshold   float64
}

func (p pairMinutes) burnPair() slo.BurnPair {
	return slo.BurnPair{Severity: p.severity, Long: time.Duration(p.long) * time.Minute,
		Short: time.Duration(p.short) * time.Minute, Threshold: p.threshold}
}

// The workbook's table (1h/5m ×14.4, 6h/30m ×6, 1d/2h ×3, 3d/6h ×1 for 30
// days) scaled to each SLO's window and rounded to the minute, at least
// one minute.
var (
	// 1 day is 1/30 of the workbook's window: 1h → 2m, 5m → 10s → 1m, 6h
	// → 12m, 30m → 1m, 1d → 48m, 2h → 4m, 3d → 2h24m, 6h → 12m.
	pairs1d = []pairMinutes{
		{slo.SeverityPage, 2, 1, 14.4}, {slo.SeverityPage, 12, 1, 6},
		{slo.SeverityTicket, 48, 4, 3}, {slo.SeverityTicket, 144, 12, 1},
	}
	// 28 days is 28/30 of it: 1h → 56m, 5m → 4m40s → 5m, 6h → 5h36m, 30m
	// → 28m, 1d → 22h24m, 2h → 1h52m, 3d → 67h12m, 6h → 5h36m.
	pairs28d = []pairMinutes{
		{slo.SeverityPage, 56, 5, 14.4}, {slo.SeverityPage, 336, 28, 6},
		{slo.SeverityTicket, 1344, 112, 3}, {slo.SeverityTicket, 4032, 336, 1},
	}
)

// burn is the burn rate of bad of total events against a budget.
func burn(total, bad int64, budget float64) float64 {
	if total == 0 {
		return 0
	}
	return float64(bad) / float64(total) / budget
}

// truthState is the alert state at minute m from the plan's own counts,
// computed the way the multi-window multi-burn-rate table defines it: the
// most severe pair whose long and short windows both burn at its
// threshold, with at least minEvents events in the long window; with
// none firing, insufficient_traffic when a long window holds fewer than
// minEvents, else ok.
func truthState(c minuteCounts, pairs []pairMinutes, budget float64, minEvents int64, m int) slo.State {
	fires := map[slo.Severity]bool{}
	thin := false
	for _, p := range pairs {
		lt, lb := c.sum(m-p.long, m)
		st, sb := c.sum(m-p.short, m)
		if lt < minEvents {
			thin = true
			continue
		}
		if st > 0 && burn(lt, lb, budget) >= p.threshold && burn(st, sb, budget) >= p.threshold {
			fires[p.severity] = true
		}
	}
	switch {
	case fires[slo.SeverityPage]:
		return slo.StatePage
	case fires[slo.SeverityTicket]:
		return slo.StateTicket
	case thin:
		return slo.StateInsufficientTraffic
	}
	return slo.StateOK
}

// rate writes a burn rate as the service does: "14.4×".
func rate(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64) + "×"
}

type transitionStep struct {
	minute   int
	from, to slo.State
	event    slo.Event
}

func transitionSteps(ts []alerting.Transition) []transitionStep {
	out := make([]transitionStep, len(ts))
	for i, x := range ts {
		out[len(ts)-1-i] = transitionStep{int(x.At.Sub(demoStart) / time.Minute), x.From, x.To, x.Event}
	}
	return out
}

// TestScriptedBadDeployPagesAndResolves replays the bad deploy minute by
// minute through the SLO evaluation job's entry point and the
// notification job's delivery, against ground truth from the plan.
//
// payment-success (objective 99.5%, so a 0.5% budget, over 1 day) pages
// at minute 41, the first evaluation whose rollups hold a whole minute of
// the deploy: 11 of minute 40's 29 payments failed, a burn of 75.86× on
// the 1m short windows, and with minute 39's 27 clean ones the 2m long
// window of the first page pair burns 39.29×, over its 14.4×. It
// de-escalates to a ticket at minute
// 56, when the page pairs' 1m short windows hold only the minute after
// the rollback, and resolves at minute 67, when the 12m short window of
// the slowest ticket pair (2h24m/12m ×1) no longer holds minute 54, the
// last minute of the deploy. The webhook hears of each change once: the
// page names the 4.2.0 deploy and carries failed payments of app 1.5.0.
func TestScriptedBadDeployPagesAndResolves(t *testing.T) {
	t.Parallel()
	e := newDemoE2E(t)
	// About 27 payments a minute leave the 2m window of the 1-day SLO
	// with about 54 events, under the default guard of 100: the shop's
	// operators lower it, or the SLO would read insufficient_traffic.
	require.NoError(t, e.svc.SetMinEvents(e.ctx, e.slug, paySuccess, payMinEvents))
	hook := newReceiver(t)
	ch, err := e.svc.CreateChannel(e.ctx, alerting.ChannelInput{Name: "oncall", Kind: alerting.ChannelWebhook, URL: hook.URL + "/hook", Enabled: true})
	require.NoError(t, err)
	bad, err := e.svc.CreateDeployment(e.ctx, alerting.DeploymentInput{Service: "payment_svc", Version: "4.2.0", Environment: "prod", At: demoAt(deployAfter)})
	require.NoError(t, err)
	rollback, err := e.svc.CreateDeployment(e.ctx, alerting.DeploymentInput{Service: "payment_svc", Version: "4.1.0", Environment: "prod",
		At: demoAt(deployAfter + deployFor), Description: "rollback of 4.2.0"})
	require.NoError(t, err)

	toPairs := func(ps []pairMinutes) []slo.BurnPair {
		out := make([]slo.BurnPair, len(ps))
		for i, p := range ps {
			out[i] = p.burnPair()
		}
		return out
	}
	require.Equal(t, toPairs(pairs1d), slo.ScaledPairs(journeys.Day))
	require.Equal(t, toPairs(pairs28d), slo.ScaledPairs(28*journeys.Day))

	success := countPayments(e.tr, func(s *demo.Span) bool { return s.Error })
	latency := countPayments(e.tr, func(s *demo.Span) bool { return s.Duration() > 2*time.Second })

	// Every minute: evaluate every SLO, as the periodic job does, then
	// deliver what it queued, as the notification jobs do.
	q := &recorder{}
	var firing, resolved *alerting.Outcome
	for m := 1; m <= demoMinutes; m++ {
		now := minute(m)
		e.clock.Set(now)
		outs, err := e.svc.EvaluateAll(e.ctx, now, q.enqueue)
		require.NoError(t, err)
		require.Len(t, outs, 2)
		byName := map[string]alerting.Outcome{}
		for _, o := range outs {
			require.False(t, o.Stale, "minute %d %s", m, o.SLO)
			byName[o.SLO] = o
		}
		ps, pl := byName[paySuccess], byName[payLatency]
		require.Equal(t, truthState(success, pairs1d, 0.005, payMinEvents, m), ps.State, "minute %d %s: %s", m, paySuccess, ps.Reason)
		require.Equal(t, truthState(latency, pairs28d, 0.01, alerting.DefaultMinEvents, m), pl.State, "minute %d %s: %s", m, payLatency, pl.Reason)
		if ps.Transition != nil && ps.Transition.Event == slo.EventFiring {
			require.Nil(t, firing, "minute %d: fired twice", m)
			firing = &ps
		}
		if ps.Transition != nil && ps.Transition.Event == slo.EventResolved {
			require.Nil(t, resolved, "minute %d: resolved twice", m)
			resolved = &ps
		}
		for _, d := range q.take() {
			require.Equal(t, ch.ID, d.ChannelID)
			require.NoError(t, e.svc.Deliver(e.ctx, d))
		}
	}

	// The alert's history, from the ramp-up of traffic to the resolve.
	ts, err := e.svc.Transitions(e.ctx, alerting.TransitionFilter{Journey: e.slug, SLO: paySuccess})
	require.NoError(t, err)
	require.Equal(t, []transitionStep{
		{1, slo.StateOK, slo.StateInsufficientTraffic, slo.EventInsufficientTraffic},
		{4, slo.StateInsufficientTraffic, slo.StateOK, slo.EventTrafficRestored},
		{41, slo.StateOK, slo.StatePage, slo.EventFiring},
		{56, slo.StatePage, slo.StateTicket, slo.EventDeescalated},
		{67, slo.StateTicket, slo.StateOK, slo.EventResolved},
	}, transitionSteps(ts))

	// The page at minute 41, in the plan's numbers: minute 40 is the first
	// of the deploy.
	require.NotNil(t, firing)
	fired := *firing.Transition
	require.Equal(t, minute(41), fired.At)
	require.Equal(t, minute(41), fired.DataThrough)
	require.Equal(t, minute(41), fired.AlertStartedAt)
	lt, lb := success.sum(39, 41)
	st, sb := success.sum(40, 41)
	_, before := success.sum(39, 40)
	require.Zero(t, before, "minute 39 is clean")
	require.Equal(t, [4]int64{56, 11, 29, 11}, [4]int64{lt, lb, st, sb})
	require.Equal(t, fmt.Sprintf("burn %s over 2m and %s over 1m reach 14.4×", rate(burn(lt, lb, 0.005)), rate(burn(st, sb, 0.005))), fired.Reason)
	require.GreaterOrEqual(t, burn(st, sb, 0.005), 14.4)
	require.Equal(t, "burn 39.29× over 2m and 75.86× over 1m reach 14.4×", fired.Reason)
	p := fired.Numbers.Pairs[0]
	require.Equal(t, lt, p.LongBurn.Events.Total)
	require.Equal(t, lb, p.LongBurn.Events.Bad())
	require.Equal(t, st, p.ShortBurn.Events.Total)
	require.Equal(t, sb, p.ShortBurn.Events.Bad())
	require.True(t, p.Fires)
	dayTotal, dayBad := success.sum(41-24*60, 41)
	require.Equal(t, dayTotal, fired.Total)
	require.Equal(t, dayTotal-dayBad, fired.Good)
	require.InDelta(t, 1-float64(dayBad)/float64(dayTotal)/0.005, fired.BudgetRemaining, 1e-9)

	// It names the deploy that went out a minute before.
	require.Equal(t, &bad, fired.Deployment)

	// Its exemplars are the latest failed payments of the firing pair's
	// long window, [39m, 41m): every one a trace of app 1.5.0 during the
	// deploy, as sent.
	var failed []*demo.Trace
	for _, x := range payments(e.tr) {
		if s := x.Root().Start; x.Root().Error && !s.Before(minute(39)) && s.Before(minute(41)) {
			failed = append(failed, x)
		}
	}
	slices.SortFunc(failed, func(a, b *demo.Trace) int {
		if c := b.Root().Start.Compare(a.Root().Start); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	require.Greater(t, len(failed), alerting.MaxExemplars)
	want := make([]alerting.Exemplar, alerting.MaxExemplars)
	for i, x := range failed[:alerting.MaxExemplars] {
		require.Equal(t, badVersion, x.Session.AppVersion)
		require.True(t, x.Root().Start.After(demoAt(deployAfter)))
		want[i] = alerting.Exemplar{TraceID: x.ID.String(), Step: "Payment", Start: x.Root().Start, Duration: x.Root().Duration(), Error: true}
	}
	require.Equal(t, want, fired.Exemplars)

	// The resolve at minute 67 still names the deploy the alert followed,
	// not the rollback that ended it.
	require.NotNil(t, resolved)
	require.Equal(t, minute(67), resolved.Transition.At)
	require.Equal(t, minute(41), resolved.Transition.AlertStartedAt)
	require.Equal(t, &bad, resolved.Transition.Deployment)
	require.Equal(t, "no alert window burns at its threshold", resolved.Transition.Reason)
	_, lastBad := success.sum(54, 55)
	_, afterBad := success.sum(55, 67)
	require.Positive(t, lastBad, "minute 54 is still in the deploy")
	require.Zero(t, afterBad, "no payment fails from the rollback to the resolve")
	deploys, err := e.svc.JourneyDeployments(e.ctx, e.slug, demoStart, minute(demoMinutes), 0)
	require.NoError(t, err)
	require.Equal(t, []alerting.Deployment{rollback, bad}, deploys)

	// The webhook heard of each change of payment-success's alert once:
	// the page, its de-escalation to a ticket, the resolve.
	var got []alerting.WebhookPayload
	var firingBody []byte
	for _, r := range hook.requests() {
		require.Equal(t, "/hook", r.path)
		var wp alerting.WebhookPayload
		require.NoError(t, json.Unmarshal(r.body, &wp))
		if wp.SLO.Name != paySuccess {
			continue
		}
		if wp.Event == slo.EventFiring {
			firingBody = r.body
		}
		got = append(got, wp)
	}
	require.Len(t, got, 3)
	require.Equal(t, []slo.Event{slo.EventFiring, slo.EventDeescalated, slo.EventResolved},
		[]slo.Event{got[0].Event, got[1].Event, got[2].Event})
	fire := got[0]
	require.Equal(t, slo.StatePage, fire.State)
	require.Equal(t, slo.StateOK, fire.PreviousState)
	require.Equal(t, minute(41), fire.At)
	require.Equal(t, &bad, fire.Deployment)
	require.Equal(t, "[PAGE] Shop checkout › payment-success: "+fired.Reason, fire.Summary)
	require.Len(t, fire.Exemplars, alerting.MaxExemplars)
	for i, x := range fire.Exemplars {
		require.Equal(t, want[i].TraceID, x.TraceID)
		require.Equal(t, "https://waymark.example.com/traces/"+want[i].TraceID, x.URL)
		require.True(t, x.Error)
	}
	golden(t, "e2e/payment_success_firing.json", firingBody)
	require.Equal(t, slo.StateTicket, got[1].State)
	require.Equal(t, minute(56), got[1].At)
	res := got[2]
	require.Equal(t, slo.StateOK, res.State)
	require.Equal(t, slo.StateTicket, res.PreviousState)
	require.Equal(t, minute(67), res.At)
	require.Equal(t, &bad, res.Deployment)
	require.Empty(t, res.Exemplars)

	// payment-latency (2s, 99% over 28 days) sees the same deploy from
	// the other side. Free-tier payments are slow: 26 of the 993 before
	// the deploy (2.6%) take over 2s, a burn of 2.6× that holds a ticket
	// on the 67h12m/5h36m ×1 pair from minute 8, its first minute above
	// 1× with 100 events. Twice-as-slow 1.5.0 payments escalate it at
	// minute 49, when 6.11% of the 49 minutes' payments (75 of 1 227) are
	// slow: the 5h36m/28m ×6 pair. The escalation keeps the deploy of the
	// alert's start, which there was none of.
	ts, err = e.svc.Transitions(e.ctx, alerting.TransitionFilter{Journey: e.slug, SLO: payLatency})
	require.NoError(t, err)
	require.Equal(t, []transitionStep{
		{1, slo.StateOK, slo.StateInsufficientTraffic, slo.EventInsufficientTraffic},
		{7, slo.StateInsufficientTraffic, slo.StateOK, slo.EventTrafficRestored},
		{8, slo.StateOK, slo.StateTicket, slo.EventFiring},
		{49, slo.StateTicket, slo.StatePage, slo.EventEscalated},
		{78, slo.StatePage, slo.StateTicket, slo.EventDeescalated},
	}, transitionSteps(ts))
	_, slowBefore := latency.sum(0, 40)
	total, _ := latency.sum(0, 40)
	require.Equal(t, [2]int64{26, 993}, [2]int64{slowBefore, total})
	escalated := ts[1]
	require.Equal(t, minute(49), escalated.At)
	require.Equal(t, "burn 6.11× over 5h36m and 8.64× over 28m reach 6×", escalated.Reason)
	require.Equal(t, minute(8), escalated.AlertStartedAt)
	require.Nil(t, escalated.Deployment)
	// Its exemplars are the slowest payments over 2s of the firing
	// pair's long window, here the whole traffic so far.
	var slow []*demo.Trace
	for _, x := range payments(e.tr) {
		if x.Root().Start.Before(minute(49)) && x.Root().Duration() > 2*time.Second {
			slow = append(slow, x)
		}
	}
	slices.SortFunc(slow, func(a, b *demo.Trace) int {
		if c := cmp.Compare(b.Root().Duration(), a.Root().Duration()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	wantSlow := make([]alerting.Exemplar, alerting.MaxExemplars)
	for i, x := range slow[:alerting.MaxExemplars] {
		wantSlow[i] = alerting.Exemplar{TraceID: x.ID.String(), Step: "Payment", Start: x.Root().Start, Duration: x.Root().Duration()}
	}
	require.Equal(t, wantSlow, escalated.Exemplars)

	// Everything the channel received, in order: one message per change
	// of an alert, none for the traffic guard's.
	type message struct {
		slo    string
		event  slo.Event
		minute int
	}
	var msgs []message
	for _, r := range hook.requests() {
		var wp alerting.WebhookPayload
		require.NoError(t, json.Unmarshal(r.body, &wp))
		msgs = append(msgs, message{wp.SLO.Name, wp.Event, int(wp.At.Sub(demoStart) / time.Minute)})
	}
	require.Equal(t, []message{
		{payLatency, slo.EventFiring, 8},
		{paySuccess, slo.EventFiring, 41},
		{payLatency, slo.EventEscalated, 49},
		{paySuccess, slo.EventDeescalated, 56},
		{paySuccess, slo.EventResolved, 67},
		{payLatency, slo.EventDeescalated, 78},
	}, msgs)
}

// TestCanaryOnGeneratorTraffic compares app versions on the generated
// traffic over the 15 minutes of the bad deploy: 1.5.0 fails the canary
// against 1.4.0 on payments, on its error rate (136 of 220 payments
// failed against none of 178) and on its p95 (2.34× 1.4.0's, as 1.5.0
// payments take twice as long, failed ones three times); the other way
// round it passes. Over the 15 minutes before the deploy both pass.
func TestCanaryOnGeneratorTraffic(t *testing.T) {
	t.Parallel()
	e := newDemoE2E(t)
	version := func(v string) rollup.Segment { return rollup.Segment{Key: "span.app.version", Value: v} }
	// truth is the plan's payments of one version in [from, to).
	truth := func(v string, from, to time.Duration) slo.Stats {
		var st slo.Stats
		var ds []time.Duration
		for _, x := range payments(e.tr) {
			if s := x.Root().Start; x.Session.AppVersion != v || s.Before(demoAt(from)) || !s.Before(demoAt(to)) {
				continue
			}
			st.Total++
			if x.Root().Error {
				st.Errors++
			}
			ds = append(ds, x.Root().Duration())
		}
		slices.Sort(ds)
		st.P95 = demo.Latency{Durations: ds}.Quantile(0.95)
		return st
	}
	during, before := deployAfter+deployFor, deployAfter
	for _, tc := range []struct {
		name      string
		end       time.Duration // the clock; the window is the 15 minutes before
		cand, bas string
		verdict   slo.Verdict
		reason    string
		payment   string
		stats     [2][2]int64 // candidate and baseline payments: total, errors
	}{
		{
			name: "bad deploy", end: during, cand: badVersion, bas: goodVersion, verdict: slo.VerdictFail,
			reason:  "Payment: candidate error rate 61.82% vs baseline 0% (+61.82 pp, limit +1 pp); p95 4.584641681s vs baseline 1.956748438s (2.34×, limit 1.2×)",
			payment: "Payment: candidate error rate 61.82% vs baseline 0% (+61.82 pp, limit +1 pp); p95 4.584641681s vs baseline 1.956748438s (2.34×, limit 1.2×)",
			stats:   [2][2]int64{{220, 136}, {178, 0}},
		},
		{
			name: "roles swapped", end: during, cand: goodVersion, bas: badVersion, verdict: slo.VerdictPass,
			reason:  "candidate span.app.version=1.4.0 within limits of baseline span.app.version=1.5.0 on 5 steps",
			payment: "Payment: candidate error rate 0% vs baseline 61.82% (-61.82 pp, limit +1 pp); p95 1.956748438s vs baseline 4.584641681s (0.43×, limit 1.2×)",
			stats:   [2][2]int64{{178, 0}, {220, 136}},
		},
		{
			name: "before the deploy", end: before, cand: badVersion, bas: goodVersion, verdict: slo.VerdictPass,
			reason:  "candidate span.app.version=1.5.0 within limits of baseline span.app.version=1.4.0 on 5 steps",
			payment: "Payment: candidate error rate 0% vs baseline 0% (+0 pp, limit +1 pp); p95 1.703490885s vs baseline 1.843898711s (0.92×, limit 1.2×)",
			stats:   [2][2]int64{{215, 0}, {170, 0}},
		},
		{
			name: "before the deploy, roles swapped", end: before, cand: goodVersion, bas: badVersion, verdict: slo.VerdictPass,
			reason:  "candidate span.app.version=1.4.0 within limits of baseline span.app.version=1.5.0 on 5 steps",
			payment: "Payment: candidate error rate 0% vs baseline 0% (+0 pp, limit +1 pp); p95 1.843898711s vs baseline 1.703490885s (1.08×, limit 1.2×)",
			stats:   [2][2]int64{{170, 0}, {215, 0}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Set(demoAt(tc.end))
			r, err := e.svc.Canary(e.ctx, e.slug, version(tc.cand), version(tc.bas), 15*time.Minute,
				alerting.DefaultMaxErrorRateDelta, alerting.DefaultMaxP95Ratio)
			require.NoError(t, err)
			require.Equal(t, tc.verdict, r.Verdict)
			require.Equal(t, tc.reason, r.Reason)
			require.Equal(t, demoAt(tc.end), r.DataThrough)
			require.Len(t, r.Checks, 1+len(e.shop.Spec.Steps))
			require.Equal(t, alerting.CheckFreshness, r.Checks[0].Kind)
			require.Equal(t, slo.VerdictPass, r.Checks[0].Verdict)
			for k, step := range e.shop.Spec.Steps {
				c := r.Checks[1+k]
				require.Equal(t, alerting.CheckCanary, c.Kind)
				require.Equal(t, step.Name, c.Name)
				if k != paymentStep {
					require.Equal(t, slo.VerdictPass, c.Verdict, c.Reason)
					continue
				}
				require.Equal(t, tc.payment, c.Reason)
				require.NotNil(t, c.Canary)
				// Counts are the plan's exactly; p95s within the sketch's 1%.
				for i, got := range []slo.Stats{c.Canary.Candidate, c.Canary.Baseline} {
					v := []string{tc.cand, tc.bas}[i]
					want := truth(v, tc.end-15*time.Minute, tc.end)
					require.Equal(t, tc.stats[i], [2]int64{want.Total, want.Errors}, v)
					require.Equal(t, want.Total, got.Total, v)
					require.Equal(t, want.Errors, got.Errors, v)
					require.InEpsilon(t, float64(want.P95), float64(got.P95), 0.01, v)
				}
			}
		})
	}
}
