package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

var stepNumberID = regexp.MustCompile(`^step-(\d+)-(.+)$`)

// apiNumber is the API's value of the number a data-testid names.
func apiNumber(t *testing.T, st journeyhttp.Stats, id string) float64 {
	t.Helper()
	overall := map[string]float64{
		"overall-conversion": st.OverallConversion,
		"entered":            float64(st.Entered),
		"completed":          float64(st.Completed),
		"in-flight":          float64(st.InFlight),
		"dropped":            float64(st.Dropped),
		"errored":            float64(st.Errored),
	}
	if v, ok := overall[id]; ok {
		return v
	}
	m := stepNumberID.FindStringSubmatch(id)
	require.NotNil(t, m, "unknown number %s on the page", id)
	k, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	require.Less(t, k, len(st.Steps), id)
	s := st.Steps[k]
	var times journeyhttp.StepTimes
	if s.TimeFromPreviousMS != nil {
		times = *s.TimeFromPreviousMS
	}
	switch m[2] {
	case "spans":
		return float64(s.Spans)
	case "rate":
		return s.RatePerMinute
	case "errors":
		return float64(s.Errors)
	case "error-rate":
		return s.ErrorRate
	case "p50":
		return s.LatencyMS.P50
	case "p95":
		return s.LatencyMS.P95
	case "p99":
		return s.LatencyMS.P99
	case "reached":
		return float64(s.Reached)
	case "in-flight":
		return float64(s.InFlight)
	case "conversion":
		return s.ConversionFromPrevious
	case "drop-off":
		return float64(s.DropOff)
	case "drop-off-in-flight":
		return float64(st.Steps[k-1].InFlight - s.InFlight)
	case "time-p50":
		return times.P50
	case "time-p95":
		return times.P95
	}
	t.Fatalf("unknown number %s on the page", id)
	return 0
}

// TestJourneyMapAgreesWithAPI reads every number the map shows and
// compares it with the stats API for the same range and segment.
func TestJourneyMapAgreesWithAPI(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	whole := "from=2026-03-01T10:00:00Z&to=2026-03-01T10:03:00Z"
	queries := []string{
		whole,
		whole + "&segment=span.tier%3Dgold",
		whole + "&segment=span.tier%3Dsilver",
		whole + "&segment=span.region%3Deu",
		"from=2026-03-01T10:02:00Z&to=2026-03-01T10:03:00Z&segment=span.tier%3Dgold",
		"range=15m",
		"range=7d&segment=span.tier%3Dsilver",
		"",
		"from=2026-03-01T11:00:00Z&to=2026-03-01T12:00:00Z",
	}
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/stats?"+q, nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			st := decodeStats(t, rec.Body.Bytes())

			rec = b.do(t, http.MethodGet, "/journeys/shop?"+q, nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			doc := page(t, rec)
			seen := map[string]bool{}
			doc.Find("#journey-map [data-value]").Each(func(_ int, s *goquery.Selection) {
				id := s.AttrOr("data-testid", "")
				require.False(t, seen[id], "%s shown twice", id)
				seen[id] = true
				got, err := strconv.ParseFloat(s.AttrOr("data-value", ""), 64)
				require.NoError(t, err, id)
				require.Equal(t, apiNumber(t, st, id), got, id)
			})
			// Every step's main numbers are on the page.
			for _, id := range []string{"overall-conversion", "entered", "completed", "in-flight", "dropped", "errored"} {
				require.True(t, seen[id], id)
			}
			for k := range st.Steps {
				for _, what := range []string{"spans", "rate", "reached"} {
					require.True(t, seen[fmt.Sprintf("step-%d-%s", k, what)], "step-%d-%s", k, what)
				}
				// Without spans there is no error rate or latency to show.
				for _, what := range []string{"errors", "error-rate", "p50", "p95", "p99"} {
					require.Equal(t, st.Steps[k].Spans > 0, seen[fmt.Sprintf("step-%d-%s", k, what)], "step-%d-%s", k, what)
				}
				if st.Steps[k].Spans == 0 {
					require.Equal(t, "no spans", testID(doc, fmt.Sprintf("step-%d-latency", k)).Text())
					require.Equal(t, "no spans", testID(doc, fmt.Sprintf("step-%d-error-level", k)).Text())
				}
				if k > 0 {
					require.True(t, seen[fmt.Sprintf("step-%d-conversion", k)])
					// No drop-off is said in words, not as "−0".
					require.Equal(t, st.Steps[k].DropOff > 0, seen[fmt.Sprintf("step-%d-drop-off", k)], "step %d drop-off", k)
					require.Equal(t, st.Steps[k].DropOff == 0, testID(doc, fmt.Sprintf("step-%d-none-dropped", k)).Length() == 1, "step %d none dropped", k)
				}
				// And the traces behind them.
				var slow, errd []string
				testID(doc, fmt.Sprintf("step-%d-slowest", k)).Find("a[data-testid]").Each(func(_ int, a *goquery.Selection) {
					slow = append(slow, a.AttrOr("href", ""))
				})
				testID(doc, fmt.Sprintf("step-%d-errored", k)).Find("a[data-testid]").Each(func(_ int, a *goquery.Selection) {
					errd = append(errd, a.AttrOr("href", ""))
				})
				require.Equal(t, urls(st.Steps[k].Exemplars.Slowest, k), slow, "step %d slowest", k)
				require.Equal(t, urls(st.Steps[k].Exemplars.Errored, k), errd, "step %d errored", k)
			}
		})
	}
}

