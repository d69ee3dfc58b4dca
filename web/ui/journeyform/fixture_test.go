package journeyform

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

// example returns a journey the demo shop ships, as decoded from its file.
func example(t *testing.T, slug string) (journeys.Journey, []byte) {
	t.Helper()
	b, err := examples.FS.ReadFile(slug + ".yaml")
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	require.Len(t, js, 1)
	return js[0], b
}

// checkoutJourney is what checkoutForm stores.
func checkoutJourney() journeys.Journey {
	return journeys.Journey{
		APIVersion: journeys.APIVersion,
		Kind:       journeys.Kind,
		Metadata:   journeys.Metadata{Slug: "checkout", Name: "Checkout", Owner: "team-shop", Description: "Cart to payment."},
		Spec: journeys.Spec{
			Correlation: journeys.Correlation{By: "span.session.id", Window: mustDuration("30m")},
			Segments:    []string{"span.user.tier", "span.region", "resource.service.version"},
			Value:       "span.order.total",
			Steps: []journeys.Step{
				{Name: "Add to cart", Match: journeys.Pattern{Service: "cart_svc", Span: "POST /cart/items", Kind: "server",
					Attributes: []journeys.Matcher{
						{Key: "span.http.response.status_code", Op: journeys.OpLt, Value: journeys.Value{Type: journeys.TypeInt, Raw: "500"}},
						{Key: "span.cart.kind", Op: journeys.OpEq, Value: journeys.StringValue("42")},
					}}},
				{Name: "Pay", Match: journeys.Pattern{Service: "payment_svc", SpanRegex: "^POST /pay"}},
			},
			SLOs: []journeys.SLO{{Name: "pay-latency", Step: "Pay", Kind: journeys.SLOLatency,
				Threshold: mustDuration("800ms"), Objective: 0.99, Window: mustDuration("28d")}},
		},
	}
}
func mustDuration(s string) journeys.Duration {
	d, err := journeys.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}
