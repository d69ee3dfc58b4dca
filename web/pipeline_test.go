package web

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sampling"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// TestSamplingPolicyAPI: the API answers the bytes the command prints for
// the same journeys and options, and says which parameter is wrong.
func TestSamplingPolicyAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	login, _ := example(t, "login-flow")
	shop, _ := example(t, "shop-checkout")
	b.seed(t, "shop-checkout")
	b.seed(t, "login-flow")

	rec := b.do(t, http.MethodGet, "/api/v1/sampling/policy", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "application/yaml; charset=utf-8", rec.Header().Get("Content-Type"))
	want, err := sampling.Policy([]journeys.Journey{login, shop}, sampling.DefaultOptions())
	require.NoError(t, err)
	require.Equal(t, string(want), rec.Body.String(), "every journey, in slug order, with the command's defaults")

	rec = b.do(t, http.MethodGet, "/api/v1/sampling/policy?journey=shop-checkout&keep_rate=0.05&step_keep_rate=1&decision_wait=45s&format=json", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	want, err = sampling.Policy([]journeys.Journey{shop}, sampling.Options{KeepRate: 0.05, StepKeepRate: 1, DecisionWait: 45 * time.Second, Format: sampling.FormatJSON})
	require.NoError(t, err)
	require.Equal(t, string(want), rec.Body.String())

	for _, tc := range []struct{ query, field, msg string }{
		{"keep_rate=2", "keep_rate", `"2" is not a number between 0 and 1`},
		{"step_keep_rate=NaN", "step_keep_rate", `"NaN" is not a number between 0 and 1`},
		{"journey=nope", "journey", `no journey "nope"`},
		{"journey=Not%20A%20Slug", "journey", `"Not A Slug" is not a journey slug`},
		{"format=xml", "format", `"xml": use yaml or json`},
		{"decision_wait=2h", "decision_wait", "must be more than 0 and at most 1h"},
		{"decision_wait=soon", "decision_wait", `"soon" is not a duration such as 30s or 2m`},
	} {
		rec := b.do(t, http.MethodGet, "/api/v1/sampling/policy?"+tc.query, nil)
		require.Equal(t, http.StatusBadRequest, rec.Code, tc.query)
		var body struct {
			Error struct {
				Message string            `json:"message"`
				Fields  map[string]string `json:"fields"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
		require.Equal(t, map[string]string{tc.field: tc.msg}, body.Error.Fields, tc.query)
		require.Equal(t, tc.field+": "+tc.msg, body.Error.Message, tc.query)
	}
}

// TestSamplingPage: the page shows the same policy with a copy button,
// keeps the form's values, and puts a bad value's message beside it.
func TestSamplingPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.do(t, http.MethodGet, "/sampling", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	require.Equal(t, 1, testID(doc, "sampling-empty").Length(), "no journeys: no policy, a way to define one")
	require.Equal(t, 0, testID(doc, "sampling-policy").Length())

	shop, _ := example(t, "shop-checkout")
	b.seed(t, "shop-checkout")
	rec = b.do(t, http.MethodGet, "/sampling?keep_rate=0.2", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc = page(t, rec)
	opts := sampling.DefaultOptions()
	opts.KeepRate = 0.2
	want, err := sampling.Policy([]journeys.Journey{shop}, opts)
	require.NoError(t, err)
	require.Equal(t, string(want), testID(doc, "sampling-policy").Text())
	require.Equal(t, 1, testID(doc, "copy-policy").Length())
	require.Equal(t, "0.2", inputValue(doc, "keep_rate"))
	require.Equal(t, "0.25", inputValue(doc, "step_keep_rate"))
	require.Equal(t, "30s", inputValue(doc, "decision_wait"))
	href, _ := testID(doc, "sampling-api").Attr("href")
	require.Equal(t, "/api/v1/sampling/policy?keep_rate=0.2", href)

	rec = b.do(t, http.MethodGet, "/sampling?keep_rate=1.5", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	doc = page(t, rec)
	require.Equal(t, `"1.5" is not a number between 0 and 1`, testID(doc, "error-keep_rate").Text())
	require.Equal(t, "1.5", inputValue(doc, "keep_rate"), "the form keeps what was typed")
	require.Equal(t, 0, testID(doc, "sampling-policy").Length())
}

// costRollups answers fixed freshness, as the rollup store would after
// the runs described.
type costRollups struct {
	journeyhttp.RollupsOff
	fs []rollup.Freshness
}

func (c costRollups) AllFreshness(context.Context) ([]rollup.Freshness, error) { return c.fs, nil }

// TestSourcesPageAndAPI: a journey keeps up while its last complete
// bucket is within the lag plus 2 minutes of now; one behind or failing
// is counted and shown so, with what its last run cost.
func TestSourcesPageAndAPI(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	fs := []rollup.Freshness{
		{Slug: "login-flow", CompleteThrough: now.Add(-150 * time.Second), LastRunAt: now.Add(-20 * time.Second),
			LastRunDuration: 1234 * time.Millisecond, LastSpans: 3060, LastNewSpans: 3000, LastRecountSpans: 60,
			LastFetch: journeys.FetchStats{Requests: 4, InspectedBytes: 31_400_000}, OpenInstances: 812, Totals: rollup.RunTotals{Runs: 17}},
		{Slug: "shop-checkout", CompleteThrough: now.Add(-10 * time.Minute), LastRunAt: now.Add(-time.Minute),
			LastSpans: 500, LastNewSpans: 100, LastError: "tempo: 503 Service Unavailable", FailingSince: now.Add(-7 * time.Minute)},
		{Slug: "new-one"},
	}
	b := setupWith(t, func(o *Options) {
		o.Rollups = costRollups{fs: fs}
		o.Now = func() time.Time { return now }
		o.Source = journeyhttp.Source{Kind: "tempo", Target: "http://tempo:3200", Lag: 2 * time.Minute}
	})

	rec := b.do(t, http.MethodGet, "/api/v1/sources", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got journeyhttp.SourceStatus
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, "tempo", got.Kind)
	require.Equal(t, "2m", got.Lag)
	require.Equal(t, 2, got.Behind, "shop-checkout failing and new-one never run")
	require.Len(t, got.Journeys, 3)
	login := got.Journeys[0]
	require.Equal(t, "2m30s", login.BehindText)
	require.True(t, login.KeepingUp, "2m30s behind is within 2m lag + 2m")
	require.Equal(t, 1.02, login.Amplification)
	require.Equal(t, "1.234s", login.LastRunTook)
	require.Equal(t, int64(31_400_000), login.InspectedBytes)
	require.False(t, got.Journeys[1].KeepingUp)
	require.Equal(t, "10m", got.Journeys[1].BehindText)
	require.False(t, got.Journeys[2].KeepingUp)
	require.Empty(t, got.Journeys[2].BehindText)

	rec = b.do(t, http.MethodGet, "/sources", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	require.Equal(t, "Grafana Tempo · http://tempo:3200 · rollups read up to 2m behind now", squash(testID(doc, "source-kind").Text()))
	require.Equal(t, "2 journeys are behind or failing. Numbers for the latest minutes are missing until they catch up.", squash(testID(doc, "sources-behind").Text()))
	require.Equal(t, "login-flow | 2026-12-04 09:57 UTC | 2m30s | took 1.234s | 3,060 (3,000) | 1.02× | 60 | 4 | 31.4 MB | 812",
		cells(testID(doc, "source-row-login-flow")))
	require.Equal(t, "failing since 2026-12-04 09:53 UTC: tempo: 503 Service Unavailable", squash(testID(doc, "failing-shop-checkout").Text()))
	require.Equal(t, "–", squash(testID(doc, "behind-new-one").Text()))
	require.Equal(t, "–", squash(testID(doc, "amp-new-one").Text()))
}
