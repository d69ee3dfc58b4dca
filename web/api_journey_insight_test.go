package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// decodeStrict reads a JSON answer into v, failing on a field v lacks.
func decodeStrict(t *testing.T, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), string(body))
}

const shopWhole = "from=2026-03-01T10:00:00Z&to=2026-03-01T10:03:00Z"

// shopMap is the shop's map over its whole traffic within seg.
func shopMap(seg string) string {
	u := "/journeys/shop?from=2026-03-01T10%3A00%3A00Z"
	if seg != "" {
		u += "&segment=" + seg
	}
	return u + "&to=2026-03-01T10%3A03%3A00Z"
}

func TestAPIJourneyDifferences(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	get := func(t *testing.T, q string) journeyhttp.Differences {
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/differences?"+shopWhole+"&"+q, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var d journeyhttp.Differences
		decodeStrict(t, rec.Body.Bytes(), &d)
		return d
	}
	head := journeyhttp.Differences{Journey: "shop", From: st0, To: sat(3 * time.Minute)}
	t.Run("dropped", func(t *testing.T) {
		t.Parallel()
		// Of the three sessions reaching s2, session 2 (silver) dropped,
		// sessions 1 (gold) and 4 (silver) went on: Fisher's test of one
		// against two cannot tell anything apart (p = 1).
		want := head
		want.Step, want.StepName, want.NextName, want.Compare = 2, "s2", "s3", "dropped"
		want.Selected, want.Baseline, want.Tested = 1, 2, 3
		want.Attributes = []journeyhttp.DiffAttribute{
			{Key: "span.tier", Value: "silver", ShareSelected: 1, ShareBaseline: 0.5, CountSelected: 1, CountBaseline: 1, PValue: 1, QValue: 1, MapURL: shopMap("span.tier%3Dsilver")},
			{Key: "span.tier", Value: "gold", ShareSelected: 0, ShareBaseline: 0.5, CountSelected: 0, CountBaseline: 1, PValue: 1, QValue: 1, MapURL: shopMap("span.tier%3Dgold")},
			{Key: "span.region", Value: "eu", ShareSelected: 1, ShareBaseline: 1, CountSelected: 1, CountBaseline: 2, PValue: 1, QValue: 1, MapURL: shopMap("span.region%3Deu")},
		}
		require.Equal(t, want, get(t, "step=2&compare=dropped"))
		// Nobody dropped after s1 yet (session 3 is in flight): nothing
		// to compare.
		want = head
		want.Step, want.StepName, want.NextName, want.Compare = 1, "s1", "s2", "dropped"
		want.Baseline, want.InFlight, want.Attributes = 3, 1, []journeyhttp.DiffAttribute{}
		require.Equal(t, want, get(t, "step=1&compare=dropped"))
	})
	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		// Above 120 ms: sessions 2 and 4 (silver, 150 and 250 ms); below:
		// 1 and 3 (gold, 50 and 100 ms). Fisher on [[2 0] [0 2]]: 1/6 +
		// 1/6; Benjamini–Hochberg over the three p-values takes both to
		// min(3/1·1/3, 3/2·1/3) = 1/2.
		want := head
		want.Step, want.StepName, want.Compare = 1, "s1", "slow"
		want.Selected, want.Baseline, want.ThresholdMS, want.Tested = 2, 2, 120, 3
		want.Attributes = []journeyhttp.DiffAttribute{
			{Key: "span.tier", Value: "silver", ShareSelected: 1, ShareBaseline: 0, CountSelected: 2, CountBaseline: 0, PValue: 1.0 / 3, QValue: 0.5, MapURL: shopMap("span.tier%3Dsilver")},
			{Key: "span.tier", Value: "gold", ShareSelected: 0, ShareBaseline: 1, CountSelected: 0, CountBaseline: 2, PValue: 1.0 / 3, QValue: 0.5, MapURL: shopMap("span.tier%3Dgold")},
			{Key: "span.region", Value: "eu", ShareSelected: 1, ShareBaseline: 1, CountSelected: 2, CountBaseline: 2, PValue: 1, QValue: 1, MapURL: shopMap("span.region%3Deu")},
		}
		require.Equal(t, want, get(t, "step=1&compare=slow&threshold=120ms"))
		one := want
		one.Attributes = want.Attributes[:1]
		require.Equal(t, one, get(t, "step=1&compare=slow&threshold=120ms&top=1"))
		// By default the threshold is the p95, 250 ms within the sketch's
		// 1%: no span is above it.
		d := get(t, "step=1&compare=slow")
		require.InEpsilon(t, 250, d.ThresholdMS, 0.01)
		require.Equal(t, int64(0), d.Selected)
		require.Equal(t, int64(4), d.Baseline)
		require.Empty(t, d.Attributes)
	})
}

