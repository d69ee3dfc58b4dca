package alerting_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// firingTransition is a page of a latency SLO ten minutes after a deploy,
// as the evaluator stores it.
func firingTransition() alerting.Transition {
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
	return alerting.Transition{
		ID: 42, Journey: "checkout", JourneyName: "Checkout <EU>", SLO: "pay-latency", Definition: def,
		From: slo.StateOK, To: slo.StatePage, Event: slo.EventFiring,
		At: at(10 * time.Minute), DataThrough: at(9 * time.Minute), FromSince: at(-2 * day),
		Reason:    "burn 40× over 56m and 80× over 5m reach 14.4×",
		Objective: 0.995, Good: 1_990_000, Total: 2_000_000, SLI: 0.995, BudgetRemaining: 0.25,
		Numbers:        alerting.Numbers{Pairs: pairs},
		AlertStartedAt: at(10 * time.Minute),
		Deployment: &alerting.Deployment{ID: 7, Service: "payment_svc", Version: "1.5.0", Environment: "production",
			At: at(0), URL: "https://ci.example.com/runs/42", CreatedAt: at(0)},
		Exemplars: []alerting.Exemplar{
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
	svc := alerting.NewService(nil, nil, nil, alerting.Options{PublicURL: "https://waymark.example.com/"})
	firing := firingTransition()

	escalated := firingTransition()
	escalated.From, escalated.Event, escalated.FromSince = slo.StateTicket, slo.EventEscalated, at(-time.Hour)
	escalated.AlertStartedAt = at(-time.Hour)

	resolved := firingTransition()
	resolved.ID = 43
	resolved.From, resolved.To, resolved.Event = slo.StatePage, slo.StateOK, slo.EventResolved
	resolved.FromSince, resolved.At = at(10*time.Minute), at(2*time.Hour)
	resolved.Reason = "no alert window burns at its threshold"
	resolved.Exemplars = []alerting.Exemplar{}

	sentAt := at(10*time.Minute + 3*time.Second)
	tests := []struct {
		golden  string
		kind    alerting.ChannelKind
		tr      alerting.Transition
		refresh bool
	}{
		{"webhook_firing.json", alerting.ChannelWebhook, firing, false},
		{"webhook_resolved.json", alerting.ChannelWebhook, resolved, false},
		{"slack_firing.json", alerting.ChannelSlack, firing, false},
		{"slack_resolved.json", alerting.ChannelSlack, resolved, false},
		{"alertmanager_firing.json", alerting.ChannelAlertmanager, firing, false},
		{"alertmanager_escalated.json", alerting.ChannelAlertmanager, escalated, false},
		{"alertmanager_resolved.json", alerting.ChannelAlertmanager, resolved, false},
		{"alertmanager_refresh.json", alerting.ChannelAlertmanager, escalated, true},
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

// TestAlertmanagerPayloadShape checks the fields Alertmanager's v2 API
// requires, independently of the golden files.
func TestAlertmanagerPayloadShape(t *testing.T) {
	t.Parallel()
	svc := alerting.NewService(nil, nil, nil, alerting.Options{PublicURL: "https://waymark.example.com", AlertmanagerResend: 5 * time.Minute})
	tr := firingTransition()
	tr.From, tr.Event, tr.FromSince = slo.StateTicket, slo.EventEscalated, at(-time.Hour)
	b, err := svc.Payload(alerting.ChannelAlertmanager, tr, 3, false, at(11*time.Minute))
	require.NoError(t, err)
	var alerts []struct {
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		StartsAt     time.Time         `json:"startsAt"`
		EndsAt       time.Time         `json:"endsAt"`
		GeneratorURL string            `json:"generatorURL"`
	}
	require.NoError(t, json.Unmarshal(b, &alerts))
	require.Len(t, alerts, 2)
	// The ticket ends when the page starts.
	require.Equal(t, map[string]string{"alertname": "WaymarkSLOBurn", "journey": "checkout", "slo": "pay-latency", "severity": "ticket"}, alerts[0].Labels)
	require.Equal(t, at(-time.Hour), alerts[0].StartsAt)
	require.Equal(t, at(10*time.Minute), alerts[0].EndsAt)
	require.Equal(t, "page", alerts[1].Labels["severity"])
	require.Equal(t, at(10*time.Minute), alerts[1].StartsAt)
	require.Equal(t, at(11*time.Minute+20*time.Minute), alerts[1].EndsAt, "firing until four resends from now")
	require.Equal(t, "https://waymark.example.com/journeys/checkout/slos/pay-latency", alerts[1].GeneratorURL)
	require.Equal(t, "0af7651916cd43dd8448eb211c80319c,00000000000000000000000000000abc", alerts[1].Annotations["exemplar_trace_ids"])
	require.Equal(t, "payment_svc 1.5.0 at 2025-03-10T00:00:00Z", alerts[1].Annotations["deployment"])
	require.Equal(t, "0.25", alerts[1].Annotations["budget_remaining"])
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
		require.Equal(t, tt.want, alerting.Summary(tr))
	}
}