// urls are the map's links of exemplars of step k: the API's, saying which
// journey step (1-based) led to the trace.
func urls(ex []journeyhttp.Exemplar, k int) []string {
	var out []string
	for _, e := range ex {
		out = append(out, e.URL+"?journey=shop&step="+strconv.Itoa(k+1))
	}
	return out
}

func TestJourneyMapPage(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) {
		o.Now = func() time.Time { return shopNow }
		o.TraceURLTemplate = "https://grafana.example/explore?trace={traceID}"
	})
	b.seedShop(t, sat(3*time.Minute+5*time.Second))

	rec := b.do(t, http.MethodGet, "/journeys/shop?from=2026-03-01T10:00:00Z&to=2026-03-01T10:03:00Z", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := page(t, rec)
	text := func(id string) string { return squash(testID(doc, id).Text()) }
	want := map[string]string{
		"overall-conversion":  "50%",
		"entered":             "4",
		"completed":           "2",
		"in-flight":           "1",
		"dropped":             "1",
		"errored":             "2",
		"step-0-spans":        "4",
		"step-0-rate":         "1.33/min",
		"step-0-error-rate":   "25%",
		"step-0-in-flight":    "1",
		"step-1-conversion":   "75%",
		"step-1-none-dropped": "none dropped", // session 3 is in flight, not dropped
		// The sketch's value for 10s, within 1%.
		"step-1-time-p50":   "9.92 s",
		"step-2-conversion": "66.7%",
		"step-2-error-rate": "50%",
		"step-2-reached":    "2",
		"freshness":         "updated 10:03:05 UTC · last run read 9 spans in 850 ms · source cost",
		"range-label":       "2026-03-01 10:00 UTC – 2026-03-01 10:03 UTC",
		"step-1-funnel":     "2. s2 3 · 75%",
		"journey-title":     "Shop",
		"step-0-name":       "s1",
		"step-0-service":    "shop",
		"step-2-errored-0":  "2026-03-01 10:00 UTC",
		"step-0-slowest-0":  "250 ms",
	}
	for id, w := range want {
		require.Equal(t, w, text(id), id)
	}
	// Session 3 did not reach s2 but may still; session 2 dropped at s3.
	require.Equal(t, "1", testID(doc, "step-1-drop-off-in-flight").Text())
	require.Zero(t, testID(doc, "step-2-drop-off-in-flight").Length())
	require.Equal(t, "−1 did not continue", squash(testID(doc, "step-2-arrow").Find(".drop").Text()))
	require.Equal(t, "page", testID(doc, "tab-map").AttrOr("aria-current", ""))
	require.Equal(t, "custom", testID(doc, "range-picker").Find("option[selected]").AttrOr("value", ""))
	require.Equal(t, "2026-03-01T10:00:00Z", inputValue(doc, "from"))
	require.Equal(t, "2026-03-01T10:03:00Z", inputValue(doc, "to"))

	// Segment picker: all traffic, then each key's values in the range,
	// most entered first.
	var options []string
	testID(doc, "segment-picker").Find("option").Each(func(_ int, o *goquery.Selection) {
		group := o.Parent().AttrOr("label", "")
		options = append(options, group+"|"+o.AttrOr("value", "")+"|"+squash(o.Text()))
	})
	require.Equal(t, []string{
		"|" + "|All traffic",
		"span.tier|span.tier=gold|gold (2 entered)",
		"span.tier|span.tier=silver|silver (2 entered)",
		"span.region|span.region=eu|eu (4 entered)",
	}, options)
	require.Equal(t, "", testID(doc, "segment-picker").Find("option[selected]").AttrOr("value", "-"))

	// Range links keep the segment and pick a preset.
	require.Equal(t, "/journeys/shop?range=6h", testID(doc, "range-6h").AttrOr("href", ""))

	// Exemplars link to the waterfall and to the trace backend.
	require.Equal(t, "/traces/"+rolluptest.TraceID(4)+"?journey=shop&step=1", testID(doc, "step-0-slowest-0").AttrOr("href", ""))
	require.Equal(t, "https://grafana.example/explore?trace="+rolluptest.TraceID(4), testID(doc, "step-0-slowest-0-external").AttrOr("href", ""))
	require.Equal(t, "/traces/"+rolluptest.TraceID(1)+"?journey=shop&step=3", testID(doc, "step-2-errored-0").AttrOr("href", ""))

	// Funnel bars are proportional to the instances reaching each step.
	var widths []string
	testID(doc, "funnel").Find("rect").Each(func(_ int, r *goquery.Selection) { widths = append(widths, r.AttrOr("width", "")) })
	require.Equal(t, []string{"500", "375", "250"}, widths)

	// Sparklines: one point per minute over three minutes. s1 had 1, 1 and
	// 2 spans, one error in the last minute.
	spark := testID(doc, "step-0-spark-spans")
	require.Equal(t, "0,16 80,16 160,1", spark.Find("polyline.spark-spans").AttrOr("points", ""))
	require.Equal(t, "0,31 80,31 160,16", spark.Find("polyline.spark-errors").AttrOr("points", ""))
	require.Equal(t, "spans and errors per minute", squash(spark.Find("figcaption").Text()))
	require.Equal(t, "spans: 3 points, one per minute, peak 2", spark.Find("svg").AttrOr("aria-label", ""))
	// One error is one span; the time from s1 to s2 is labelled.
	require.Equal(t, "25% 1 span", squash(testID(doc, "step-0-error-level").Text()))
	require.Equal(t, "50% 1 span", squash(testID(doc, "step-2-error-level").Text()))
	require.Equal(t, "p50 9.92 s p95 9.92 s later", squash(testID(doc, "step-1-arrow").Find(".times").Text()))

	t.Run("segment", func(t *testing.T) {
		t.Parallel()
		doc := page(t, b.do(t, http.MethodGet, "/journeys/shop?range=1h&segment=span.tier%3Dgold", nil))
		require.Equal(t, "span.tier=gold", testID(doc, "segment-picker").Find("option[selected]").AttrOr("value", ""))
		require.Equal(t, "1h", testID(doc, "range-picker").Find("option[selected]").AttrOr("value", ""))
		require.Equal(t, "/journeys/shop?range=15m&segment=span.tier%3Dgold", testID(doc, "range-15m").AttrOr("href", ""))
		require.Equal(t, "true", testID(doc, "range-1h").AttrOr("aria-current", ""))
		got := []string{}
		for _, id := range []string{"entered", "completed", "in-flight", "dropped", "step-0-spans", "step-0-error-rate", "step-2-error-rate", "step-1-conversion"} {
			got = append(got, id+"="+squash(testID(doc, id).Text()))
		}
		require.Equal(t, []string{"entered=2", "completed=1", "in-flight=1", "dropped=0", "step-0-spans=2", "step-0-error-rate=50%",
			"step-2-error-rate=100%", "step-1-conversion=50%"}, got)
	})
	t.Run("a value not seen in the range stays selectable", func(t *testing.T) {
		t.Parallel()
		doc := page(t, b.do(t, http.MethodGet, "/journeys/shop?segment=span.tier%3Dplatinum", nil))
		require.Equal(t, "span.tier=platinum", testID(doc, "segment-picker").Find("option[selected]").AttrOr("value", ""))
		require.Equal(t, "No data in this range.", testID(doc, "no-data").Text())
		require.Equal(t, "0", testID(doc, "entered").Text())
	})
	t.Run("htmx swaps the map alone", func(t *testing.T) {
		t.Parallel()
		rec := b.do(t, http.MethodGet, "/journeys/shop?range=15m", nil, "HX-Request", "true", "HX-Target", "journey-map")
		require.Equal(t, http.StatusOK, rec.Code)
		body := rec.Body.String()
		require.True(t, strings.HasPrefix(body, `<section id="journey-map"`), body[:min(len(body), 80)])
		require.NotContains(t, body, "<html")
		require.Contains(t, rec.Header().Values("Vary"), "HX-Request, HX-Target")
		doc := page(t, rec)
		require.Equal(t, "4", testID(doc, "entered").Text())
		require.Equal(t, 1, doc.Find(`#journey-map[hx-boost="true"]`).Length())
	})
}

