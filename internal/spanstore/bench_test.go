package spanstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/journeys"
)

const benchBatch = 500

var benchStart = at("2024-03-10T12:00:00Z")

var tiers = []string{"free", "pro", "enterprise"}

// benchRequest builds an export request of benchBatch realistic spans (five
// attributes, a resource of three) numbered from seq.
func benchRequest(seq uint64) *coltracepb.ExportTraceServiceRequest {
	ss := &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: "shop"}}
	for i := range uint64(benchBatch) {
		n := seq + i
		tid := make([]byte, 16)
		binary.BigEndian.PutUint64(tid[8:], n+1)
		sid := make([]byte, 8)
		binary.BigEndian.PutUint64(sid, n+1)
		start := uint64(benchStart.UnixNano()) + n*1_000_000 // 1000 spans/s of traffic
		ss.Spans = append(ss.Spans, &tracepb.Span{
			TraceId: tid, SpanId: sid, Name: "POST /cart/items", Kind: tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: start, EndTimeUnixNano: start + 20_000_000 + n%50*1_000_000,
			Attributes: []*commonpb.KeyValue{
				kv("session.id", "s-"+string(rune('a'+n%26))+string(rune('a'+n/26%26))),
				kv("user.tier", tiers[n%3]),
				kv("http.route", "/cart/items"),
				kv("http.status_code", 200+int(n%7/6)*300),
				kv("order.total", float64(n%1000)/10),
			},
		})
	}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
			kv("service.name", "cart"), kv("service.version", "1.4.2"), kv("deployment.environment", "prod"),
		}},
		ScopeSpans: []*tracepb.ScopeSpans{ss},
	}}}
}

// BenchmarkIngest measures spans per second from OTLP protobuf requests of
// 500 spans, sent concurrently to the handler, to committed rows.
func BenchmarkIngest(b *testing.B) {
	store := NewStore(pgtest.New(b), nil)
	rcv := NewReceiver(store, Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rcv.Run(ctx) }()
	defer func() { _ = rcv.Close(); cancel(); require.NoError(b, <-done) }()

	var seq atomic.Uint64
	b.SetParallelism(4) // exporters of many services at once
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body, err := proto.Marshal(benchRequest(seq.Add(benchBatch) - benchBatch))
			if err != nil {
				b.Error(err)
				return
			}
			req := httptest.NewRequest(http.MethodPost, TracesPath, bytes.NewReader(body))
			req.Header.Set("Content-Type", contentTypeProto)
			w := httptest.NewRecorder()
			rcv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "spans/s")
}

// BenchmarkFetchSpans measures spans per second streamed back by a regex
// pattern with one attribute matcher and two selected attributes.
func BenchmarkFetchSpans(b *testing.B) {
	store := NewStore(pgtest.New(b), nil)
	const total = 50_000
	for seq := uint64(0); seq < total; seq += benchBatch {
		_, err := store.Insert(context.Background(), benchRequest(seq).ResourceSpans)
		require.NoError(b, err)
	}
	_, err := store.pool.Exec(context.Background(), `ANALYZE spans`)
	require.NoError(b, err)
	q := journeys.SpanQuery{
		Pattern: journeys.Pattern{Service: "cart", SpanRegex: "POST /cart/.*", Kind: "server", Attributes: []journeys.Matcher{
			{Key: "span.http.status_code", Op: journeys.OpLt, Value: journeys.IntValue(600)},
		}},
		From: benchStart, To: benchStart.Add(time.Hour),
		Select: []string{"span.session.id", "span.user.tier"},
	}
	b.ResetTimer()
	start := time.Now()
	var spans int64
	for b.Loop() {
		stats, err := store.FetchSpans(context.Background(), q, func(journeys.Span) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		if stats.Spans != total {
			b.Fatalf("got %d spans, want %d", stats.Spans, total)
		}
		spans += stats.Spans
	}
	b.ReportMetric(float64(spans)/time.Since(start).Seconds(), "spans/s")
}