func TestAPIJourneyHeatmap(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	week := func(t *testing.T, q string) journeyhttp.WeekHeatmap {
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/heatmap?"+shopWhole+"&"+q, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var h journeyhttp.WeekHeatmap
		decodeStrict(t, rec.Body.Bytes(), &h)
		require.Len(t, h.Cells, 168)
		for i, c := range h.Cells {
			require.Equal(t, i/24, c.Day)
			require.Equal(t, i%24, c.Hour)
			// 1 March 2026 is a Sunday: all of the shop's traffic is in
			// Sunday 10:00, the range's one hour.
			if i != 10 {
				require.Equal(t, journeyhttp.WeekCell{Day: c.Day, Hour: c.Hour}, c)
			}
		}
		return h
	}
	t.Run("throughput", func(t *testing.T) {
		t.Parallel()
		h := week(t, "metric=throughput")
		require.Equal(t, 1, h.Step)
		require.Equal(t, "s1", h.StepName)
		require.Equal(t, "UTC", h.Zone)
		// Four spans in one hour: 4/60 a minute.
		require.Equal(t, journeyhttp.WeekCell{Day: 0, Hour: 10, Value: 4.0 / 60, Spans: 4, Errors: 1, Hours: 1}, h.Cells[10])
		require.Equal(t, 4.0/60, h.Max)
	})
	t.Run("error rate", func(t *testing.T) {
		t.Parallel()
		h := week(t, "metric=error_rate&step=3")
		require.Equal(t, journeyhttp.WeekCell{Day: 0, Hour: 10, Value: 0.5, Spans: 2, Errors: 1, Hours: 1}, h.Cells[10])
	})
	t.Run("p95", func(t *testing.T) {
		t.Parallel()
		h := week(t, "metric=p95&step=2")
		require.Equal(t, journeyhttp.WeekCell{Day: 0, Hour: 10, Value: sk(t, 400), Spans: 3, Hours: 1}, h.Cells[10])
	})
	t.Run("endpoint", func(t *testing.T) {
		t.Parallel()
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/heatmap?"+shopWhole+"&kind=endpoint", nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var h journeyhttp.EndpointHeatmap
		decodeStrict(t, rec.Body.Bytes(), &h)
		require.Equal(t, journeyhttp.EndpointHeatmap{
			Journey: "shop", Kind: "endpoint", From: st0, To: sat(3 * time.Minute), Metric: "p95", Hours: []time.Time{st0},
			Rows: []journeyhttp.EndpointLine{
				{Service: "shop", Endpoint: "s1", Steps: []int{1}, Cells: []journeyhttp.EndpointCell{{P95: sk(t, 250), Spans: 4, Errors: 1}}},
				{Service: "shop", Endpoint: "s2", Steps: []int{2}, Cells: []journeyhttp.EndpointCell{{P95: sk(t, 400), Spans: 3}}},
				{Service: "shop", Endpoint: "s3", Steps: []int{3}, Cells: []journeyhttp.EndpointCell{{P95: sk(t, 700), Spans: 2, Errors: 1}}},
			},
			Max: sk(t, 700),
		}, h)
	})
}

// Three minutes of traffic give no baseline: nothing is flagged.
func TestAPIJourneyAnomaliesWithoutHistory(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/anomalies?"+shopWhole, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var a journeyhttp.Anomalies
	decodeStrict(t, rec.Body.Bytes(), &a)
	require.Equal(t, journeyhttp.Anomalies{Journey: "shop", From: st0, To: sat(3 * time.Minute), Anomalies: []journeyhttp.Anomaly{}}, a)
}

