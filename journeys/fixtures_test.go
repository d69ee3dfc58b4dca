package journeys

import "testing"

// dur is ParseDuration for fixtures.
func dur(t testing.TB, s string) Duration {
	t.Helper()
	d, err := ParseDuration(s)
	if err != nil {
		t.Fatalf("parse duration %q: %v", s, err)
	}
	return d
}

// shopCheckout is examples/shop-checkout.yaml as a struct.
func shopCheckout(t testing.TB) Journey {
	step := func(name, service, span string) Step {
		return Step{Name: name, Match: Pattern{Service: service, Span: span, Kind: "server"}}
	}
	return Journey{
		APIVersion: APIVersion,
		Kind:       Kind,
		Metadata: Metadata{
			Slug:        "shop-checkout",
			Name:        "Shop checkout",
			Owner:       "team-shop",
			Description: "From login to a paid order in the demo shop, one session at a time.",
		},
		Spec: Spec{
			Correlation: Correlation{By: "span.session.id", Window: dur(t, "30m")},
			Segments:    []string{"span.user.tier", "span.region", "span.app.version"},
			Value:       "span.order.total",
			Steps: []Step{
				step("Login", "auth_svc", "POST /login"),
				step("Browse", "product_svc", "GET /products"),
				step("Add to cart", "cart_svc", "POST /cart/items"),
				step("Checkout", "checkout_svc", "POST /checkout"),
				step("Payment", "payment_svc", "POST /payments"),
			},
			SLOs: []SLO{
				{Name: "payment-latency", Step: "Payment", Kind: SLOLatency, Threshold: dur(t, "2s"), Objective: 0.99, Window: dur(t, "28d"),
					MinEvents: NewCount(800)},
				{Name: "payment-success", Step: "Payment", Kind: SLOSuccess, Objective: 0.995, Window: dur(t, "1d"),
					MinEvents: NewCount(40), ResolveAfter: dur(t, "15m")},
				{Name: "checkout-conversion", Kind: SLOConversion, Objective: 0.3, Window: dur(t, "7d"), MinEvents: NewCount(1000)},
			},
		},
	}
}

// loginFlow is examples/login-flow.yaml as a struct.
func loginFlow(t testing.TB) Journey {
	return Journey{
		APIVersion: APIVersion,
		Kind:       Kind,
		Metadata: Metadata{
			Slug:        "login-flow",
			Name:        "Login flow",
			Owner:       "team-identity",
			Description: "One login request, from the HTTP call to the password check, within a trace.",
		},
		Spec: Spec{
			Correlation: Correlation{By: CorrelateByTrace},
			Segments:    []string{"span.user.tier", "span.region"},
			Steps: []Step{
				{Name: "Login request", Match: Pattern{Service: "auth_svc", Span: "POST /login", Kind: "server"}},
				{Name: "Look up user", Match: Pattern{Service: "auth_svc", Span: "SELECT users", Kind: "client", Attributes: []Matcher{
					{Key: "span.db.system.name", Op: OpEq, Value: StringValue("postgresql")},
				}}},
				{Name: "Verify password", Match: Pattern{Service: "auth_svc", Span: "verify_password", Kind: "internal"}},
			},
			SLOs: []SLO{
				{Name: "login-latency", Step: "Login request", Kind: SLOLatency, Threshold: dur(t, "300ms"), Objective: 0.99, Window: dur(t, "28d"),
					MinEvents: NewCount(500)},
				{Name: "login-success", Kind: SLOSuccess, Objective: 0.999, Window: dur(t, "28d"), MinEvents: NewCount(5000)},
			},
		},
	}
}
