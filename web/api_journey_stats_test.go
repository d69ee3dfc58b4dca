package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// decodeStats reads a stats answer strictly: a field the test does not
// know fails it.
func decodeStats(t *testing.T, body []byte) journeyhttp.Stats {
	t.Helper()
	var st journeyhttp.Stats
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&st), string(body))
	return st
}

func ex(t *testing.T, session int, at time.Duration, ms float64) journeyhttp.Exemplar {
	id := rolluptest.TraceID(session)
	return journeyhttp.Exemplar{TraceID: id, Start: sat(at), DurationMS: ms, URL: "/traces/" + id}
}

func none() []journeyhttp.Exemplar { return []journeyhttp.Exemplar{} }

// tenSeconds are the times of n sessions that each took 10 s to the next
// step: the sketch reads 10 s within 1%, just under the 10 s edge of the
// 1-2-5 histogram, so all n fall in [5 s, 10 s).
func tenSeconds(t *testing.T, n int64) *journeyhttp.StepTimes {
	ten := sk(t, 10_000)
	return &journeyhttp.StepTimes{P50: ten, P95: ten, P99: ten, Count: n,
		Histogram: &journeyhttp.Histogram{EdgesMS: []float64{5000, 10_000}, Counts: []uint64{0, uint64(n), 0}}}
}

// shopS1S2 are the shop's times from s1 to s2: 10 s, 5 s and 10 s. The
// nearest-rank p50 is the 2nd, 10 s; the 5 s one reads just under 5 s.
func shopS1S2(t *testing.T) *journeyhttp.StepTimes {
	ten := sk(t, 10_000)
	return &journeyhttp.StepTimes{P50: ten, P95: ten, P99: ten, Count: 3,
		Histogram: &journeyhttp.Histogram{EdgesMS: []float64{2000, 5000, 10_000}, Counts: []uint64{0, 1, 2, 0}}}
}

// shopAll is the shop's numbers over [st0, st0+3m), all traffic, computed
// by hand from shopSpans.
func shopAll(t *testing.T) journeyhttp.Stats {
	s := time.Second
	return journeyhttp.Stats{
		Journey: "shop", From: st0, To: sat(3 * time.Minute),
		Steps: []journeyhttp.StepStats{
			{Name: "s1", Spans: 4, Errors: 1, ErrorRate: 0.25,
				// Nearest rank of {50, 100, 150, 250}: 2nd, 4th, 4th.
				LatencyMS: journeyhttp.Latency{P50: sk(t, 100), P95: sk(t, 250), P99: sk(t, 250)},
				Reached:   4, ConversionFromPrevious: 1, RatePerMinute: 4.0 / 3, InFlight: 1,
				Exemplars: journeyhttp.ExemplarSet{
					Slowest: []journeyhttp.Exemplar{ex(t, 4, 140*s, 250), ex(t, 2, 70*s, 150), ex(t, 3, 130*s, 100), ex(t, 1, 10*s, 50)},
					Errored: []journeyhttp.Exemplar{ex(t, 3, 130*s, 100)},
				}},
			{Name: "s2", Spans: 3, LatencyMS: journeyhttp.Latency{P50: sk(t, 300), P95: sk(t, 400), P99: sk(t, 400)},
				// The one session that did not reach s2 is still in flight:
				// nobody dropped yet.
				Reached: 3, ConversionFromPrevious: 0.75, RatePerMinute: 1,
				// Sessions took 10s, 5s and 10s from s1 to s2.
				TimeFromPreviousMS: shopS1S2(t),
				Exemplars: journeyhttp.ExemplarSet{
					Slowest: []journeyhttp.Exemplar{ex(t, 4, 150*s, 400), ex(t, 2, 75*s, 300), ex(t, 1, 20*s, 200)},
					Errored: none(),
				}},
			{Name: "s3", Spans: 2, Errors: 1, ErrorRate: 0.5, LatencyMS: journeyhttp.Latency{P50: sk(t, 600), P95: sk(t, 700), P99: sk(t, 700)},
				Reached: 2, ConversionFromPrevious: 2.0 / 3, RatePerMinute: 2.0 / 3, DropOff: 1,
				TimeFromPreviousMS: tenSeconds(t, 2),
				Exemplars: journeyhttp.ExemplarSet{
					Slowest: []journeyhttp.Exemplar{ex(t, 4, 160*s, 700), ex(t, 1, 30*s, 600)},
					Errored: []journeyhttp.Exemplar{ex(t, 1, 30*s, 600)},
				}},
		},
		OverallConversion: 0.5, InFlight: 1, Entered: 4, Completed: 2, Dropped: 1, Errored: 2, Versions: []int{1}, SampledShare: 1,
	}
}

