package draft_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/draft"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

func shopTraffic(t *testing.T) *demo.Traffic {
	t.Helper()
	cfg := demo.DefaultConfig()
	cfg.Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cfg.Sessions = 80
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	return tr
}

func example(t *testing.T, file string) journeys.Journey {
	t.Helper()
	b, err := examples.FS.ReadFile(file)
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	return js[0]
}

func TestDraftFromOneTraceIsCorrelatedByTrace(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t)
	var login *demo.Trace
	for _, x := range tr.Traces() {
		if x.Step == 0 {
			login = x
			break
		}
	}
	for _, src := range sourcetest.Sources(t, tr.OTLP()) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			whole, err := src.Source.Trace(context.Background(), login.ID.String())
			require.NoError(t, err)
			// Picked out of order: steps follow the spans' starts.
			d, err := draft.FromTrace(whole, []string{login.Spans[2].ID.String(), login.Spans[0].ID.String(), login.Spans[1].ID.String()})
			require.NoError(t, err)
			require.Equal(t, journeys.Journey{
				APIVersion: journeys.APIVersion,
				Kind:       journeys.Kind,
				Metadata:   journeys.Metadata{Slug: "login-to-verify-password", Name: "Login to Verify password"},
				Spec: journeys.Spec{
					Correlation: journeys.Correlation{By: "trace"},
					Segments:    []string{"span.user.tier", "span.region", "span.app.version"},
					Steps: []journeys.Step{
						{Name: "Login", Match: journeys.Pattern{Service: "auth_svc", Span: "POST /login", Kind: "server"}},
						{Name: "SELECT users", Match: journeys.Pattern{Service: "auth_svc", Span: "SELECT users", Kind: "client"}},
						{Name: "Verify password", Match: journeys.Pattern{Service: "auth_svc", Span: "verify_password", Kind: "internal"}},
					},
				},
			}, d.Journey)
			require.Equal(t, []string{"span.user.tier", "span.region", "span.app.version"}, d.Segments)
			require.Empty(t, d.Values)
		})
	}
}

func TestDraftFromASessionsTracesIsTheShopJourney(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t)
	bySession := map[*demo.Session][]*demo.Trace{}
	var paid *demo.Session
	for _, x := range tr.Traces() {
		bySession[x.Session] = append(bySession[x.Session], x)
		if x.Step == demo.NumSteps-1 && paid == nil {
			paid = x.Session
		}
	}
	require.NotNil(t, paid)
	for _, src := range sourcetest.Sources(t, tr.OTLP()) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			var traces []journeys.Trace
			var picks []draft.Pick
			for _, x := range bySession[paid] {
				whole, err := src.Source.Trace(context.Background(), x.ID.String())
				require.NoError(t, err)
				traces = append(traces, whole)
				picks = append([]draft.Pick{{TraceID: x.ID.String(), SpanID: x.Root().ID.String()}}, picks...)
			}
			d, err := draft.FromTraces(traces, picks)
			require.NoError(t, err)

			// The shop's own journey, but for the names people give.
			want := example(t, "shop-checkout.yaml")
			want.Metadata = journeys.Metadata{Slug: "login-to-payments", Name: "Login to Payments"}
			want.Spec.SLOs = nil
			for i, name := range []string{"Login", "Products", "Cart items", "Checkout", "Payments"} {
				want.Spec.Steps[i].Name = name
			}
			require.Equal(t, want, d.Journey)
			require.Equal(t, []string{"span.order.total"}, d.Values)
		})
	}
}

func TestBadPicksAreRefusedWithAReason(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t)
	store := sourcetest.Store(t, tr.OTLP())
	get := func(x *demo.Trace) journeys.Trace {
		whole, err := store.Trace(context.Background(), x.ID.String())
		require.NoError(t, err)
		return whole
	}
	var a, b *demo.Trace
	for _, x := range tr.Traces() {
		if x.Step != 0 {
			continue
		}
		if a == nil {
			a = x
		} else if x.Session.UserID != a.Session.UserID {
			b = x
			break
		}
	}
	ta, tb := get(a), get(b)
	for _, c := range []struct {
		traces []journeys.Trace
		picks  []draft.Pick
		msg    string
	}{
		{[]journeys.Trace{ta}, []draft.Pick{{a.ID.String(), a.Root().ID.String()}}, "pick at least 2 spans, one per step"},
		{[]journeys.Trace{ta}, []draft.Pick{{a.ID.String(), a.Root().ID.String()}, {a.ID.String(), strings.ToUpper(a.Root().ID.String())}}, "is picked twice"},
		{[]journeys.Trace{ta}, []draft.Pick{{a.ID.String(), a.Root().ID.String()}, {a.ID.String(), "0000000000000001"}}, "has no span 0000000000000001"},
		{[]journeys.Trace{ta}, []draft.Pick{{a.ID.String(), a.Root().ID.String()}, {b.ID.String(), b.Root().ID.String()}}, "was not given"},
		{[]journeys.Trace{ta}, []draft.Pick{{a.ID.String(), a.Root().ID.String()}, {"xyz", "0000000000000001"}}, `trace id "xyz" is not 1 to 32 hex digits`},
		{[]journeys.Trace{ta, tb}, []draft.Pick{{a.ID.String(), a.Root().ID.String()}, {b.ID.String(), b.Root().ID.String()}}, "the spans come from 2 traces and share no session or other id attribute to tie them together"},
	} {
		_, err := draft.FromTraces(c.traces, c.picks)
		require.True(t, errors.Is(err, draft.ErrSelection), "%v", err)
		require.ErrorContains(t, err, c.msg)
	}
}

func TestStepNamesAndSlugsAreDerivedAlike(t *testing.T) {
	t.Parallel()
	for span, want := range map[string]string{
		"POST /login":                        "Login",
		"GET /products":                      "Products",
		"POST /cart/items":                   "Cart items",
		"GET /users/{id}/orders/:order":      "Users orders",
		"GET /orders/12345":                  "Orders",
		"DELETE /carts/3f2a9c1e-77aa-4b2c":   "Carts",
		"GET /":                              "Home",
		"GET /api/v2/search-results?q=a":     "Api v2 search results",
		"verify_password":                    "Verify password",
		"SELECT users":                       "SELECT users",
		"redis SET":                          "Redis SET",
		"  ":                                 "Step",
		"ännual_report":                      "Ännual report",
		"GET not-a-path":                     "GET not-a-path",
		strings.Repeat("x", 300):             strings.Repeat("X", 1) + strings.Repeat("x", 99),
		"POST /checkout/complete_order.json": "Checkout complete order json",
	} {
		require.Equal(t, want, draft.StepName(span), span)
	}
	for name, want := range map[string]string{
		"Login to Payments":       "login-to-payments",
		"  Cart & checkout -- ":   "cart-checkout",
		"Ünïcode":                 "n-code",
		"!!!":                     "journey",
		strings.Repeat("ab ", 40): strings.TrimSuffix(strings.Repeat("ab-", 22)[:64], "-"),
	} {
		got := draft.Slug(name)
		require.Equal(t, want, got, name)
		require.True(t, journeys.ValidSlug(got), got)
	}
}
