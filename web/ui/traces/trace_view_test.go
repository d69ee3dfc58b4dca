package traces

import (
	"fmt"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

func TestTraceShowComponent(t *testing.T) {
	t.Parallel()
	tr := checkoutTrace()
	tr.Spans[3].Attributes = []journeys.KeyValue{{Key: "http.route", Value: "/checkout"}}
	tr.Spans[3].Resource = []journeys.KeyValue{{Key: "service.name", Value: "frontend"}}
	doc, _ := render(t, TraceShow(site, TracePage{
		TraceID: tr.TraceID, Configured: true, External: "https://tempo.example/trace/abcd", Waterfall: layout.NewWaterfall(tr),
	}))
	var got []string
	doc.Find("li.wf-span").Each(func(_ int, s *goquery.Selection) {
		got = append(got, fmt.Sprintf("%s %s|%s|%s|%s|%s|%s", s.AttrOr("data-depth", ""), s.Find(`[data-testid="span-service"]`).Text(),
			s.Find(`[data-testid="span-name"]`).Text(), s.Find(`[data-testid="span-kind"]`).Text(),
			s.Find(`[data-testid="span-duration"]`).Text(), s.Find(`[data-testid="span-error"]`).Text(),
			s.Find(`[data-testid="span-orphan"]`).Text()))
	})
	require.Equal(t, []string{
		"0 frontend|GET /checkout|server|1 s||",
		"1 cart|POST /cart|server|300 ms||",
		"2 db|SELECT carts|server|100 ms||",
		"1 payment|POST /pay|server|400 ms|card declined|",
		"0 mailer|send receipt|server|50 ms||orphan",
	}, got)
	require.True(t, testID(doc, "span-3").HasClass("error"))
	require.True(t, testID(doc, "span-2").HasClass("depth-2"))
	bar := testID(doc, "span-3").Find("rect")
	require.Equal(t, []string{"500", "400"}, []string{bar.AttrOr("x", ""), bar.AttrOr("width", "")})
	require.Equal(t, "/checkout", testID(doc, "span-0").Find(`[data-testid="span-attributes"] td`).Text())
	require.Equal(t, "frontend", testID(doc, "span-0").Find(`[data-testid="span-resource"] td`).Text())
	require.Equal(t, "card declined", testID(doc, "span-3").Find(`[data-testid="span-status-message"]`).Text())
	require.Equal(t, "https://tempo.example/trace/abcd", testID(doc, "trace-external").AttrOr("href", ""))
	require.Equal(t, "5 spans · 5 services · 1 s · started 2026-03-01 10:00 UTC · 1 error", squash(testID(doc, "trace-summary").Text()))
	require.Equal(t, 5, doc.Find("details.wf-details").Length(), "attributes are shown on demand")
	require.Zero(t, doc.Find("[style]").Length(), "bars are placed by SVG attributes, not inline styles")

	doc, _ = render(t, TraceShow(site, TracePage{TraceID: tr.TraceID}))
	require.Equal(t, "Trace source not configured", testID(doc, "trace-unconfigured").Find("h2").Text())
	require.Zero(t, testID(doc, "trace-external").Length())
}
func tspan(id, parent, service, name string, startMS, durMS int) journeys.TraceSpan {
	return journeys.TraceSpan{
		SpanID: id, ParentSpanID: parent, Service: service, Name: name, Kind: "server",
		Start: wt0.Add(time.Duration(startMS) * time.Millisecond), Duration: time.Duration(durMS) * time.Millisecond,
	}
}
func checkoutTrace() journeys.Trace {
	pay := tspan("c1", "a1", "payment", "POST /pay", 500, 400)
	pay.Error, pay.StatusMessage = true, "card declined"
	return journeys.Trace{TraceID: "0000000000000000000000000000abcd", Spans: []journeys.TraceSpan{
		pay,
		tspan("d1", "b1", "db", "SELECT carts", 150, 100),
		tspan("e1", "zz", "mailer", "send receipt", 200, 50),
		tspan("a1", "", "frontend", "GET /checkout", 0, 1000),
		tspan("b1", "a1", "cart", "POST /cart", 100, 300),
	}}
}

var wt0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