func TestAPIJourneyInsightErrors(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	cases := []struct {
		name, target string
		status       int
		msg          string
	}{
		{"no compare", "differences?step=1", 400, `compare: is required: "dropped" or "slow"`},
		{"unknown compare", "differences?step=1&compare=fast", 400, `compare: "fast" is not "dropped" or "slow"`},
		{"no step", "differences?compare=slow", 400, "step: is required: a step number from 1 to 3"},
		{"step zero", "differences?compare=slow&step=0", 400, `step: "0" is not a step number from 1 to 3`},
		{"step past the end", "differences?compare=slow&step=4", 400, `step: "4" is not a step number from 1 to 3`},
		{"last step has no drop-off", "differences?compare=dropped&step=3", 400, `step: "3" is not a step number from 1 to 2`},
		{"step not a number", "differences?compare=slow&step=two", 400, `step: "two" is not a step number from 1 to 3`},
		{"bad threshold", "differences?compare=slow&step=1&threshold=soon", 400, `threshold: "soon" is not a positive duration such as 800ms or 2s`},
		{"negative threshold", "differences?compare=slow&step=1&threshold=-1s", 400, `threshold: "-1s" is not a positive duration such as 800ms or 2s`},
		{"threshold on drops", "differences?compare=dropped&step=1&threshold=1s", 400, "threshold: only applies to compare=slow"},
		{"bad top", "differences?compare=slow&step=1&top=0", 400, `top: "0" is not a whole number from 1 to 100`},
		{"from after to", "differences?compare=slow&step=1&from=2026-03-01T11:00:00Z&to=2026-03-01T10:00:00Z", 400, "from: 2026-03-01T11:00:00Z is not before to (2026-03-01T10:00:00Z)"},
		{"bad segment", "differences?compare=slow&step=1&segment=nokey", 400, `segment: "nokey" is not of the form KEY=VALUE, such as span.user.tier=pro`},
		{"unknown segment key", "differences?compare=slow&step=1&segment=span.x%3Dy", 400, `segment: "span.x" is not a segment key of this journey; its keys are span.tier, span.region`},
		{"NUL in segment", "differences?compare=slow&step=1&segment=span.tier%3Dg%00ld", 400, `segment: the value of "span.tier" contains a NUL character`},
		{"NUL in compare", "differences?compare=sl%00w&step=1", 400, `compare: "sl\\0w" is not "dropped" or "slow"`},
		{"segment", "differences?compare=slow&step=1&segment=span.tier%3Dgold", 400, "segment: a comparison covers all traffic: the rollups cannot cross span.tier with the other keys; drop segment= and read the span.tier row of the answer"},
		{"unknown journey", "differences?compare=slow&step=1", 404, `journey "nope" not found`},
		{"anomalies from after to", "anomalies?from=2026-03-01T11:00:00Z&to=2026-03-01T10:00:00Z", 400, "from: 2026-03-01T11:00:00Z is not before to (2026-03-01T10:00:00Z)"},
		{"anomalies in a segment", "anomalies?segment=span.tier%3Dgold", 400, "segment: anomalies are of all traffic"},
		{"unknown metric", "heatmap?metric=apdex", 400, `metric: "apdex" is not one of throughput, error_rate, p95`},
		{"unknown kind", "heatmap?kind=pie", 400, `kind: "pie" is not "week" or "endpoint"`},
		{"heat map step past the end", "heatmap?step=9", 400, `step: "9" is not a step number from 1 to 3`},
		{"endpoint metric", "heatmap?kind=endpoint&metric=throughput", 400, `metric: the endpoint heat map shows p95 only, not "throughput"`},
		{"endpoint step", "heatmap?kind=endpoint&step=1", 400, "step: the endpoint heat map covers every step"},
		{"endpoint too long", "heatmap?kind=endpoint&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", 400, "from: the endpoint heat map covers at most 31 days, not 1416 hours"},
		{"heat map segment", "heatmap?segment=span.tier%3Dgold", 400, "segment: heat maps are of all traffic"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			slug := "shop"
			if tc.status == 404 {
				slug = "nope"
			}
			rec := b.do(t, http.MethodGet, "/api/v1/journeys/"+slug+"/"+tc.target, nil)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			var body struct {
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
			require.Equal(t, tc.msg, body.Error.Message)
		})
	}
}

// A server without rollups says so on every insight endpoint.
func TestAPIJourneyInsightWithoutRollups(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Rollups = journeyhttp.RollupsOff{} })
	b.seed(t, "login-flow")
	for _, target := range []string{"differences?compare=slow&step=1", "anomalies", "heatmap", "heatmap?kind=endpoint"} {
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/login-flow/"+target, nil)
		requireJSON(t, rec, http.StatusServiceUnavailable, `{"error": {"message": "this server computes no rollups"}}`)
	}
}
