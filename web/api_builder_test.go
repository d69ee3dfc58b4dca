package web

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/discover"
	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/internal/suggest"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
	"github.com/waymarkhq/waymark/web/api"
	"github.com/waymarkhq/waymark/web/builderhttp"
)

// builderStart is when the builder's traffic begins; builderNow puts its
// half hour inside the last hour.
var builderStart = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func builderNow() time.Time { return builderStart.Add(45*time.Minute + 10*time.Second) }

// builderTraffic is the demo shop's sessions from builderStart.
func builderTraffic(t testing.TB, sessions int) *demo.Traffic {
	t.Helper()
	cfg := demo.DefaultConfig()
	cfg.Start = builderStart
	cfg.Sessions = sessions
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	return tr
}

// setupBuilder is a server whose builder reads tr from the embedded store.
func setupBuilder(t testing.TB, tr *demo.Traffic) *bundle {
	t.Helper()
	src := sourcetest.Store(t, tr.OTLP())
	return setupWith(t, func(o *Options) {
		o.Traces = src
		o.Now = builderNow
		o.Builder = builderhttp.New(src, builderhttp.Options{
			Suggest:  suggest.Options{Now: builderNow},
			Preview:  preview.Options{Now: builderNow},
			Discover: discover.Options{Now: builderNow},
		})
	})
}

// rankedCounts is what a suggestion list must be for exact counts.
func rankedCounts(m map[string]int64) []suggest.Suggestion {
	out := []suggest.Suggestion{}
	for v, n := range m {
		out = append(out, suggest.Suggestion{Value: v, Count: n})
	}
	slices.SortFunc(out, func(a, b suggest.Suggestion) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
	})
	return out
}

