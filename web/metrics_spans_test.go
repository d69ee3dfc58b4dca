package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/spanstore"
)

// TestMetricsSpansRefused: /metrics exports the embedded span store's count
// of spans its OTLP receiver refused, by reason.
func TestMetricsSpansRefused(t *testing.T) {
	t.Parallel()
	spans := spanstore.NewStore(pgtest.New(t), nil)
	b := setupWith(t, func(o *Options) { o.Traces = spans })
	rcv := spanstore.NewReceiver(spans, spanstore.Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rcv.Run(ctx) }()
	srv := httptest.NewServer(rcv)
	t.Cleanup(func() {
		srv.Close()
		_ = rcv.Close()
		cancel()
		require.NoError(t, <-done)
	})
	start := uint64(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	body, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			{TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{1}, 8), Name: "a", StartTimeUnixNano: start, EndTimeUnixNano: start + 1},
			{TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8), Name: "b", StartTimeUnixNano: start, EndTimeUnixNano: start + 1},
		}}},
	}}})
	require.NoError(t, err)
	resp, err := http.Post(srv.URL+spanstore.TracesPath, "application/x-protobuf", bytes.NewReader(body))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	fams := scrape(t, &sloBundle{bundle: b})
	require.Equal(t, 2.0, mustSample(t, fams, "waymark_otlp_spans_refused_total", "reason", spanstore.ReasonTooFarAhead))
	require.Equal(t, 0.0, mustSample(t, fams, "waymark_otlp_spans_refused_total", "reason", spanstore.ReasonTooOld))
	// A second scrape registers the same counters again.
	fams = scrape(t, &sloBundle{bundle: b})
	require.Equal(t, 2.0, mustSample(t, fams, "waymark_otlp_spans_refused_total", "reason", spanstore.ReasonTooFarAhead))
}
