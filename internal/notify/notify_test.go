package notify_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

func TestNotificationsDeliveredOncePerTransitionAndChannel(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(burstSLO), alerttest.Options{})
	burst(t, f)
	hook := newReceiver(t, http.StatusServiceUnavailable, http.StatusBadGateway) // fails twice
	slack := newReceiver(t)
	am := newReceiver(t)
	gone := newReceiver(t, http.StatusNotFound, http.StatusNotFound)

	hookCh := f.channel(t, notify.ChannelInput{Name: "oncall hook", Kind: notify.ChannelWebhook, URL: hook.URL + "/hook", Enabled: true})
	slackCh := f.channel(t, notify.ChannelInput{Name: "slack", Kind: notify.ChannelSlack, URL: slack.URL + "/services/T0/B0/secret", Enabled: true})
	amCh := f.channel(t, notify.ChannelInput{Name: "am", Kind: notify.ChannelAlertmanager, URL: am.URL, Enabled: true})
	goneCh := f.channel(t, notify.ChannelInput{Name: "gone", Kind: notify.ChannelSlack, URL: gone.URL, Enabled: true})
	f.channel(t, notify.ChannelInput{Name: "off", Kind: notify.ChannelWebhook, URL: hook.URL, Enabled: false})
	f.channel(t, notify.ChannelInput{Name: "search team", Kind: notify.ChannelWebhook, URL: hook.URL, Journeys: []string{"search"}, Enabled: true})

	_, err := f.svc.CreateDeployment(f.ctx, deploy.DeploymentInput{Service: "shop", Version: "2.0.1", At: at(-10 * time.Minute)})
	require.NoError(t, err)

	// The page: one delivery per enabled channel of the journey, queued in
	// the transaction of the transition.
	out := f.evaluate(t, burstSLO.Name)
	require.Equal(t, slo.StatePage, out.State)
	require.NotNil(t, out.Transition)
	firing := out.Transition.ID
	want := []sloeval.Delivery{
		{TransitionID: firing, ChannelID: hookCh.ID},
		{TransitionID: firing, ChannelID: slackCh.ID},
		{TransitionID: firing, ChannelID: amCh.ID},
		{TransitionID: firing, ChannelID: goneCh.ID},
	}
	require.Equal(t, want, out.Deliveries)
	require.Equal(t, want, f.queued.take())

	// The webhook fails twice and is retried; the third attempt lands.
	d := want[0]
	err = f.svc.Deliver(f.ctx, d)
	require.ErrorContains(t, err, "status 503")
	require.NotErrorIs(t, err, notify.ErrPermanent)
	require.NotContains(t, err.Error(), "/hook", "the URL path may be a secret")
	require.ErrorContains(t, f.svc.Deliver(f.ctx, d), "status 502")
	require.NoError(t, f.svc.Deliver(f.ctx, d))
	// A fourth run (a job retried after a lost acknowledgement) sends
	// nothing.
	require.NoError(t, f.svc.Deliver(f.ctx, d))
	reqs := hook.requests()
	require.Len(t, reqs, 3)
	require.Equal(t, "/hook", reqs[2].path)
	require.Equal(t, "application/json", reqs[2].contentType)
	require.Equal(t, reqs[0].body, reqs[2].body, "every attempt carries the same payload and key")
	var wp notify.WebhookPayload
	require.NoError(t, json.Unmarshal(reqs[2].body, &wp))
	require.Equal(t, "shop/pay-burst/"+itoa(firing)+"/"+itoa(hookCh.ID), wp.DedupKey)
	require.Equal(t, slo.EventFiring, wp.Event)
	require.Equal(t, slo.StatePage, wp.State)
	require.Equal(t, "https://waymark.example.com/journeys/shop/slos/pay-burst", wp.Link)
	require.NotNil(t, wp.Deployment)
	require.Equal(t, "2.0.1", wp.Deployment.Version)
	require.Equal(t, int64(3000), wp.Total)
	require.Equal(t, int64(2500), wp.Good)
	require.InDelta(t, 1-500.0/3000/0.01, wp.BudgetRemaining, 1e-4)
	require.Equal(t, notify.PayloadBurn{Severity: slo.SeverityPage, LongWindow: "2m", ShortWindow: "1m", Threshold: 14.4,
		LongBurn: 100, ShortBurn: 100, LongEvents: 200, EnoughTraffic: true, Fires: true}, wp.BurnRates[0])

	require.NoError(t, f.svc.Deliver(f.ctx, want[1]))
	require.NoError(t, f.svc.Deliver(f.ctx, want[1]))
	require.Len(t, slack.requests(), 1)
	var sm struct {
		Text string `json:"text"`
	}
	require.NoError(t, json.Unmarshal(slack.requests()[0].body, &sm))
	require.Equal(t, "[PAGE] Shop checkout › pay-burst: burn 100× over 2m and 100× over 1m reach 14.4×", sm.Text)

	require.NoError(t, f.svc.Deliver(f.ctx, want[2]))
	amReqs := am.requests()
	require.Len(t, amReqs, 1)
	require.Equal(t, "/api/v2/alerts", amReqs[0].path)
	var alerts []amAlert
	require.NoError(t, json.Unmarshal(amReqs[0].body, &alerts))
	require.Len(t, alerts, 1)
	require.Equal(t, map[string]string{"alertname": "WaymarkSLOBurn", "journey": "shop", "slo": "pay-burst", "severity": "page"}, alerts[0].Labels)
	require.Equal(t, t0, alerts[0].StartsAt)
	require.Equal(t, at(20*time.Minute), alerts[0].EndsAt)

	// A channel that answers 404 is not retried.
	err = f.svc.Deliver(f.ctx, want[3])
	require.ErrorIs(t, err, notify.ErrPermanent)
	require.ErrorContains(t, err, "status 404")

	// Five minutes on, still paging: Alertmanager hears of the alert again
	// (it would close it at endsAt otherwise); nobody else does.
	f.write(t, t0, at(5*time.Minute), rows(1, t0, at(5*time.Minute), time.Minute, 100, 100), nil)
	f.clock.Set(at(5 * time.Minute))
	out = f.evaluate(t, burstSLO.Name)
	require.Equal(t, slo.StatePage, out.State)
	require.Nil(t, out.Transition)
	slot := at(5*time.Minute).UnixNano() / int64(sloeval.DefaultAlertmanagerResend)
	require.Equal(t, []sloeval.Delivery{{TransitionID: firing, ChannelID: amCh.ID, Refresh: slot}}, out.Deliveries)
	require.NoError(t, f.svc.Deliver(f.ctx, out.Deliveries[0]))
	amReqs = am.requests()
	require.Len(t, amReqs, 2)
	require.NoError(t, json.Unmarshal(amReqs[1].body, &alerts))
	require.Len(t, alerts, 1)
	require.Equal(t, t0, alerts[0].StartsAt)
	require.Equal(t, at(25*time.Minute), alerts[0].EndsAt)
	// A minute later the refresh is not due yet.
	f.write(t, at(5*time.Minute), at(6*time.Minute), rows(1, at(5*time.Minute), at(6*time.Minute), time.Minute, 100, 100), nil)
	f.clock.Set(at(6 * time.Minute))
	out = f.evaluate(t, burstSLO.Name)
	require.Equal(t, slo.StatePage, out.State)
	require.Empty(t, out.Deliveries)

	// Clean traffic: resolved, delivered to every channel once more.
	f.write(t, at(6*time.Minute), at(20*time.Minute), rows(1, at(6*time.Minute), at(20*time.Minute), time.Minute, 100, 0), nil)
	f.clock.Set(at(20 * time.Minute))
	out = f.evaluate(t, burstSLO.Name)
	require.Equal(t, slo.StateOK, out.State)
	require.NotNil(t, out.Transition)
	require.Equal(t, slo.EventResolved, out.Transition.Event)
	resolved := out.Transition.ID
	require.Len(t, out.Deliveries, 4)
	for _, d := range out.Deliveries {
		require.Equal(t, resolved, d.TransitionID)
		err := f.svc.Deliver(f.ctx, d)
		if d.ChannelID == goneCh.ID {
			require.ErrorIs(t, err, notify.ErrPermanent)
			continue
		}
		require.NoError(t, err)
	}
	reqs = hook.requests()
	require.Len(t, reqs, 4)
	require.NoError(t, json.Unmarshal(reqs[3].body, &wp))
	require.Equal(t, slo.EventResolved, wp.Event)
	require.Equal(t, slo.StateOK, wp.State)
	require.Equal(t, slo.StatePage, wp.PreviousState)
	require.Equal(t, "2.0.1", wp.Deployment.Version, "the resolve names the alert's deploy")

	amReqs = am.requests()
	require.Len(t, amReqs, 3)
	require.NoError(t, json.Unmarshal(amReqs[2].body, &alerts))
	require.Len(t, alerts, 1)
	require.Equal(t, "page", alerts[0].Labels["severity"])
	require.Equal(t, t0, alerts[0].StartsAt)
	require.Equal(t, at(20*time.Minute), alerts[0].EndsAt, "resolved: endsAt is when the alert cleared")
	require.Len(t, slack.requests(), 2)

	// A refresh of an alert that has since resolved sends nothing.
	require.NoError(t, f.svc.Deliver(f.ctx, sloeval.Delivery{TransitionID: firing, ChannelID: amCh.ID, Refresh: slot + 3}))
	require.Len(t, am.requests(), 3)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestNotificationToDeletedChannelIsDropped(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(burstSLO), alerttest.Options{})
	burst(t, f)
	hook := newReceiver(t)
	ch := f.channel(t, notify.ChannelInput{Name: "hook", Kind: notify.ChannelWebhook, URL: hook.URL, Enabled: true})
	out := f.evaluate(t, burstSLO.Name)
	require.Len(t, out.Deliveries, 1)
	require.NoError(t, f.svc.DeleteChannel(f.ctx, ch.ID))
	require.ErrorIs(t, f.svc.Deliver(f.ctx, out.Deliveries[0]), fault.ErrNotFound)
	require.Empty(t, hook.requests())
}

