package sloeval_test

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

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

// Two scripted incidents on generated shop traffic, both from demoStart.
var demoStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// The canary's: 90 minutes of traffic, and from minute 40 to minute 55
// app 1.5.0's payments fail 60% of the time and take twice as long. Every
// other step of every session fails 0.1% of the time.
const (
	demoMinutes = 90
	deployAfter = 40 * time.Minute
	deployFor   = 15 * time.Minute
	badVersion  = "1.5.0"
	goodVersion = "1.4.0"
	paymentStep = 4 // index of Payment in the shop journey
	paySuccess  = "payment-success"
	payLatency  = "payment-latency"
	conversion  = "checkout-conversion"
)

// The alerts': the traffic `waymark demo` sends (demo.DefaultLiveConfig),
// noise and all, for 90 minutes, with its bad deploy once: from minute 45
// to minute 55 half of app 1.5.0's payments fail and take three times as
// long.
const (
	liveMinutes   = 90
	liveDeployAt  = 45 * time.Minute
	liveDeployFor = 10 * time.Minute
)

func demoAt(d time.Duration) time.Time { return demoStart.Add(d) }

func minute(m int) time.Time { return demoAt(time.Duration(m) * time.Minute) }

// planBadDeploy plans the canary's traffic. 9 000 sessions give about 27
// payments a minute, little enough to send in a second or two.
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

// planLiveDemo plans the alerts' traffic: the live demo's model at its
// rate of two sessions a second, 10 800 sessions.
func planLiveDemo(t *testing.T) *demo.Traffic {
	t.Helper()
	live := demo.DefaultLiveConfig()
	cfg := live.Model
	cfg.Seed = 17
	cfg.Start = demoStart
	cfg.Duration = liveMinutes * time.Minute
	cfg.Sessions = int(live.Rate * cfg.Duration.Seconds())
	cfg.BadDeploy.After, cfg.BadDeploy.For, cfg.BadDeploy.Every = liveDeployAt, liveDeployFor, 0
	require.Equal(t, demo.BadDeploy{Enabled: true, Step: demo.StepPayment, Version: badVersion,
		After: liveDeployAt, For: liveDeployFor, ErrorRate: 0.5, Latency: 3, ServiceVersion: demo.BadPaymentVersion}, cfg.BadDeploy)
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
	svc   *alerttest.Services
	clock *clock
	shop  journeys.Journey
	slug  string
}

// newDemoE2E stores the example shop journey as it ships, with the SLOs
// keep keeps, and rolls the traffic up once for the whole window, as a
// backfill would: a funnel cohort then holds sessions that finish after
// the minute an evaluation stands at. Conversion SLOs read a cohort only
// once its 30-minute window has closed (rollup.Store.SLI), and a closed
// cohort's row is the same whether it was computed before or after: so
// minute-by-minute evaluations over these rollups see exactly what live
// ones would, in-flight counts never entering. Step rows count spans by
// their start minute and have no such question.
func newDemoE2E(t *testing.T, tr *demo.Traffic, keep func(journeys.SLO) bool) *demoE2E {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	spans := spanstore.NewStore(pool, nil)

	// Room for every request of the plan in the queue and time for slow
	// writes: on a busy machine the sender must not give up waiting.
	rcv := spanstore.NewReceiver(spans, spanstore.Config{QueueSize: 1024, WriteTimeout: 2 * time.Minute}, nil)
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
	require.NoError(t, <-done)
	require.NoError(t, sendErr)

	b, err := examples.FS.ReadFile("shop-checkout.yaml")
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	require.Len(t, js, 1)
	shop := js[0]
	require.Equal(t, "Payment", shop.Spec.Steps[paymentStep].Name)
	shop.Spec.SLOs = slices.DeleteFunc(shop.Spec.SLOs, func(o journeys.SLO) bool { return !keep(o) })
	jstore := journeystore.New(pool)
	rec, err := jstore.CreateJourney(ctx, shop, "test")
	require.NoError(t, err)

	rollups := rollup.NewStore(pool)
	res, err := rollup.Aggregate(ctx, spans, shop, rollup.Range{From: demoStart, To: tr.End()}, nil)
	require.NoError(t, err)
	require.NoError(t, rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: tr.End()}))

	c := &clock{t: demoStart}
	svc := alerttest.New(pool, rollups, jstore, alerttest.Options{Options: sloeval.Options{Now: c.Now, PublicURL: "https://waymark.example.com"}})
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

