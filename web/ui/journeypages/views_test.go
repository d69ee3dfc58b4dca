package journeypages

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

var update = flag.Bool("update", false, "rewrite golden files")

var site = layout.Site{Version: "v1.2.3", CSS: "/static/app.css?v=abc", JS: "/static/htmx.min.js?v=def", Icon: "/static/favicon.svg?v=123"}

func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, c.Render(context.Background(), &buf))
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	return doc, buf.String()
}

func testID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestLayout(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, layout.ErrorPage(site, 404, "Not Found", `Journey "x" not found.`))
	require.Equal(t, "Not Found · Waymark", doc.Find("title").Text())
	require.Equal(t, "/static/app.css?v=abc", doc.Find(`link[rel=stylesheet]`).AttrOr("href", ""))
	require.Equal(t, "/static/htmx.min.js?v=def", doc.Find(`script`).AttrOr("src", ""))
	require.Equal(t, "v1.2.3", testID(doc, "version").Text())
	require.Equal(t, "JourneysSources", doc.Find(`nav a`).Text())
	require.Equal(t, "404", doc.Find(".status").Text())
	require.Equal(t, `Journey "x" not found.`, testID(doc, "error-message").Text())
	// No inline script: every <script> loads a file.
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		require.NotEmpty(t, s.AttrOr("src", ""))
		require.Empty(t, strings.TrimSpace(s.Text()))
	})
	// Nor inline event handlers.
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			require.False(t, strings.HasPrefix(a.Key, "on"), "%s has %s", goquery.NodeName(s), a.Key)
		}
	})
}

func TestJourneyListComponent(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, JourneyList(site, nil))
	require.Equal(t, 1, testID(doc, "empty-state").Length())
	require.Equal(t, "page", doc.Find(`nav a`).AttrOr("aria-current", ""))

	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	doc, _ = render(t, JourneyList(site, []JourneySummary{
		{Slug: "a b", Name: "<Checkout>", Steps: 3, Correlation: journeys.Correlation{By: "trace"}, Version: 7, UpdatedAt: at, UpdatedBy: "ci"},
		{Slug: "s", Name: "S", Owner: "team", Steps: 2, Correlation: journeys.Correlation{By: "span.session.id"}, Version: 1, UpdatedAt: at},
	}))
	row := testID(doc, "journey-a b")
	require.Equal(t, "<Checkout>", row.Find(`[data-testid="journey-name"]`).Text())
	require.Equal(t, "/journeys/a%20b", row.Find(`[data-testid="journey-name"]`).AttrOr("href", ""))
	require.Equal(t, "—", squash(row.Find(`[data-testid="journey-owner"]`).Text()))
	require.Equal(t, "one trace", row.Find(`[data-testid="journey-correlation"]`).Text())
	require.Equal(t, "no data yet", row.Find(`[data-testid="journey-numbers"]`).Text())
	require.Equal(t, "2026-03-04 04:06 UTC by ci", squash(row.Find(`[data-testid="journey-updated"]`).Text()))
	require.Equal(t, "2026-03-04T04:06:07Z", row.Find("time").AttrOr("datetime", ""))
	require.Equal(t, "span.session.id", testID(doc, "journey-s").Find(`[data-testid="journey-correlation"]`).Text())
}

// goldenYAML exercises every part of the journey page.
const goldenYAML = `apiVersion: waymark/v1
kind: Journey
metadata:
  slug: checkout
  name: Checkout
  owner: team-shop
  description: From cart to a paid order, one session at a time.
spec:
  correlation:
    by: span.session.id
    window: 30m
  segments:
    - span.user.tier
    - resource.service.version
  value: span.order.total
  steps:
    - name: Add to cart
      match:
        service: cart_svc
        span: POST /cart/items
        kind: server
        attributes:
          - key: span.http.response.status_code
            op: <
            value: 500
          - key: span.cart.source
            op: =
            value: "42"
    - name: Pay
      match:
        service: payment_svc
        spanRegex: ^POST /pay(ments)?$
  slos:
    - name: pay-latency
      step: Pay
      kind: latency
      threshold: 800ms
      objective: 0.995
      window: 28d
    - name: conversion
      kind: conversion
      objective: 0.3
`

// TestJourneyDefinitionGolden pins the whole definition page; run with -update after
// a deliberate change and review the diff.
func TestJourneyDefinitionGolden(t *testing.T) {
	t.Parallel()
	js, err := journeys.DecodeYAML([]byte(goldenYAML))
	require.NoError(t, err)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	_, html := render(t, JourneyDefinition(site, JourneyDetail{
		Journey: js[0], Version: 2, CreatedAt: at, UpdatedAt: at.Add(time.Hour), UpdatedBy: "ana",
		YAML: goldenYAML,
		History: []HistoryEntry{
			{Version: 2, Action: "updated", ChangedBy: "ana", ChangedAt: at.Add(time.Hour)},
			{Version: 1, Action: "created", ChangedBy: "api", ChangedAt: at},
		},
	}))
	golden := filepath.Join("testdata", "journey_definition.golden.html")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(html), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./web/views -update to create the golden file")
	require.Equal(t, string(want), html)
}

