package tempo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

// BenchmarkDecodeSearch decodes the recorded 1.1 MB answer holding all 1149
// cart spans.
func BenchmarkDecodeSearch(b *testing.B) {
	body := readFixture(b, "search_cart_select_limit2000_spss3.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	spans := 0
	for b.Loop() {
		res, err := DecodeSearch(body)
		if err != nil {
			b.Fatal(err)
		}
		for _, tr := range res.Traces {
			for _, ss := range tr.SpanSets {
				spans += len(ss.Spans)
			}
		}
	}
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkFetchSpans measures FetchSpans end to end (HTTP, decoding,
// filtering, attribute mapping) against a server replaying the fixture.
func BenchmarkFetchSpans(b *testing.B) {
	body := readFixture(b, "search_cart_select_limit2000_spss3.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	src := NewSource(newTestClient(b, srv.URL), SourceOptions{Limit: 2000, SpansPerSpanSet: 3})
	q := journeys.SpanQuery{Pattern: cartPattern, From: fixtureFrom, To: fixtureTo, Select: []string{"span.session.id", "span.user.tier"}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var spans int64
	for b.Loop() {
		stats, err := src.FetchSpans(context.Background(), q, func(journeys.Span) error { return nil })
		require.NoError(b, err)
		spans += stats.Spans
	}
	require.Equal(b, int64(1149)*int64(b.N), spans)
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
}
