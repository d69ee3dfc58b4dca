package web

import (
	"net/http"
	"testing"
)

// BenchmarkSLOPage renders an SLO page: the SLO's numbers now, its 60-point
// burn-down and its alert table are read from the rollups on every view.
func BenchmarkSLOPage(b *testing.B) {
	f := setupSLO(b, nil)
	f.seedIncident(b)
	b.ResetTimer()
	for b.Loop() {
		if rec := f.do(b, http.MethodGet, "/journeys/shop/slos/pay-success", nil); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkMetricsScrape answers a Prometheus scrape: every SLO's latest
// evaluation and every step's last hour, read afresh.
func BenchmarkMetricsScrape(b *testing.B) {
	f := setupSLO(b, nil)
	f.seedIncident(b)
	b.ResetTimer()
	for b.Loop() {
		if rec := f.do(b, http.MethodGet, "/metrics", nil); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
