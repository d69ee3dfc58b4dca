package spanstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/pgtest"
)

// bundle is what most tests need: a migrated database, a store, and a
// receiver served over HTTP.
type bundle struct {
	pool  *pgxpool.Pool
	store *Store
	rcv   *Receiver
	url   string // of /v1/traces
}

// setup starts a receiver with cfg. With run false its writers do not run,
// so requests stay queued.
func setup(t testing.TB, cfg Config, run bool) *bundle {
	t.Helper()
	pool := pgtest.New(t)
	store := NewStore(pool, nil)
	rcv := NewReceiver(store, cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	if run {
		go func() { done <- rcv.Run(ctx) }()
	} else {
		done <- nil
	}
	srv := httptest.NewServer(rcv)
	t.Cleanup(func() {
		srv.Close()
		_ = rcv.Close()
		cancel()
		require.NoError(t, <-done)
	})
	return &bundle{pool: pool, store: store, rcv: rcv, url: srv.URL + TracesPath}
}

func (b *bundle) count(t testing.TB) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(context.Background(), `SELECT count(*) FROM spans`).Scan(&n))
	return n
}

// response is what a test reads back from the receiver.
type response struct {
	status int
	header http.Header
	body   []byte
}

func post(t testing.TB, url, contentType, contentEncoding string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if contentEncoding != "" {
		req.Header.Set("Content-Encoding", contentEncoding)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func postProto(t testing.TB, url string, rss ...*tracepb.ResourceSpans) response {
	t.Helper()
	body, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: rss})
	require.NoError(t, err)
	return post(t, url, contentTypeProto, "", body)
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// kv builds an OTLP attribute from a Go value.
func kv(key string, v any) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: key, Value: anyValue(v)}
}

func anyValue(v any) *commonpb.AnyValue {
	switch x := v.(type) {
	case string:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: x}}
	case int:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(x)}}
	case int64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: x}}
	case float64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: x}}
	case bool:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: x}}
	case []byte:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: x}}
	case []any:
		arr := &commonpb.ArrayValue{}
		for _, e := range x {
			arr.Values = append(arr.Values, anyValue(e))
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: arr}}
	case []*commonpb.KeyValue:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: x}}}
	}
	panic("kv: unsupported type")
}

// spec describes one test span.
type spec struct {
	trace, span, parent string // hex
	name                string
	kind                tracepb.Span_SpanKind
	start               time.Time
	dur                 time.Duration
	status              tracepb.Status_StatusCode
	msg                 string
	traceState          string
	attrs               []*commonpb.KeyValue
}

func (s spec) otlp(t testing.TB) *tracepb.Span {
	sp := &tracepb.Span{
		TraceId:           mustHex(t, s.trace),
		SpanId:            mustHex(t, s.span),
		Name:              s.name,
		Kind:              s.kind,
		StartTimeUnixNano: uint64(s.start.UnixNano()),
		EndTimeUnixNano:   uint64(s.start.Add(s.dur).UnixNano()),
		Attributes:        s.attrs,
		TraceState:        s.traceState,
	}
	if s.parent != "" {
		sp.ParentSpanId = mustHex(t, s.parent)
	}
	if s.status != 0 || s.msg != "" {
		sp.Status = &tracepb.Status{Code: s.status, Message: s.msg}
	}
	return sp
}

func resourceSpans(t testing.TB, res []*commonpb.KeyValue, specs ...spec) *tracepb.ResourceSpans {
	ss := &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: "shop", Version: "1.0.0"}}
	for _, s := range specs {
		ss.Spans = append(ss.Spans, s.otlp(t))
	}
	return &tracepb.ResourceSpans{
		Resource:   &resourcepb.Resource{Attributes: res},
		ScopeSpans: []*tracepb.ScopeSpans{ss},
	}
}

// at is a fixed instant, so that tests do not depend on the clock.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}
