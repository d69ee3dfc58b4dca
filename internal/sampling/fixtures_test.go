package sampling

import (
	"github.com/waymarkhq/waymark/journeys"
)

func mustJourney(src string) journeys.Journey {
	js, err := journeys.DecodeYAML([]byte(src))
	if err != nil {
		panic(err)
	}
	if err := js[0].Validate(); err != nil {
		panic(err)
	}
	return js[0]
}

// loginFlow is correlated by trace, with a latency SLO on step 1.
func loginFlow() journeys.Journey {
	return mustJourney(`
apiVersion: waymark/v1
kind: Journey
metadata: {slug: login-flow, name: Login flow}
spec:
  correlation: {by: trace}
  steps:
    - name: Login request
      match: {service: auth_svc, span: POST /login, kind: server}
    - name: Look up user
      match:
        service: auth_svc
        span: SELECT users
        kind: client
        attributes:
          - {key: span.db.system.name, op: "=", value: postgresql}
  slos:
    - {name: login-latency, step: Login request, kind: latency, threshold: 300ms, objective: 0.99}
`)
}

// shopCheckout is correlated by a span attribute, with two latency SLOs
// on step 3: the lower threshold decides.
func shopCheckout() journeys.Journey {
	return mustJourney(`
apiVersion: waymark/v1
kind: Journey
metadata: {slug: shop-checkout, name: Shop checkout}
spec:
  correlation: {by: span.session.id, window: 30m}
  steps:
    - name: Login
      match: {service: auth_svc, span: POST /login, kind: server}
    - name: Browse
      match: {service: product_svc, span: GET /products, kind: server}
    - name: Add to cart
      match: {service: cart_svc, span: POST /cart/items, kind: server}
  slos:
    - {name: cart-latency, step: Add to cart, kind: latency, threshold: 2s, objective: 0.9}
    - {name: cart-latency-tight, step: Add to cart, kind: latency, threshold: 1s, objective: 0.5}
    - {name: cart-success, step: Add to cart, kind: success, objective: 0.99}
`)
}

// everyMatcher has a step using every operator on every type, the
// intrinsics and a resource attribute, correlated by a resource attribute.
func everyMatcher() journeys.Journey {
	return mustJourney(`
apiVersion: waymark/v1
kind: Journey
metadata: {slug: matchers, name: Every matcher}
spec:
  correlation: {by: resource.visit.id, window: 1h}
  steps:
    - name: Search
      match:
        service: search_svc
        spanRegex: GET /search/[a-z]+
        kind: server
        attributes:
          - {key: span.http.route, op: "=", value: "/search/{q}"}
          - {key: span.retries, op: "<=", value: 2}
          - {key: span.ratio, op: "<", value: 0.6}
          - {key: span.cached, op: "!=", value: true}
          - {key: span.tier, op: "!=", value: free}
          - {key: span.region, op: "=~", value: "eu-.*"}
          - {key: resource.deployment.environment, op: "!~", value: "staging|dev"}
          - {key: duration, op: "<", value: 5s}
          - {key: name, op: "!~", value: ".*/admin"}
          - {key: status, op: "!=", value: ok}
          - {key: kind, op: "=", value: server}
          - {key: statusMessage, op: "!=", value: boom}
    - name: Results
      match: {service: search_svc, span: render, kind: internal}
  slos:
    - {name: search-latency, step: Search, kind: latency, threshold: 800ms, objective: 0.99}
`)
}