func TestJourneyMapFreshness(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seed(t, "login-flow")
	doc := page(t, b.do(t, http.MethodGet, "/journeys/login-flow", nil))
	require.Equal(t, "not computed yet: numbers appear after the first rollup run", squash(testID(doc, "freshness").Text()))
	require.Equal(t, "No data in this range.", testID(doc, "no-data").Text())
	require.Equal(t, "0", testID(doc, "step-2-reached").Text(), "the map shows every step of the definition")

	j := b.seedShop(t, sat(3*time.Minute+5*time.Second))
	require.NoError(t, b.rollups.RecordFailure(context.Background(), j.Metadata.Slug, 1, sat(4*time.Minute), errors.New("Tempo returned 503")))
	require.NoError(t, b.rollups.RecordFailure(context.Background(), j.Metadata.Slug, 1, sat(5*time.Minute), errors.New("Tempo returned 503 again")))
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop", nil))
	require.Equal(t, "data delayed since 10:04 UTC: Tempo returned 503 again", squash(testID(doc, "freshness").Text()))
	require.True(t, testID(doc, "freshness").HasClass("delayed"))
	require.Equal(t, "4", testID(doc, "entered").Text(), "numbers are still shown")
}

func TestJourneyMapWithoutRollups(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Rollups = journeyhttp.RollupsOff{} })
	b.seed(t, "login-flow")
	rec := b.do(t, http.MethodGet, "/journeys/login-flow", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	require.Equal(t, "No data yet: this server computes no rollups.", testID(doc, "no-data").Text())
	require.Equal(t, "rollups are not configured on this server", squash(testID(doc, "freshness").Text()))
	var groups []string
	testID(doc, "segment-picker").Find("optgroup").Each(func(_ int, g *goquery.Selection) {
		groups = append(groups, g.AttrOr("label", "")+": "+squash(g.Text()))
	})
	require.Equal(t, []string{"span.user.tier: no values in this range", "span.region: no values in this range"}, groups)

	doc = page(t, b.do(t, http.MethodGet, "/journeys", nil))
	require.Equal(t, "no data yet", testID(doc, "journey-login-flow").Find(`[data-testid="journey-numbers"]`).Text())
}