// planSeries is one SLO's events per minute straight from the plan, as
// the rollups must count them: payments by the minute they started, bad
// when failed (success) or slower than the threshold (latency); the
// conversion cohort of each minute as one bucket in the minute it closes
// in, so that a window ending at a minute holds the cohorts whose 30m
// window closed by then.
func planSeries(t *testing.T, tr *demo.Traffic, def journeys.SLO) slo.Series {
	t.Helper()
	var bs []slo.Bucket
	add := func(at time.Time, good, total int64) {
		if total > 0 {
			bs = append(bs, slo.Bucket{Start: at, Width: time.Minute, Good: good, Total: total})
		}
	}
	switch def.Kind {
	case journeys.SLOConversion:
		for _, c := range tr.Truth().Cohorts {
			add(c.Minute.Add(30*time.Minute), int64(c.Reached[demo.NumSteps-1]), int64(c.Reached[0]))
		}
	default:
		var good, total [liveMinutes]int64
		for _, x := range payments(tr) {
			i := int(x.Root().Start.Sub(demoStart) / time.Minute)
			total[i]++
			bad := x.Root().Error
			if def.Kind == journeys.SLOLatency {
				bad = x.Root().Duration() > def.Threshold.D
			}
			if !bad {
				good[i]++
			}
		}
		for i := range total {
			add(minute(i), good[i], total[i])
		}
	}
	s, err := slo.NewSeries(bs)
	require.NoError(t, err)
	return s
}

// rate writes a burn rate as the service does: "14.4×".
func rate(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64) + "×"
}

// burn is the burn rate of bad of total events against a budget.
func burn(total, bad int64, budget float64) float64 {
	if total == 0 {
		return 0
	}
	return float64(bad) / float64(total) / budget
}

type transitionStep struct {
	minute   int
	from, to slo.State
	event    slo.Event
}

func transitionSteps(ts []sloeval.Transition) []transitionStep {
	out := make([]transitionStep, len(ts))
	for i, x := range ts {
		out[len(ts)-1-i] = transitionStep{int(x.At.Sub(demoStart) / time.Minute), x.From, x.To, x.Event}
	}
	return out
}