func TestAPIJourneyStats(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	s := time.Second
	whole := "from=2026-03-01T10:00:00Z&to=2026-03-01T10:03:00Z"

	gold := journeyhttp.Stats{
		Journey: "shop", From: st0, To: sat(3 * time.Minute), Segment: &rollup.Segment{Key: "span.tier", Value: "gold"},
		Steps: []journeyhttp.StepStats{
			{Name: "s1", Spans: 2, Errors: 1, ErrorRate: 0.5, LatencyMS: journeyhttp.Latency{P50: sk(t, 50), P95: sk(t, 100), P99: sk(t, 100)},
				Reached: 2, ConversionFromPrevious: 1, RatePerMinute: 2.0 / 3, InFlight: 1,
				Exemplars: journeyhttp.ExemplarSet{Slowest: []journeyhttp.Exemplar{ex(t, 3, 130*s, 100), ex(t, 1, 10*s, 50)}, Errored: []journeyhttp.Exemplar{ex(t, 3, 130*s, 100)}}},
			{Name: "s2", Spans: 1, LatencyMS: journeyhttp.Latency{P50: sk(t, 200), P95: sk(t, 200), P99: sk(t, 200)},
				Reached: 1, ConversionFromPrevious: 0.5, RatePerMinute: 1.0 / 3,
				TimeFromPreviousMS: tenSeconds(t, 1),
				Exemplars:          journeyhttp.ExemplarSet{Slowest: []journeyhttp.Exemplar{ex(t, 1, 20*s, 200)}, Errored: none()}},
			{Name: "s3", Spans: 1, Errors: 1, ErrorRate: 1, LatencyMS: journeyhttp.Latency{P50: sk(t, 600), P95: sk(t, 600), P99: sk(t, 600)},
				Reached: 1, ConversionFromPrevious: 1, RatePerMinute: 1.0 / 3,
				TimeFromPreviousMS: tenSeconds(t, 1),
				Exemplars:          journeyhttp.ExemplarSet{Slowest: []journeyhttp.Exemplar{ex(t, 1, 30*s, 600)}, Errored: []journeyhttp.Exemplar{ex(t, 1, 30*s, 600)}}},
		},
		OverallConversion: 0.5, InFlight: 1, Entered: 2, Completed: 1, Errored: 2, Versions: []int{1}, SampledShare: 1,
	}
	// The shop's last minute: sessions 3 and 4.
	lastMinute := journeyhttp.Stats{
		Journey: "shop", From: sat(2 * time.Minute), To: sat(3 * time.Minute),
		Steps: []journeyhttp.StepStats{
			{Name: "s1", Spans: 2, Errors: 1, ErrorRate: 0.5, LatencyMS: journeyhttp.Latency{P50: sk(t, 100), P95: sk(t, 250), P99: sk(t, 250)},
				Reached: 2, ConversionFromPrevious: 1, RatePerMinute: 2, InFlight: 1,
				Exemplars: journeyhttp.ExemplarSet{Slowest: []journeyhttp.Exemplar{ex(t, 4, 140*s, 250), ex(t, 3, 130*s, 100)}, Errored: []journeyhttp.Exemplar{ex(t, 3, 130*s, 100)}}},
			{Name: "s2", Spans: 1, LatencyMS: journeyhttp.Latency{P50: sk(t, 400), P95: sk(t, 400), P99: sk(t, 400)},
				Reached: 1, ConversionFromPrevious: 0.5, RatePerMinute: 1,
				TimeFromPreviousMS: tenSeconds(t, 1),
				Exemplars:          journeyhttp.ExemplarSet{Slowest: []journeyhttp.Exemplar{ex(t, 4, 150*s, 400)}, Errored: none()}},
			{Name: "s3", Spans: 1, LatencyMS: journeyhttp.Latency{P50: sk(t, 700), P95: sk(t, 700), P99: sk(t, 700)},
				Reached: 1, ConversionFromPrevious: 1, RatePerMinute: 1,
				TimeFromPreviousMS: tenSeconds(t, 1),
				Exemplars:          journeyhttp.ExemplarSet{Slowest: []journeyhttp.Exemplar{ex(t, 4, 160*s, 700)}, Errored: none()}},
		},
		OverallConversion: 0.5, InFlight: 1, Entered: 2, Completed: 1, Errored: 1, Versions: []int{1}, SampledShare: 1,
	}
	// By default: the hour up to now, minute-aligned, which holds all of
	// the shop's traffic.
	defaults := shopAll(t)
	defaults.From = sat(3*time.Minute - time.Hour)
	defaults.Steps[0].RatePerMinute = 4.0 / 60
	defaults.Steps[1].RatePerMinute = 3.0 / 60
	defaults.Steps[2].RatePerMinute = 2.0 / 60
	empty := journeyhttp.Stats{
		Journey: "shop", From: sat(time.Hour), To: sat(2 * time.Hour), Versions: []int{}, SampledShare: 1,
		Steps: []journeyhttp.StepStats{
			{Name: "s1", Exemplars: journeyhttp.ExemplarSet{Slowest: none(), Errored: none()}},
			{Name: "s2", TimeFromPreviousMS: &journeyhttp.StepTimes{}, Exemplars: journeyhttp.ExemplarSet{Slowest: none(), Errored: none()}},
			{Name: "s3", TimeFromPreviousMS: &journeyhttp.StepTimes{}, Exemplars: journeyhttp.ExemplarSet{Slowest: none(), Errored: none()}},
		},
	}

	cases := []struct {
		name, query string
		want        journeyhttp.Stats
	}{
		{"whole range", whole, shopAll(t)},
		{"one segment", whole + "&segment=span.tier%3Dgold", gold},
		{"defaults", "", defaults},
		{"last minute", "from=2026-03-01T10:02:00Z&to=2026-03-01T10:03:00Z", lastMinute},
		{"offsets are read as UTC", "from=2026-03-01T11:00:00%2B01:00&to=2026-03-01T10:03:00Z", shopAll(t)},
		{"nothing in range", "from=2026-03-01T11:00:00Z&to=2026-03-01T12:00:00Z", empty},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/stats?"+tc.query, nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			require.Equal(t, tc.want, decodeStats(t, rec.Body.Bytes()))
		})
	}

	t.Run("shape", func(t *testing.T) {
		t.Parallel()
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/stats?"+whole, nil)
		var raw map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &raw))
		require.Nil(t, raw["segment"], "all traffic is a null segment")
		require.Contains(t, raw, "segment")
		require.Equal(t, "2026-03-01T10:00:00Z", raw["from"])
		require.Equal(t, "2026-03-01T10:03:00Z", raw["to"])
		for _, k := range []string{"journey", "from", "to", "steps", "overall_conversion", "in_flight"} {
			require.Contains(t, raw, k)
		}
		step := raw["steps"].([]any)[1].(map[string]any)
		for _, k := range []string{"name", "spans", "errors", "error_rate", "latency_ms", "reached", "conversion_from_previous"} {
			require.Contains(t, step, k)
		}
		lat := step["latency_ms"].(map[string]any)
		require.Equal(t, []string{"p50", "p95", "p99"}, slices.Sorted(mapsKeys(lat)))
		// Within 1% of the exact nearest-rank values.
		require.InEpsilon(t, 300.0, lat["p50"], 0.01)
		require.InEpsilon(t, 400.0, lat["p95"], 0.01)

		rec = b.do(t, http.MethodGet, "/api/v1/journeys/shop/stats?"+whole+"&segment=span.tier%3Dgold", nil)
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &raw))
		require.Equal(t, map[string]any{"key": "span.tier", "value": "gold"}, raw["segment"])
	})
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestAPIJourneyStatsExternalTraceLinks(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) {
		o.Now = func() time.Time { return shopNow }
		o.TraceURLTemplate = "https://grafana.example/explore?trace={traceID}"
	})
	b.seedShop(t, sat(3*time.Minute))
	rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/stats?range=15m", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	st := decodeStats(t, rec.Body.Bytes())
	require.Equal(t, sat(3*time.Minute-15*time.Minute), st.From)
	require.Equal(t, "https://grafana.example/explore?trace="+rolluptest.TraceID(1), st.Steps[2].Exemplars.Errored[0].URL)
}