func TestJourneyMapBadParameters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t, "login-flow")
	// The map's form comes back as typed, the fault beside its field.
	cases := map[string][2]string{
		"from=yesterday":               {"from", `"yesterday" is not an RFC3339 time such as 2026-03-01T10:00:00Z.`},
		"range=3w":                     {"range", `"3w" is not one of 15m, 1h, 6h, 24h, 7d or custom.`},
		"segment=span.tier%3Dgold":     {"segment", `"span.tier" is not a segment key of this journey; its keys are span.user.tier, span.region.`},
		"segment=tier":                 {"segment", `"tier" is not of the form KEY=VALUE, such as span.user.tier=pro.`},
		"segment=span.region%3Deu%00":  {"segment", `The value of "span.region" contains a NUL character.`},
		"segment=span.region%3D%C3%28": {"segment", `The value of "span.region" is not valid UTF-8.`},
		"range=custom&from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z": {"from", `2026-03-02T00:00:00Z is not before to (2026-03-01T00:00:00Z).`},
	}
	for q, want := range cases {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, http.MethodGet, "/journeys/login-flow?"+q, nil)
			require.Equal(t, http.StatusBadRequest, rec.Code)
			doc := page(t, rec)
			require.Equal(t, want[1], testID(doc, "error-"+want[0]).Text())
			require.Equal(t, 1, doc.Find(`.field-error`).Length())
			require.Equal(t, 1, testID(doc, "map-controls").Length(), "the form is kept")
			require.Equal(t, "Correct the range to see the numbers.", testID(doc, "no-data").Text())
		})
	}
	// The form keeps what was typed, and htmx gets the map section alone.
	rec := b.do(t, http.MethodGet, "/journeys/login-flow?range=custom&from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z&segment=span.region%3Deu", nil,
		"HX-Request", "true", "HX-Target", "journey-map")
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.True(t, strings.HasPrefix(rec.Body.String(), `<section id="journey-map"`))
	doc := page(t, rec)
	require.Equal(t, "2026-03-02T00:00:00Z", inputValue(doc, "from"))
	require.Equal(t, "2026-03-01T00:00:00Z", inputValue(doc, "to"))
	require.Equal(t, "true", doc.Find("#from").AttrOr("aria-invalid", ""))
	require.Equal(t, "custom", testID(doc, "range-picker").Find("option[selected]").AttrOr("value", ""))
	require.Equal(t, "span.region=eu", testID(doc, "segment-picker").Find("option[selected]").AttrOr("value", ""))
	require.Equal(t, "-", testID(doc, "journey-map").AttrOr("hx-trigger", "-"))

	// So is a range longer than 90 days.
	rec = b.do(t, http.MethodGet, "/journeys/login-flow?range=custom&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, "2026-01-01T00:00:00Z", inputValue(page(t, rec), "from"))
	// A slug Postgres cannot compare names no journey.
	for path, msg := range map[string]string{
		"/journeys/login%00flow": `Journey "login\x00flow" not found.`,
		"/journeys/login%FFflow": `Journey "login\xffflow" not found.`,
	} {
		rec := b.do(t, http.MethodGet, path, nil)
		require.Equal(t, http.StatusNotFound, rec.Code, path)
		require.Equal(t, msg, testID(page(t, rec), "error-message").Text())
	}
}

