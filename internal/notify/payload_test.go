package notify_test

import (
	"bytes"
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

// firingTransition is a page of a latency SLO ten minutes after a deploy,
// as the evaluator stores it.
func firingTransition() sloeval.Transition {
	def := journeys.SLO{Name: "pay-latency", Step: "pay", Kind: journeys.SLOLatency, Threshold: dur(800 * time.Millisecond), Objective: 0.995}
	pairs := []slo.PairStatus{
		{BurnPair: slo.BurnPair{Severity: slo.SeverityPage, Long: 56 * time.Minute, Short: 5 * time.Minute, Threshold: 14.4},
			LongBurn:  slo.Burn{Window: 56 * time.Minute, Events: slo.Counts{Good: 4000, Total: 5000}, Rate: 40},
			ShortBurn: slo.Burn{Window: 5 * time.Minute, Events: slo.Counts{Good: 300, Total: 500}, Rate: 80},
			MinEvents: 100, EnoughTraffic: true, Fires: true},
		{BurnPair: slo.BurnPair{Severity: slo.SeverityTicket, Long: 22*time.Hour + 24*time.Minute, Short: 112 * time.Minute, Threshold: 3},
			LongBurn:  slo.Burn{Window: 22*time.Hour + 24*time.Minute, Events: slo.Counts{Good: 99000, Total: 100000}, Rate: 2.0000000000000004},
			ShortBurn: slo.Burn{Window: 112 * time.Minute, Events: slo.Counts{Good: 9000, Total: 10000}, Rate: 20},
			MinEvents: 100, EnoughTraffic: true},
	}
	return sloeval.Transition{
		ID: 42, Journey: "checkout", JourneyName: "Checkout <EU>", SLO: "pay-latency", Definition: def,
		From: slo.StateOK, To: slo.StatePage, Event: slo.EventFiring,
		At: at(10 * time.Minute), DataThrough: at(9 * time.Minute), FromSince: at(-2 * day),
		Reason:    "burn 40× over 56m and 80× over 5m reach 14.4×",
		Objective: 0.995, Good: 1_990_000, Total: 2_000_000, SLI: 0.995, BudgetRemaining: 0.25,
		Numbers:        sloeval.Numbers{Pairs: pairs},
		AlertStartedAt: at(10 * time.Minute),
		Deployment: &deploy.Deployment{ID: 7, Service: "payment_svc", Version: "1.5.0", Environment: "production",
			At: at(0), URL: "https://ci.example.com/runs/42", CreatedAt: at(0)},
		Exemplars: []sloeval.Exemplar{
			{TraceID: "0af7651916cd43dd8448eb211c80319c", Step: "pay", Start: at(8 * time.Minute), Duration: 2345 * time.Millisecond},
			{TraceID: "00000000000000000000000000000abc", Step: "pay", Start: at(7 * time.Minute), Duration: 1200 * time.Millisecond},
		},
	}
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, b, "", "  "))
	out.WriteByte('\n')
	return out.Bytes()
}

