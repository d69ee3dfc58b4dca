package demo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func benchConfig() Config {
	cfg := DefaultConfig()
	cfg.Start = t0
	return cfg
}

// BenchmarkPlan plans the default demo: 2000 sessions, about 16k spans.
func BenchmarkPlan(b *testing.B) {
	cfg := benchConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Plan(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTruth computes the truth of the default demo.
func BenchmarkTruth(b *testing.B) {
	tr, err := Plan(benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = tr.Truth()
	}
}

// BenchmarkSend exports the default demo to a receiver that only reads the
// bodies, so it measures the SDK, protobuf and gzip, not a store.
func BenchmarkSend(b *testing.B) {
	tr, err := Plan(benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	spans := tr.Truth().Spans
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.Send(context.Background(), srv.URL); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}