func TestJourneyListNumbers(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seed(t, "login-flow")
	j := b.seedShop(t, sat(3*time.Minute))

	doc := page(t, b.do(t, http.MethodGet, "/journeys", nil))
	shop := testID(doc, "journey-shop")
	require.Equal(t, "50% converted of 4 worst: s3 50% errors", squash(shop.Find(`[data-testid="journey-numbers"]`).Text()))
	require.Equal(t, "0.5", shop.Find(`[data-testid="journey-conversion"]`).AttrOr("data-value", ""))
	require.Equal(t, "s3", shop.Find(`[data-testid="journey-worst-step"]`).Text())
	require.Equal(t, "0.5", shop.Find(`[data-testid="journey-worst-error-rate"]`).AttrOr("data-value", ""))
	require.Zero(t, shop.Find(`[data-testid="journey-delayed"]`).Length())
	require.Equal(t, "no data yet", testID(doc, "journey-login-flow").Find(`[data-testid="journey-numbers"]`).Text())

	require.NoError(t, b.rollups.RecordFailure(context.Background(), j.Metadata.Slug, 1, sat(4*time.Minute), errors.New("Tempo returned 503")))
	doc = page(t, b.do(t, http.MethodGet, "/journeys", nil))
	require.Equal(t, "delayed", testID(doc, "journey-shop").Find(`[data-testid="journey-delayed"]`).Text())
}