func TestPayloadsGolden(t *testing.T) {
	t.Parallel()
	svc := alerttest.New(nil, nil, nil, alerttest.Options{Options: sloeval.Options{PublicURL: "https://waymark.example.com/"}})
	firing := firingTransition()

	// A ticket since t0-1h escalated to a page at t0+10m, naming the deploy
	// at t0 that preceded the escalation.
	escalated := firingTransition()
	escalated.From, escalated.Event, escalated.FromSince = slo.StateTicket, slo.EventEscalated, at(-time.Hour)
	escalated.AlertStartedAt, escalated.TicketSince, escalated.EscalatedAt = at(-time.Hour), at(-time.Hour), at(10*time.Minute)

	// The page de-escalated at t0+40m: the ticket stays open.
	deescalated := escalated
	deescalated.ID = 44
	deescalated.From, deescalated.To, deescalated.Event = slo.StatePage, slo.StateTicket, slo.EventDeescalated
	deescalated.FromSince, deescalated.At = at(10*time.Minute), at(40*time.Minute)
	deescalated.Reason = "no page window has burned at its threshold for 15m, since 00:25 UTC; burn 4× over 22h24m and 3.5× over 1h52m reach 3×"
	deescalated.Exemplars = []sloeval.Exemplar{}

	resolved := firingTransition()
	resolved.ID = 43
	resolved.From, resolved.To, resolved.Event = slo.StatePage, slo.StateOK, slo.EventResolved
	resolved.FromSince, resolved.At = at(10*time.Minute), at(2*time.Hour)
	resolved.Reason = "no window has burned at its threshold for 15m, since 01:45 UTC"
	resolved.Exemplars = []sloeval.Exemplar{}

	// The escalated alert resolved straight from its page: both close.
	resolvedBoth := escalated
	resolvedBoth.ID = 45
	resolvedBoth.From, resolvedBoth.To, resolvedBoth.Event = slo.StatePage, slo.StateOK, slo.EventResolved
	resolvedBoth.FromSince, resolvedBoth.At = at(10*time.Minute), at(2*time.Hour)
	resolvedBoth.Reason = resolved.Reason
	resolvedBoth.Exemplars = []sloeval.Exemplar{}

	sentAt := at(10*time.Minute + 3*time.Second)
	tests := []struct {
		golden  string
		kind    notify.ChannelKind
		tr      sloeval.Transition
		refresh bool
	}{
		{"webhook_firing.json", notify.ChannelWebhook, firing, false},
		{"webhook_escalated.json", notify.ChannelWebhook, escalated, false},
		{"webhook_resolved.json", notify.ChannelWebhook, resolved, false},
		{"slack_firing.json", notify.ChannelSlack, firing, false},
		{"slack_escalated.json", notify.ChannelSlack, escalated, false},
		{"slack_resolved.json", notify.ChannelSlack, resolved, false},
		{"alertmanager_firing.json", notify.ChannelAlertmanager, firing, false},
		{"alertmanager_escalated.json", notify.ChannelAlertmanager, escalated, false},
		{"alertmanager_deescalated.json", notify.ChannelAlertmanager, deescalated, false},
		{"alertmanager_resolved.json", notify.ChannelAlertmanager, resolved, false},
		{"alertmanager_resolved_escalated.json", notify.ChannelAlertmanager, resolvedBoth, false},
		{"alertmanager_refresh.json", notify.ChannelAlertmanager, escalated, true},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			b, err := svc.Payload(tt.kind, tt.tr, 3, tt.refresh, sentAt)
			require.NoError(t, err)
			golden(t, tt.golden, indent(t, b))
		})
	}
}

type postedAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// TestAlertmanagerPayloadShape checks, independently of the golden
// files, what Alertmanager's v2 API hears of one alert through its life.
// Alertmanager tells alerts apart by their whole label set: the SLO's
// alerts keep alertname, journey and slo throughout and differ in
// severity only, and a ticket, once open, is never resolved by an
// escalation.
func TestAlertmanagerPayloadShape(t *testing.T) {
	t.Parallel()
	svc := alerttest.New(nil, nil, nil, alerttest.Options{Options: sloeval.Options{PublicURL: "https://waymark.example.com", AlertmanagerResend: 5 * time.Minute}})
	post := func(tr sloeval.Transition, refresh bool, sentAt time.Time) []postedAlert {
		t.Helper()
		b, err := svc.Payload(notify.ChannelAlertmanager, tr, 3, refresh, sentAt)
		require.NoError(t, err)
		var alerts []postedAlert
		require.NoError(t, json.Unmarshal(b, &alerts))
		return alerts
	}
	labels := func(sev string) map[string]string {
		return map[string]string{"alertname": "WaymarkSLOBurn", "journey": "checkout", "slo": "pay-latency", "severity": sev}
	}
	type alertWant struct {
		severity         string
		startsAt, endsAt time.Time
	}
	check := func(name string, got []postedAlert, want ...alertWant) {
		t.Helper()
		require.Len(t, got, len(want), name)
		for i, w := range want {
			require.Equal(t, labels(w.severity), got[i].Labels, "%s: alert %d", name, i)
			require.Equal(t, w.startsAt, got[i].StartsAt, "%s: alert %d starts", name, i)
			require.Equal(t, w.endsAt, got[i].EndsAt, "%s: alert %d ends", name, i)
			require.Equal(t, "https://waymark.example.com/journeys/checkout/slos/pay-latency", got[i].GeneratorURL)
		}
	}
	m := time.Minute

	// ok → ticket at t0: the ticket fires, until four resends from the send.
	ticket := firingTransition()
	ticket.ID, ticket.To, ticket.At, ticket.FromSince = 1, slo.StateTicket, t0, at(-day)
	ticket.AlertStartedAt, ticket.TicketSince = t0, t0
	check("ticket", post(ticket, false, at(m)), alertWant{"ticket", t0, at(21 * m)})
	check("ticket refresh", post(ticket, true, at(6*m)), alertWant{"ticket", t0, at(26 * m)})

	// ticket → page at t0+10m: one alert, the page; the ticket is left open.
	page := ticket
	page.ID, page.From, page.To, page.Event, page.At, page.FromSince = 2, slo.StateTicket, slo.StatePage, slo.EventEscalated, at(10*m), t0
	page.EscalatedAt = at(10 * m)
	got := post(page, false, at(11*m))
	check("escalation", got, alertWant{"page", at(10 * m), at(31 * m)})
	require.Equal(t, "0af7651916cd43dd8448eb211c80319c,00000000000000000000000000000abc", got[0].Annotations["exemplar_trace_ids"])
	require.Equal(t, "payment_svc 1.5.0 at 2025-03-10T00:00:00Z", got[0].Annotations["deployment"])
	require.Equal(t, "0.25", got[0].Annotations["budget_remaining"])
	// Refreshes keep both open, each from when it opened.
	check("page refresh", post(page, true, at(16*m)), alertWant{"ticket", t0, at(36 * m)}, alertWant{"page", at(10 * m), at(36 * m)})

	// page → ticket at t0+40m: the page ends, the ticket goes on.
	down := page
	down.ID, down.From, down.To, down.Event, down.At, down.FromSince = 3, slo.StatePage, slo.StateTicket, slo.EventDeescalated, at(40*m), at(10*m)
	check("de-escalation", post(down, false, at(41*m)), alertWant{"page", at(10 * m), at(40 * m)}, alertWant{"ticket", t0, at(61 * m)})

	// ticket → ok at t0+70m: the ticket ends.
	end := down
	end.ID, end.From, end.To, end.Event, end.At, end.FromSince = 4, slo.StateTicket, slo.StateOK, slo.EventResolved, at(70*m), at(40*m)
	check("resolve", post(end, false, at(71*m)), alertWant{"ticket", t0, at(70 * m)})

	// A page that never was a ticket opens one when it de-escalates, and
	// a page resolved while its ticket is open closes both.
	direct := firingTransition() // ok → page at t0+10m
	direct.TicketSince = time.Time{}
	check("page from ok", post(direct, false, at(11*m)), alertWant{"page", at(10 * m), at(31 * m)})
	check("page from ok, refresh", post(direct, true, at(16*m)), alertWant{"page", at(10 * m), at(36 * m)})
	directDown := direct
	directDown.From, directDown.To, directDown.Event, directDown.At, directDown.FromSince = slo.StatePage, slo.StateTicket, slo.EventDeescalated, at(30*m), at(10*m)
	directDown.TicketSince = at(30 * m)
	check("page from ok, de-escalated", post(directDown, false, at(31*m)), alertWant{"page", at(10 * m), at(30 * m)}, alertWant{"ticket", at(30 * m), at(51 * m)})
	both := page
	both.From, both.To, both.Event, both.At, both.FromSince = slo.StatePage, slo.StateOK, slo.EventResolved, at(50*m), at(10*m)
	check("page and ticket resolved", post(both, false, at(51*m)), alertWant{"ticket", t0, at(50 * m)}, alertWant{"page", at(10 * m), at(50 * m)})
	// Too little traffic ends an alert as a resolve does.
	thin := both
	thin.To, thin.Event = slo.StateInsufficientTraffic, slo.EventInsufficientTraffic
	check("insufficient traffic", post(thin, false, at(51*m)), alertWant{"ticket", t0, at(50 * m)}, alertWant{"page", at(10 * m), at(50 * m)})
}

func TestSummary(t *testing.T) {
	t.Parallel()
	base := firingTransition()
	tests := []struct {
		from, to slo.State
		event    slo.Event
		want     string
	}{
		{slo.StateOK, slo.StatePage, slo.EventFiring, "[PAGE] Checkout <EU> › pay-latency: r"},
		{slo.StateOK, slo.StateTicket, slo.EventFiring, "[TICKET] Checkout <EU> › pay-latency: r"},
		{slo.StateTicket, slo.StatePage, slo.EventEscalated, "[PAGE] escalated Checkout <EU> › pay-latency: r"},
		{slo.StatePage, slo.StateTicket, slo.EventDeescalated, "[TICKET] de-escalated Checkout <EU> › pay-latency: r"},
		{slo.StatePage, slo.StateOK, slo.EventResolved, "[RESOLVED] Checkout <EU> › pay-latency: r"},
		{slo.StatePage, slo.StateInsufficientTraffic, slo.EventInsufficientTraffic, "[RESOLVED: TOO LITTLE TRAFFIC] Checkout <EU> › pay-latency: r"},
	}
	for _, tt := range tests {
		tr := base
		tr.From, tr.To, tr.Event, tr.Reason = tt.from, tt.to, tt.event, "r"
		require.Equal(t, tt.want, notify.Summary(tr))
	}
}
