package web

import (
	"net/http"
	"testing"
)

// BenchmarkInsightViews answers each new view over the last 7 days of a
// five-step journey with three segment keys and an order total, through
// the whole handler (routing, sign-in, reads, rendering): 35 days of
// rollups, hour rows but for the last 2 days of minute rows, as
// maintenance leaves them; the anomaly search reads the 4 weeks before.
//
//	go test ./web -run '^$' -bench InsightViews -benchtime 20x
func BenchmarkInsightViews(b *testing.B) {
	bb := setupSLO(b, nil)
	bb.clock.Set(insightEnd)
	bb.seedInsight(b, insightEnd, 35, 48, nil)
	week := "from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z"
	for _, c := range []struct{ name, target string }{
		{"map", "/journeys/insight?" + week},
		{"why-dropped-page", "/journeys/insight/why?step=2&compare=dropped&" + week},
		{"why-slow-page", "/journeys/insight/why?step=4&compare=slow&" + week},
		{"heatmap-page", "/journeys/insight/heatmap?metric=p95&step=4&" + week},
		{"api-stats", "/api/v1/journeys/insight/stats?" + week},
		{"api-differences-dropped", "/api/v1/journeys/insight/differences?step=2&compare=dropped&" + week},
		{"api-differences-slow", "/api/v1/journeys/insight/differences?step=4&compare=slow&" + week},
		{"api-anomalies", "/api/v1/journeys/insight/anomalies?" + week},
		{"api-heatmap-week", "/api/v1/journeys/insight/heatmap?metric=p95&step=4&" + week},
		{"api-heatmap-endpoint", "/api/v1/journeys/insight/heatmap?kind=endpoint&" + week},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if rec := bb.do(b, http.MethodGet, c.target, nil); rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.target, rec.Code, rec.Body.String())
				}
			}
		})
	}
}