// TestScriptedBadDeployPagesOnceAndResolves replays the live demo's
// traffic minute by minute through the SLO evaluation job's entry point
// and the notification job's delivery, with the example journey's SLOs as
// they ship (their traffic guards and resolve holds included), against
// ground truth from the plan.
//
// Before the deploy the shop is noisy but healthy: payments fail 0.05%
// of the time, every step fails now and then, latencies spread
// lognormally. Nothing fires: each SLO reads insufficient_traffic while
// its windows fill, then ok. The deploy pages payment-success at minute
// 46, the first evaluation whose rollups hold a whole minute of it; at
// minute 56 the page pairs' 1m windows are clean again, so the page holds until
// minute 71 and de-escalates to a ticket, whose slowest pair (2h24m/12m
// ×1) last fired at minute 66: it resolves at minute 82, fifteen minutes
// on, and stays resolved. payment-latency (28 days) tickets at minute 48
// on its 67h12m/5h36m ×1 pair: three times slower payments of half the
// sessions for ten minutes spend its budget faster than the window allows
// over the run's short history, and it is still spending at the end.
// checkout-conversion, counted on closed cohorts only, never fires.
func TestScriptedBadDeployPagesOnceAndResolves(t *testing.T) {
	t.Parallel()
	e := newDemoE2E(t, planLiveDemo(t), func(journeys.SLO) bool { return true })
	hook := newReceiver(t)
	ch, err := e.svc.CreateChannel(e.ctx, notify.ChannelInput{Name: "oncall", Kind: notify.ChannelWebhook, URL: hook.URL + "/hook", Enabled: true})
	require.NoError(t, err)
	bad, err := e.svc.CreateDeployment(e.ctx, deploy.DeploymentInput{Service: "payment_svc", Version: "4.2.0", Environment: "prod", At: demoAt(liveDeployAt)})
	require.NoError(t, err)
	rollback, err := e.svc.CreateDeployment(e.ctx, deploy.DeploymentInput{Service: "payment_svc", Version: "4.1.0", Environment: "prod",
		At: demoAt(liveDeployAt + liveDeployFor), Description: "rollback of 4.2.0"})
	require.NoError(t, err)

	// The SLOs as shipped: nothing set in Go.
	defs := map[string]journeys.SLO{}
	for _, o := range e.shop.Spec.SLOs {
		defs[o.Name] = o
	}
	require.Equal(t, journeys.NewCount(40), defs[paySuccess].MinEvents)
	require.Equal(t, 15*time.Minute, defs[paySuccess].EffectiveResolveAfter())

	// The truth: the state machine run on the plan's own counts.
	truth := map[string]*slo.Inputs{}
	prior := map[string]slo.Prior{}
	for name, def := range defs {
		w, err := slo.ForSLO(def, time.UTC)
		require.NoError(t, err)
		truth[name] = &slo.Inputs{Series: planSeries(t, e.tr, def), Window: w, Objective: def.Objective,
			MinEvents: def.MinEvents.N, ResolveAfter: def.EffectiveResolveAfter()}
	}

	// Every minute: evaluate every SLO, as the periodic job does, then
	// deliver what it queued, as the notification jobs do.
	q := &recorder{}
	var firing, deescalated, resolved *sloeval.Outcome
	for m := 1; m <= liveMinutes; m++ {
		now := minute(m)
		e.clock.Set(now)
		outs, err := e.svc.EvaluateAll(e.ctx, now, q.enqueue)
		require.NoError(t, err)
		require.Len(t, outs, 3)
		for _, o := range outs {
			require.False(t, o.Stale, "minute %d %s", m, o.SLO)
			want := slo.Evaluate(prior[o.SLO], *truth[o.SLO], now)
			require.NoError(t, want.Err)
			prior[o.SLO] = want.Hold
			require.Equal(t, want.State, o.State, "minute %d %s: %s", m, o.SLO, o.Reason)
			require.Equal(t, want.Reason, o.Reason, "minute %d %s", m, o.SLO)
			if tr := o.Transition; tr != nil && m < int(liveDeployAt/time.Minute) {
				require.False(t, tr.To == slo.StateTicket || tr.To == slo.StatePage, "minute %d %s fired before the deploy: %s", m, o.SLO, o.Reason)
			}
			if o.SLO != paySuccess || o.Transition == nil {
				continue
			}
			o := o
			switch o.Transition.Event {
			case slo.EventFiring:
				require.Nil(t, firing, "minute %d: fired twice", m)
				firing = &o
			case slo.EventDeescalated:
				require.Nil(t, deescalated, "minute %d: de-escalated twice", m)
				deescalated = &o
			case slo.EventResolved:
				require.Nil(t, resolved, "minute %d: resolved twice", m)
				resolved = &o
			}
		}
		for _, d := range q.take() {
			require.Equal(t, ch.ID, d.ChannelID)
			require.NoError(t, e.svc.Deliver(e.ctx, d))
		}
	}

	history := func(name string) []sloeval.Transition {
		ts, err := e.svc.Transitions(e.ctx, sloeval.TransitionFilter{Journey: e.slug, SLO: name})
		require.NoError(t, err)
		return ts
	}
	require.Equal(t, []transitionStep{
		{1, slo.StateOK, slo.StateInsufficientTraffic, slo.EventInsufficientTraffic},
		{4, slo.StateInsufficientTraffic, slo.StateOK, slo.EventTrafficRestored},
		{46, slo.StateOK, slo.StatePage, slo.EventFiring},
		{71, slo.StatePage, slo.StateTicket, slo.EventDeescalated},
		{82, slo.StateTicket, slo.StateOK, slo.EventResolved},
	}, transitionSteps(history(paySuccess)))
	require.Equal(t, []transitionStep{
		{1, slo.StateOK, slo.StateInsufficientTraffic, slo.EventInsufficientTraffic},
		{20, slo.StateInsufficientTraffic, slo.StateOK, slo.EventTrafficRestored},
		{48, slo.StateOK, slo.StateTicket, slo.EventFiring},
	}, transitionSteps(history(payLatency)))
	require.Equal(t, []transitionStep{
		{1, slo.StateOK, slo.StateInsufficientTraffic, slo.EventInsufficientTraffic},
		{39, slo.StateInsufficientTraffic, slo.StateOK, slo.EventTrafficRestored},
	}, transitionSteps(history(conversion)))

	// The page at minute 46, in the plan's numbers: minute 45 is the first
	// of the deploy.
	var payBad, payTotal [liveMinutes]int64
	for _, x := range payments(e.tr) {
		i := int(x.Root().Start.Sub(demoStart) / time.Minute)
		payTotal[i]++
		if x.Root().Error {
			payBad[i]++
		}
	}
	sum := func(from, to int) (total, bad int64) {
		for i := max(from, 0); i < to; i++ {
			total += payTotal[i]
			bad += payBad[i]
		}
		return total, bad
	}
	require.NotNil(t, firing)
	fired := *firing.Transition
	require.Equal(t, minute(46), fired.At)
	require.Equal(t, minute(46), fired.DataThrough)
	require.Equal(t, minute(46), fired.AlertStartedAt)
	lt, lb := sum(44, 46)
	st, sb := sum(45, 46)
	_, before := sum(44, 45)
	require.Zero(t, before, "minute 44 is clean")
	require.Equal(t, fmt.Sprintf("burn %s over 2m and %s over 1m reach 14.4×", rate(burn(lt, lb, 0.005)), rate(burn(st, sb, 0.005))), fired.Reason)
	require.Equal(t, "burn 43.56× over 2m and 78.57× over 1m reach 14.4×", fired.Reason)
	p := fired.Numbers.Pairs[0]
	require.Equal(t, [4]int64{lt, lb, st, sb}, [4]int64{p.LongBurn.Events.Total, p.LongBurn.Events.Bad(), p.ShortBurn.Events.Total, p.ShortBurn.Events.Bad()})
	require.True(t, p.Fires)
	require.Equal(t, int64(20), p.ShortMinEvents, "the short window's share of the guard of 40")
	dayTotal, dayBad := sum(0, 46)
	require.Equal(t, dayTotal, fired.Total)
	require.Equal(t, dayTotal-dayBad, fired.Good)
	require.Equal(t, &bad, fired.Deployment, "it names the deploy a minute before")

	// Its exemplars are the latest failed payments of the firing pair's
	// long window, [44m, 46m): every one a trace of app 1.5.0 during the
	// deploy, as sent.
	var failed []*demo.Trace
	for _, x := range payments(e.tr) {
		if s := x.Root().Start; x.Root().Error && !s.Before(minute(44)) && s.Before(minute(46)) {
			failed = append(failed, x)
		}
	}
	slices.SortFunc(failed, func(a, b *demo.Trace) int {
		if c := b.Root().Start.Compare(a.Root().Start); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	require.Greater(t, len(failed), sloeval.MaxExemplars)
	want := make([]sloeval.Exemplar, sloeval.MaxExemplars)
	for i, x := range failed[:sloeval.MaxExemplars] {
		require.Equal(t, badVersion, x.Session.AppVersion)
		want[i] = sloeval.Exemplar{TraceID: x.ID.String(), Step: "Payment", Start: x.Root().Start, Duration: x.Root().Duration(), Error: true}
	}
	require.Equal(t, want, fired.Exemplars)

	// The page pairs' 1m windows are clean from minute 56, the slowest
	// ticket pair's 12m window from minute 67: the page holds until 71,
	// the ticket until 82. Both name the deploy the alert followed, not
	// the rollback that ended it.
	_, after := sum(55, 82)
	require.Zero(t, after, "no payment fails from the rollback to the resolve")
	_, last := sum(54, 55)
	require.Positive(t, last, "minute 54 is still in the deploy")
	require.NotNil(t, deescalated)
	require.Equal(t, "no page window has burned at its threshold for 15m, since 09:56 UTC; the ticket resolves at 10:22 UTC if no window burns",
		deescalated.Transition.Reason)
	require.Equal(t, minute(71), deescalated.Transition.TicketSince)
	require.Equal(t, &bad, deescalated.Transition.Deployment)
	require.NotNil(t, resolved)
	require.Equal(t, "no window has burned at its threshold for 15m, since 10:07 UTC", resolved.Transition.Reason)
	require.Equal(t, minute(46), resolved.Transition.AlertStartedAt)
	require.Equal(t, &bad, resolved.Transition.Deployment)
	deploys, err := e.svc.JourneyDeployments(e.ctx, e.slug, demoStart, minute(liveMinutes), 0)
	require.NoError(t, err)
	require.Equal(t, []deploy.Deployment{rollback, bad}, deploys)

	// Everything the channel received, in order: one message per change
	// of an alert, none for the traffic guard's.
	type message struct {
		slo    string
		event  slo.Event
		minute int
	}
	var msgs []message
	var firingBody []byte
	for _, r := range hook.requests() {
		require.Equal(t, "/hook", r.path)
		var wp notify.WebhookPayload
		require.NoError(t, json.Unmarshal(r.body, &wp))
		msgs = append(msgs, message{wp.SLO.Name, wp.Event, int(wp.At.Sub(demoStart) / time.Minute)})
		if wp.SLO.Name == paySuccess && wp.Event == slo.EventFiring {
			firingBody = r.body
			require.Equal(t, "[PAGE] Shop checkout › payment-success: "+fired.Reason, wp.Summary)
			require.Equal(t, &bad, wp.Deployment)
			require.Len(t, wp.Exemplars, sloeval.MaxExemplars)
			for i, x := range wp.Exemplars {
				require.Equal(t, want[i].TraceID, x.TraceID)
				require.Equal(t, "https://waymark.example.com/traces/"+want[i].TraceID, x.URL)
			}
		}
	}
	require.Equal(t, []message{
		{paySuccess, slo.EventFiring, 46},
		{payLatency, slo.EventFiring, 48},
		{paySuccess, slo.EventDeescalated, 71},
		{paySuccess, slo.EventResolved, 82},
	}, msgs)
	golden(t, "e2e/payment_success_firing.json", firingBody)

	// checkout-conversion counted the cohorts that closed by minute 90:
	// those that entered in minutes 0 to 59, no more, no fewer.
	var entered, paid int64
	for _, c := range e.tr.Truth().Cohorts {
		if c.Minute.Before(minute(60)) {
			entered += int64(c.Reached[0])
			paid += int64(c.Reached[demo.NumSteps-1])
		}
	}
	cs, err := e.svc.SLOStatus(e.ctx, e.slug, conversion, minute(liveMinutes))
	require.NoError(t, err)
	require.Equal(t, [2]int64{paid, entered}, [2]int64{cs.Good, cs.Total})
	require.Greater(t, float64(paid)/float64(entered), 0.3, "the demo converts above its objective")
	require.Equal(t, 30*time.Minute, cs.CohortDelay)
	require.Equal(t, slo.StateOK, cs.State)
}

// TestCanaryOnGeneratorTraffic compares app versions on the generated
// traffic over the 15 minutes of the bad deploy: 1.5.0 fails the canary
// against 1.4.0 on payments, on its error rate (136 of 220 payments
// failed against none of 178) and on its p95 (2.34× 1.4.0's, as 1.5.0
// payments take twice as long, failed ones three times); the other way
// round it passes. Over the 15 minutes before the deploy both pass.
func TestCanaryOnGeneratorTraffic(t *testing.T) {
	t.Parallel()
	e := newDemoE2E(t, planBadDeploy(t), func(o journeys.SLO) bool { return o.Kind != journeys.SLOConversion })
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
				gate.DefaultMaxErrorRateDelta, gate.DefaultMaxP95Ratio)
			require.NoError(t, err)
			require.Equal(t, tc.verdict, r.Verdict)
			require.Equal(t, tc.reason, r.Reason)
			require.Equal(t, demoAt(tc.end), r.DataThrough)
			require.Len(t, r.Checks, 1+len(e.shop.Spec.Steps))
			require.Equal(t, gate.CheckFreshness, r.Checks[0].Kind)
			require.Equal(t, slo.VerdictPass, r.Checks[0].Verdict)
			for k, step := range e.shop.Spec.Steps {
				c := r.Checks[1+k]
				require.Equal(t, gate.CheckCanary, c.Kind)
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