func TestAPIJourneyStatsErrors(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	plain, _ := example(t, "shop-checkout")
	plain.Metadata.Slug = "plain"
	plain.Spec.Segments = nil
	_, err := b.store.CreateJourney(t.Context(), plain, "test")
	require.NoError(t, err)

	body := func(param, msg string) string {
		b, err := json.Marshal(map[string]any{"error": map[string]any{"message": param + ": " + msg, "fields": map[string]string{param: msg}}})
		require.NoError(t, err)
		return string(b)
	}
	cases := []struct {
		name, path, query string
		status            int
		want              string
	}{
		{"bad from", "shop", "from=yesterday", 400, body("from", `"yesterday" is not an RFC3339 time such as 2026-03-01T10:00:00Z`)},
		{"bad to", "shop", "to=2026-03-01", 400, body("to", `"2026-03-01" is not an RFC3339 time such as 2026-03-01T10:00:00Z`)},
		{"from equals to", "shop", "from=2026-03-01T10:00:00Z&to=2026-03-01T10:00:00Z", 400,
			body("from", "2026-03-01T10:00:00Z is not before to (2026-03-01T10:00:00Z)")},
		{"from after to", "shop", "from=2026-03-02T10:00:00Z&to=2026-03-01T10:00:00Z", 400,
			body("from", "2026-03-02T10:00:00Z is not before to (2026-03-01T10:00:00Z)")},
		{"longer than 90 days", "shop", "from=2025-12-01T09:59:59Z&to=2026-03-01T10:00:00Z", 400,
			body("from", "the range from 2025-12-01T09:59:59Z to 2026-03-01T10:00:00Z is longer than 90 days")},
		{"unknown range", "shop", "range=2h", 400, body("range", `"2h" is not one of 15m, 1h, 6h, 24h, 7d or custom`)},
		{"segment without value", "shop", "segment=span.tier", 400,
			body("segment", `"span.tier" is not of the form KEY=VALUE, such as span.user.tier=pro`)},
		{"segment without key", "shop", "segment=%3Dgold", 400,
			body("segment", `"=gold" is not of the form KEY=VALUE, such as span.user.tier=pro`)},
		{"segment with empty value", "shop", "segment=span.tier%3D", 400,
			body("segment", `"span.tier=" is not of the form KEY=VALUE, such as span.user.tier=pro`)},
		{"unknown segment key", "shop", "segment=span.user.tier%3Dpro", 400,
			body("segment", `"span.user.tier" is not a segment key of this journey; its keys are span.tier, span.region`)},
		{"journey without segments", "plain", "segment=span.tier%3Dgold", 400,
			body("segment", `"span.tier" is not a segment key of this journey, which has none`)},
		{"unknown journey", "nope", "", 404, `{"error": {"message": "journey \"nope\" not found"}}`},
		{"segment value with NUL", "shop", "segment=span.tier%3Dgo%00ld", 400,
			body("segment", `the value of "span.tier" contains a NUL character`)},
		{"segment value not UTF-8", "shop", "segment=span.tier%3Dgo%FFld", 400,
			body("segment", `the value of "span.tier" is not valid UTF-8`)},
		{"segment key not UTF-8", "shop", "segment=span.tier%FF%3Dgold", 400,
			body("segment", `"span.tier\xff" is not a segment key of this journey; its keys are span.tier, span.region`)},
		{"slug with NUL", "sh%00op", "", 404, `{"error": {"message": "journey \"sh\\x00op\" not found"}}`},
		{"slug not UTF-8", "sh%FFop", "", 404, `{"error": {"message": "journey \"sh\\xffop\" not found"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, http.MethodGet, "/api/v1/journeys/"+tc.path+"/stats?"+tc.query, nil)
			requireJSON(t, rec, tc.status, tc.want)
		})
	}
	t.Run("exactly 90 days is allowed", func(t *testing.T) {
		t.Parallel()
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/stats?from=2025-12-01T10:03:00Z&to=2026-03-01T10:03:00Z", nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Equal(t, int64(4), decodeStats(t, rec.Body.Bytes()).Entered)
	})
}

func TestAPIJourneyStatsWithoutRollups(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Rollups = journeyhttp.RollupsOff{} })
	b.seed(t, "login-flow")
	rec := b.do(t, http.MethodGet, "/api/v1/journeys/login-flow/stats", nil)
	requireJSON(t, rec, http.StatusServiceUnavailable, `{"error": {"message": "this server computes no rollups"}}`)
	rec = b.do(t, http.MethodGet, "/api/v1/journeys/nope/stats", nil)
	require.Equal(t, http.StatusNotFound, rec.Code)
}

// FuzzParseWindow checks that no query makes the range parser panic, and
// that every range it accepts is non-empty, at most 90 days, in UTC.
func FuzzParseWindow(f *testing.F) {
	f.Add("", "", "")
	f.Add("1h", "", "")
	f.Add("custom", "2026-03-01T10:00:00Z", "2026-03-01T11:00:00+01:00")
	f.Add("", "2026-03-01T10:00:00.123456789Z", "")
	f.Add("7d", "x", "y")
	f.Add("", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
	f.Add("", "2026-03-01T10:00:00-23:59", "2026-03-01T10:00:00+23:59")
	now := time.Date(2026, 3, 1, 10, 30, 15, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rng, from, to string) {
		q := url.Values{}
		for k, v := range map[string]string{"range": rng, "from": from, "to": to} {
			if v != "" {
				q.Set(k, v)
			}
		}
		w, err := journeyhttp.ParseWindow(q, now)
		if err != nil {
			var he *httpx.Error
			require.ErrorAs(t, err, &he)
			require.Equal(t, http.StatusBadRequest, he.Status)
			require.Len(t, he.Fields, 1)
			return
		}
		require.True(t, w.From.Before(w.To))
		require.LessOrEqual(t, w.To.Sub(w.From), journeyhttp.MaxRange)
		require.Equal(t, time.UTC, w.From.Location())
		require.Equal(t, time.UTC, w.To.Location())
	})
}

// FuzzParseSegment checks that any segment value either names one of the
// journey's keys with a value, or is refused with a 400.
func FuzzParseSegment(f *testing.F) {
	for _, s := range []string{"", "span.tier=gold", "span.tier==", "=", "span.tier", "span.x=1", "a=b=c", "span.tier=\x00",
		"span.tier=\xff", "span.tier=g\x00ld", "span.region=\xc3\x28", "span.region=größe ✓", "span.tier\xff=gold"} {
		f.Add(s)
	}
	j := shopJourney()
	f.Fuzz(func(t *testing.T, raw string) {
		seg, err := journeyhttp.ParseSegment(raw, j)
		if err != nil {
			var he *httpx.Error
			require.ErrorAs(t, err, &he)
			require.Equal(t, http.StatusBadRequest, he.Status)
			require.Nil(t, seg)
			return
		}
		if raw == "" {
			require.Nil(t, seg)
			return
		}
		require.Contains(t, j.Spec.Segments, seg.Key)
		require.NotEmpty(t, seg.Value)
		require.Equal(t, raw, seg.Key+"="+seg.Value)
		// Whatever is accepted, Postgres can take as text.
		require.True(t, utf8.ValidString(seg.Value), "%q", seg.Value)
		require.NotContains(t, seg.Value, "\x00")
	})
}
