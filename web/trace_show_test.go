package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

const checkoutTraceID = "0000000000000000000000000000abcd"

// checkoutTrace is a hand-built trace, spans out of order: a request, two
// children, a grandchild, and a span whose parent never arrived.
func checkoutTrace() journeys.Trace {
	ms := time.Millisecond
	span := func(id, parent, service, name, kind string, start, d time.Duration) journeys.TraceSpan {
		return journeys.TraceSpan{SpanID: id, ParentSpanID: parent, Service: service, Name: name, Kind: kind, Start: st0.Add(start), Duration: d}
	}
	root := span("a1", "", "frontend", "GET /checkout", "server", 0, 800*ms)
	root.Attributes = []journeys.KeyValue{{Key: "http.route", Value: "/checkout"}, {Key: "user.tier", Value: "gold"}}
	root.Resource = []journeys.KeyValue{{Key: "service.name", Value: "frontend"}, {Key: "service.version", Value: "1.4.2"}}
	pay := span("c1", "a1", "payment", "POST /pay", "client", 400*ms, 400*ms)
	pay.Error, pay.StatusMessage = true, "card declined"
	return journeys.Trace{TraceID: checkoutTraceID, Spans: []journeys.TraceSpan{
		pay,
		span("d1", "b1", "postgres", "SELECT carts", "client", 150*ms, 100*ms),
		span("e1", "gone", "mailer", "send receipt", "consumer", 600*ms, 200*ms),
		root,
		span("b1", "a1", "cart", "POST /cart", "", 100*ms, 200*ms),
	}}
}

type failingTraces struct{}

func (failingTraces) Trace(context.Context, string) (journeys.Trace, error) {
	return journeys.Trace{}, errors.New("tempo: 503 Service Unavailable")
}

func TestTracePage(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) {
		o.Traces = traceMap{checkoutTraceID: checkoutTrace()}
		o.TraceURLTemplate = "https://grafana.example/explore?trace={traceID}"
	})
	for _, id := range []string{"abcd", "ABCD", checkoutTraceID} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, http.MethodGet, "/traces/"+id, nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			doc := page(t, rec)
			require.Equal(t, checkoutTraceID, testID(doc, "trace-id").Text())
			var rows []string
			doc.Find("li.wf-span").Each(func(_ int, s *goquery.Selection) {
				field := func(id string) string { return squash(s.Find(`[data-testid="` + id + `"]`).First().Text()) }
				bar := s.Find(`[data-testid="span-bar"]`)
				rows = append(rows, strings.Join([]string{
					s.AttrOr("data-depth", ""), s.AttrOr("data-span-id", ""), field("span-service"), field("span-name"),
					field("span-kind"), field("span-duration"), bar.AttrOr("x", "") + "+" + bar.AttrOr("width", ""),
					field("span-error"), field("span-orphan"),
				}, " | "))
			})
			require.Equal(t, []string{
				"0 | a1 | frontend | GET /checkout | server | 800 ms | 0+1000 |  | ",
				"1 | b1 | cart | POST /cart | unspecified | 200 ms | 125+250 |  | ",
				"2 | d1 | postgres | SELECT carts | client | 100 ms | 187.5+125 |  | ",
				"1 | c1 | payment | POST /pay | client | 400 ms | 500+500 | card declined | ",
				"0 | e1 | mailer | send receipt | consumer | 200 ms | 750+250 |  | orphan",
			}, rows)
			require.True(t, testID(doc, "span-3").HasClass("error"))
			require.Equal(t, "5 spans · 5 services · 800 ms · started 2026-03-01 10:00 UTC · 1 error", squash(testID(doc, "trace-summary").Text()))
			require.Equal(t, "https://grafana.example/explore?trace="+checkoutTraceID, testID(doc, "trace-external").AttrOr("href", ""))

			// Attributes are there on demand, without JavaScript.
			details := testID(doc, "span-0").Find("details")
			require.Equal(t, 1, details.Length())
			var attrs, res []string
			kv := func(tr *goquery.Selection) string { return tr.Find("th").Text() + "=" + tr.Find("td").Text() }
			details.Find(`[data-testid="span-attributes"] tr`).Each(func(_ int, tr *goquery.Selection) { attrs = append(attrs, kv(tr)) })
			details.Find(`[data-testid="span-resource"] tr`).Each(func(_ int, tr *goquery.Selection) { res = append(res, kv(tr)) })
			require.Equal(t, []string{"http.route=/checkout", "user.tier=gold"}, attrs)
			require.Equal(t, []string{"service.name=frontend", "service.version=1.4.2"}, res)
			require.Equal(t, "card declined", testID(doc, "span-3").Find(`[data-testid="span-status-message"]`).Text())
		})
	}

	bad := []struct {
		path   string
		status int
		msg    string
	}{
		{"/traces/xyz", 400, `"xyz" is not a trace id: expected 1 to 32 hexadecimal characters.`},
		{"/traces/0" + checkoutTraceID, 400, `"0` + checkoutTraceID + `" is not a trace id: expected 1 to 32 hexadecimal characters.`},
		{"/traces/ab-cd", 400, `"ab-cd" is not a trace id: expected 1 to 32 hexadecimal characters.`},
		{"/traces/ffff", 404, "Trace 0000000000000000000000000000ffff not found."},
	}
	for _, tc := range bad {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, http.MethodGet, tc.path, nil)
			require.Equal(t, tc.status, rec.Code)
			require.Equal(t, tc.msg, testID(page(t, rec), "error-message").Text())
		})
	}
}

func TestTracePageSources(t *testing.T) {
	t.Parallel()
	t.Run("not configured", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, func(o *Options) { o.TraceURLTemplate = "https://tempo.example/t/{traceID}" })
		rec := b.do(t, http.MethodGet, "/traces/abcd", nil)
		require.Equal(t, http.StatusOK, rec.Code)
		doc := page(t, rec)
		require.Equal(t, "Trace source not configured", testID(doc, "trace-unconfigured").Find("h2").Text())
		require.Equal(t, "https://tempo.example/t/"+checkoutTraceID, testID(doc, "trace-external").AttrOr("href", ""))
		require.Equal(t, http.StatusBadRequest, b.do(t, http.MethodGet, "/traces/nothex", nil).Code)
	})
	t.Run("source fails", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, func(o *Options) { o.Traces = failingTraces{} })
		rec := b.do(t, http.MethodGet, "/traces/abcd", nil)
		require.Equal(t, http.StatusBadGateway, rec.Code)
		require.Equal(t, "The trace source failed to return the trace; try again.", testID(page(t, rec), "error-message").Text())
		require.Contains(t, b.logs.String(), "tempo: 503 Service Unavailable")
	})
	t.Run("empty trace is not found", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, func(o *Options) { o.Traces = traceMap{checkoutTraceID: {TraceID: checkoutTraceID}} })
		require.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, "/traces/abcd", nil).Code)
	})
}
