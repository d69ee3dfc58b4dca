package draft_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/draft"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/journeys"
)

// TestLiveTempoDraft drafts the shop journey from a session's traces as
// the Tempo of WAYMARK_TEST_TEMPO_URL returns them.
func TestLiveTempoDraft(t *testing.T) {
	live := sourcetest.LiveTempo(t)
	t.Parallel()
	cfg := demo.DefaultConfig()
	cfg.Seed = time.Now().UnixNano()
	cfg.Environment = sourcetest.Environment()
	cfg.Sessions = 50
	cfg.Duration = 3 * time.Minute
	cfg.Start = time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	var paid []*demo.Trace
	bySession := map[*demo.Session][]*demo.Trace{}
	for _, x := range tr.Traces() {
		bySession[x.Session] = append(bySession[x.Session], x)
		if x.Step == demo.NumSteps-1 && paid == nil {
			paid = bySession[x.Session]
		}
	}
	require.NotNil(t, paid)
	ours := journeys.Matcher{Key: "resource.deployment.environment", Op: journeys.OpEq, Value: journeys.StringValue(cfg.Environment)}
	pay := demo.Steps()[demo.NumSteps-1].Pattern()
	pay.Attributes = []journeys.Matcher{ours}
	live.Send(t, tr.OTLP(), pay, tr.Truth().Steps[demo.NumSteps-1].RootSpans, cfg.Start.Truncate(time.Minute), time.Now().Truncate(time.Minute).Add(time.Minute))

	var traces []journeys.Trace
	var picks []draft.Pick
	for _, x := range paid {
		whole, err := live.Source.Trace(context.Background(), x.ID.String())
		require.NoError(t, err)
		traces = append(traces, whole)
		picks = append(picks, draft.Pick{TraceID: x.ID.String(), SpanID: x.Root().ID.String()})
	}
	d, err := draft.FromTraces(traces, picks)
	require.NoError(t, err)
	want := example(t, "shop-checkout.yaml")
	want.Metadata = journeys.Metadata{Slug: "login-to-payments", Name: "Login to Payments"}
	want.Spec.SLOs = nil
	for i, name := range []string{"Login", "Products", "Cart items", "Checkout", "Payments"} {
		want.Spec.Steps[i].Name = name
	}
	require.Equal(t, want, d.Journey)
}
