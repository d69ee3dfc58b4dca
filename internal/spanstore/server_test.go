package spanstore

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/journeys"
)

// TestServerWithOTelExporter sends spans the way instrumented services do,
// through the OpenTelemetry SDK's OTLP/HTTP exporter, and shuts the server
// down cleanly.
func TestServerWithOTelExporter(t *testing.T) {
	t.Parallel()
	store := NewStore(pgtest.New(t), nil)
	srv := NewServer("", NewReceiver(store, Config{}, nil), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	for _, compress := range []otlptracehttp.Compression{otlptracehttp.NoCompression, otlptracehttp.GzipCompression} {
		exp, err := otlptracehttp.New(context.Background(),
			otlptracehttp.WithEndpoint(ln.Addr().String()), otlptracehttp.WithInsecure(), otlptracehttp.WithCompression(compress))
		require.NoError(t, err)
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
			sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("cart"))))
		_, sp := tp.Tracer("shop").Start(context.Background(), "POST /cart/items")
		sp.SetAttributes(attribute.String("user.tier", "gold"), attribute.Int("items", int(compress)+1))
		sp.End()
		require.NoError(t, tp.Shutdown(context.Background()))
	}

	var tiers []string
	stats, err := store.FetchSpans(context.Background(), journeys.SpanQuery{
		Pattern: journeys.Pattern{Service: "cart", Span: "POST /cart/items"},
		From:    time.Now().Add(-time.Minute), To: time.Now().Add(time.Minute),
		Select: []string{"span.user.tier", "span.items"},
	}, func(s journeys.Span) error {
		tiers = append(tiers, s.Attrs[0]+"/"+s.Attrs[1])
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, int64(2), stats.Spans)
	require.ElementsMatch(t, []string{"gold/1", "gold/2"}, tiers)

	// Only /v1/traces is served.
	resp, err := http.Post("http://"+ln.Addr().String()+"/v1/metrics", contentTypeProto, nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	cancel()
	require.NoError(t, <-served)
	_, err = net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	require.Error(t, err, "the listener is closed")
}