func TestJourneyDefinitionCorrelation(t *testing.T) {
	t.Parallel()
	j := journeys.Journey{Metadata: journeys.Metadata{Slug: "s", Name: "S"}}
	j.Spec.Correlation = journeys.Correlation{By: "span.session.id", Window: journeys.Duration{D: time.Hour, Raw: "1h"}}
	doc, _ := render(t, JourneyDefinition(site, JourneyDetail{Journey: j}))
	require.Equal(t, "Steps are tied together by span.session.id, within 1h of entering the first step.", squash(testID(doc, "journey-correlation").Text()))
	require.Equal(t, 1, testID(doc, "no-slos").Length())

	j.Spec.Correlation.Window = journeys.Duration{}
	doc, _ = render(t, JourneyDefinition(site, JourneyDetail{Journey: j}))
	require.Equal(t, "Steps are tied together by span.session.id.", squash(testID(doc, "journey-correlation").Text()))
}

func TestFormatMatcher(t *testing.T) {
	t.Parallel()
	v := func(typ journeys.ValueType, raw string) journeys.Value { return journeys.Value{Type: typ, Raw: raw} }
	cases := []struct {
		value journeys.Value
		op    journeys.Op
		want  string
	}{
		{v(journeys.TypeString, "gold"), journeys.OpEq, "span.k = gold"},
		{v(journeys.TypeString, "42"), journeys.OpEq, `span.k = "42"`},
		{v(journeys.TypeString, "true"), journeys.OpNe, `span.k != "true"`},
		{v(journeys.TypeString, ""), journeys.OpEq, `span.k = ""`},
		{v(journeys.TypeString, " x"), journeys.OpEq, `span.k = " x"`},
		{v(journeys.TypeString, `"quoted"`), journeys.OpEq, `span.k = "\"quoted\""`},
		{v(journeys.TypeString, "^a b$"), journeys.OpRegex, "span.k =~ ^a b$"},
		{v(journeys.TypeInt, "500"), journeys.OpLt, "span.k < 500"},
		{v(journeys.TypeInt, "0x1f"), journeys.OpLt, "span.k < 0x1f"},
		{v(journeys.TypeFloat, "0.5"), journeys.OpGe, "span.k >= 0.5"},
		{v(journeys.TypeFloat, "1"), journeys.OpGe, "span.k >= 1.0"},
		{v(journeys.TypeFloat, ".5"), journeys.OpGe, "span.k >= .5"},
		{v(journeys.TypeBool, "True"), journeys.OpEq, "span.k = true"},
		{v(journeys.TypeBool, "false"), journeys.OpEq, "span.k = false"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, FormatMatcher(journeys.Matcher{Key: "span.k", Op: tc.op, Value: tc.value}))
		})
	}
}

func TestInferValue(t *testing.T) {
	t.Parallel()
	cases := map[string]journeys.ValueType{
		"gold": journeys.TypeString, "true": journeys.TypeBool, "false": journeys.TypeBool, "True": journeys.TypeString,
		"42": journeys.TypeInt, "-7": journeys.TypeInt, "0x1f": journeys.TypeInt, "1_000": journeys.TypeInt,
		"1.5": journeys.TypeFloat, "1e3": journeys.TypeFloat, "-0.0": journeys.TypeFloat,
		"inf": journeys.TypeString, "NaN": journeys.TypeString, "1e999": journeys.TypeString, "1.2.3": journeys.TypeString,
		"": journeys.TypeString, "99999999999999999999": journeys.TypeFloat,
	}
	for raw, want := range cases {
		require.Equal(t, journeys.Value{Type: want, Raw: raw}, InferValue(raw), raw)
	}
}

func TestPercent(t *testing.T) {
	t.Parallel()
	cases := map[float64]string{0.995: "99.5%", 0.99: "99%", 0.999: "99.9%", 0.3: "30%", 1: "100%", 0.99995: "99.995%", 0: "0%"}
	for in, want := range cases {
		require.Equal(t, want, layout.Percent(in), in)
	}
}

// BenchmarkJourneyDefinition measures rendering the definition page.
func BenchmarkJourneyDefinition(b *testing.B) {
	js, err := journeys.DecodeYAML([]byte(goldenYAML))
	require.NoError(b, err)
	d := JourneyDetail{Journey: js[0], Version: 3, YAML: goldenYAML, History: make([]HistoryEntry, 20)}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := JourneyDefinition(site, d).Render(context.Background(), &buf); err != nil {
			b.Fatal(err)
		}
	}
}