func TestDisabledChannelSkipsQueuedDelivery(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(burstSLO), alerttest.Options{})
	burst(t, f)
	hook := newReceiver(t)
	ch := f.channel(t, notify.ChannelInput{Name: "hook", Kind: notify.ChannelWebhook, URL: hook.URL, Enabled: true})
	out := f.evaluate(t, burstSLO.Name)
	require.Len(t, out.Deliveries, 1)
	_, err := f.svc.UpdateChannel(f.ctx, ch.ID, notify.ChannelInput{Name: "hook", Kind: notify.ChannelWebhook, URL: hook.URL, Enabled: false})
	require.NoError(t, err)
	require.NoError(t, f.svc.Deliver(f.ctx, out.Deliveries[0]))
	require.Empty(t, hook.requests())
}

// TestRemovedSLOResolvesItsAlert: an SLO deleted while paging sends a
// resolve, so that no page stays open forever.
func TestRemovedSLOResolvesItsAlert(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(burstSLO), alerttest.Options{})
	burst(t, f)
	hook := newReceiver(t)
	f.channel(t, notify.ChannelInput{Name: "hook", Kind: notify.ChannelWebhook, URL: hook.URL, Enabled: true})
	outs, err := f.svc.EvaluateAll(f.ctx, t0, f.queued.enqueue)
	require.NoError(t, err)
	require.Len(t, outs, 1)
	require.Equal(t, slo.StatePage, outs[0].State)
	firing := outs[0].Deliveries

	j := shopJourney(journeys.SLO{Name: "other", Step: "s1", Kind: journeys.SLOSuccess, Objective: 0.9, Window: dur(day)})
	_, err = f.journeys.UpdateJourney(f.ctx, "shop", j, "test")
	require.NoError(t, err)
	f.clock.Set(at(time.Minute))
	outs, err = f.svc.EvaluateAll(f.ctx, at(time.Minute), f.queued.enqueue)
	require.NoError(t, err)
	require.Len(t, outs, 2)
	require.Equal(t, "other", outs[0].SLO)
	gone := outs[1]
	require.Equal(t, "pay-burst", gone.SLO)
	require.NotNil(t, gone.Transition)
	require.Equal(t, slo.StatePage, gone.Transition.From)
	require.Equal(t, slo.StateOK, gone.Transition.To)
	require.Equal(t, slo.EventResolved, gone.Transition.Event)
	require.Equal(t, "the SLO no longer exists", gone.Transition.Reason)
	require.Equal(t, burstSLO, gone.Transition.Definition)
	require.Len(t, gone.Deliveries, 1)
	// The resolve waits for the page it resolves.
	require.ErrorIs(t, f.svc.Deliver(f.ctx, gone.Deliveries[0]), notify.ErrEarlierPending)
	require.Empty(t, hook.requests())
	require.Len(t, firing, 1)
	require.NoError(t, f.svc.Deliver(f.ctx, firing[0]))
	require.NoError(t, f.svc.Deliver(f.ctx, gone.Deliveries[0]))
	var wp notify.WebhookPayload
	require.Len(t, hook.requests(), 2)
	require.NoError(t, json.Unmarshal(hook.requests()[1].body, &wp))
	require.Equal(t, slo.EventResolved, wp.Event)

	// Forgotten: the next round has nothing more to say about it.
	outs, err = f.svc.EvaluateAll(f.ctx, at(2*time.Minute), f.queued.enqueue)
	require.NoError(t, err)
	require.Len(t, outs, 1)
	require.Equal(t, "other", outs[0].SLO)
}