func getSuggestions(t *testing.T, b *bundle, target string) []suggest.Suggestion {
	t.Helper()
	rec := b.do(t, http.MethodGet, target, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got struct{ Values []suggest.Suggestion }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	return got.Values
}

func problem(t *testing.T, b *bundle, method, target, ctype, body string, status int) map[string]any {
	t.Helper()
	var headers []string
	if ctype != "" {
		headers = []string{"Content-Type", ctype}
	}
	rec := b.do(t, method, target, strings.NewReader(body), headers...)
	require.Equal(t, status, rec.Code, rec.Body.String())
	var p struct {
		Error struct {
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	return map[string]any{"title": p.Error.Message, "fields": p.Error.Fields}
}

func TestSuggestionsAPICountsWhatTheTrafficHolds(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 200)
	b := setupBuilder(t, tr)
	services := map[string]int64{}
	payments := map[string]int64{}
	tiers := map[string]int64{}
	for _, x := range tr.Traces() {
		info := demo.Steps()[x.Step]
		for _, sp := range x.Spans {
			services[info.Service]++
			if info.Service == "payment_svc" {
				payments[sp.Name]++
				for _, a := range sp.Attrs {
					if a.Key == demo.AttrUserTier {
						tiers[a.Value.AsString()]++
					}
				}
			}
		}
	}
	require.Len(t, services, 5)
	require.Equal(t, rankedCounts(services), getSuggestions(t, b, "/api/v1/suggest/services"))
	require.Equal(t, rankedCounts(payments), getSuggestions(t, b, "/api/v1/suggest/spans?service=payment_svc"))
	require.Equal(t, rankedCounts(tiers), getSuggestions(t, b, "/api/v1/suggest/values?service=payment_svc&key=span.user.tier"))
	require.Empty(t, getSuggestions(t, b, "/api/v1/suggest/spans?service=nope_svc"))
	attrs := getSuggestions(t, b, "/api/v1/suggest/attributes?service=payment_svc&span=POST+/payments")
	require.Contains(t, attrs, suggest.Suggestion{Value: "span.user.tier", Count: tiers["free"] + tiers["pro"] + tiers["enterprise"]})

	// Questions that cannot be answered are 400s that say why.
	p := problem(t, b, http.MethodGet, "/api/v1/suggest/spans", "", "", http.StatusBadRequest)
	require.Equal(t, "service: name the service whose span names to list", p["title"])
	p = problem(t, b, http.MethodGet, "/api/v1/suggest/values", "", "", http.StatusBadRequest)
	require.Equal(t, "key: name the attribute whose values to list, e.g. span.user.tier", p["title"])
	p = problem(t, b, http.MethodGet, "/api/v1/suggest/services?range=forever", "", "", http.StatusBadRequest)
	require.Equal(t, `range: "forever" is not a duration such as 15m, 1h or 24h`, p["title"])
	p = problem(t, b, http.MethodGet, "/api/v1/suggest/values?key=user.tier", "", "", http.StatusBadRequest)
	require.Contains(t, p["title"], "user.tier")
	problem(t, b, http.MethodGet, "/api/v1/suggest/colours", "", "", http.StatusNotFound)
}

func shopYAML(t testing.TB) string {
	t.Helper()
	y, err := examples.FS.ReadFile("shop-checkout.yaml")
	require.NoError(t, err)
	return string(y)
}

func TestPreviewAPIRunsAnUnsavedJourney(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 120)
	truth := tr.Truth()
	b := setupBuilder(t, tr)

	rec := b.do(t, http.MethodPost, "/api/v1/journeys/preview", strings.NewReader(shopYAML(t)), "Content-Type", "application/yaml")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got api.PreviewOut
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, builderStart.Add(-15*time.Minute), got.From)
	require.Equal(t, builderStart.Add(45*time.Minute), got.To)
	require.Len(t, got.Steps, demo.NumSteps)
	for k, s := range got.Steps {
		require.Equal(t, int64(truth.Steps[k].RootSpans), s.Spans, s.Name)
		require.Equal(t, int64(truth.Steps[k].Errors), s.Errors, s.Name)
		require.Len(t, s.Samples, 3, s.Name)
		for _, id := range s.Samples {
			require.Equal(t, "/traces/"+id, got.Traces[id])
		}
		require.Equal(t, int64(truth.Funnel[k].Sessions), got.Funnel.Steps[k].Reached, s.Name)
		require.InDelta(t, truth.Funnel[k].Conversion, got.Funnel.Steps[k].Conversion, 1e-12, s.Name)
	}
	require.Equal(t, int64(truth.Funnel[0].Sessions), got.Funnel.Entered)
	require.Equal(t, "0s", got.Funnel.Steps[0].FromPreviousP50)
	require.Positive(t, got.Funnel.Steps[1].FromPreviousP95MS)
	// Nothing was saved.
	list, err := b.store.ListJourneys(t.Context())
	require.NoError(t, err)
	require.Empty(t, list)

	// A mistyped step is flagged; a range can be asked for.
	body := strings.Replace(shopYAML(t), "POST /cart/items", "POST /cart/item", 1)
	rec = b.do(t, http.MethodPost, "/api/v1/journeys/preview?range=15m", strings.NewReader(body), "Content-Type", "application/yaml")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, builderStart.Add(30*time.Minute), got.From)
	require.True(t, got.Steps[2].Unmatched)
	require.Equal(t, "no span matched this step in the last 24 hours: check the service, span name, kind and attributes", got.Steps[2].Warning)

	// Bad bodies say what is wrong.
	p := problem(t, b, http.MethodPost, "/api/v1/journeys/preview", "application/json", "{", http.StatusBadRequest)
	require.Contains(t, p["title"], "malformed body")
	problem(t, b, http.MethodPost, "/api/v1/journeys/preview", "text/plain", "x", http.StatusUnsupportedMediaType)
	p = problem(t, b, http.MethodPost, "/api/v1/journeys/preview", "application/json", `{"spec":{"correlation":{"by":"trace"},"steps":[]}}`, http.StatusUnprocessableEntity)
	require.Equal(t, "invalid journey", p["title"])
	p = problem(t, b, http.MethodPost, "/api/v1/journeys/preview?range=2d", "application/yaml", shopYAML(t), http.StatusBadRequest)
	require.Contains(t, p["title"], "range")
}

func TestSuggestedJourneysAPIProposesTheShopFunnel(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 150)
	truth := tr.Truth()
	b := setupBuilder(t, tr)
	rec := b.do(t, http.MethodGet, "/api/v1/journeys/suggested", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got api.SuggestedOut
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, truth.Sessions, got.Sessions)
	require.Equal(t, truth.Traces, got.Traces)
	require.Len(t, got.Candidates, 1)
	c := got.Candidates[0]
	require.Equal(t, "login-to-payments", c.Slug)
	require.Equal(t, "span.session.id", c.By)
	require.Equal(t, int64(truth.Funnel[demo.NumSteps-1].Sessions), c.Completed)
	require.Equal(t, int64(truth.Funnel[0].Sessions), c.Entered)
	js, err := journeys.DecodeYAML([]byte(c.YAML))
	require.NoError(t, err)
	require.Len(t, js, 1)
	require.Len(t, js[0].Spec.Steps, demo.NumSteps)
	require.Equal(t, "payment_svc", js[0].Spec.Steps[4].Match.Service)
	require.NotEmpty(t, got.Method)
}

func TestBuilderAPIWithoutATraceSourceSaysSo(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, target := range []string{"/api/v1/suggest/services", "/api/v1/journeys/suggested"} {
		p := problem(t, b, http.MethodGet, target, "", "", http.StatusServiceUnavailable)
		require.Equal(t, "trace source not configured", p["title"])
	}
	p := problem(t, b, http.MethodPost, "/api/v1/journeys/preview", "application/yaml", shopYAML(t), http.StatusServiceUnavailable)
	require.Equal(t, "trace source not configured", p["title"])
}
