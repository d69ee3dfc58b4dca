package spanstore

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/journeys"
)

// checkoutTrace is a two-span trace with every attribute type.
func checkoutTrace(t testing.TB) *tracepb.ResourceSpans {
	start := at("2024-03-10T12:00:00.000000001Z")
	return resourceSpans(t,
		[]*commonpb.KeyValue{kv("service.name", "cart"), kv("service.version", "1.4.2"), kv("host.cpus", 8)},
		spec{
			trace: "0af7651916cd43dd8448eb211c80319c", span: "b7ad6b7169203331",
			name: "POST /cart/checkout", kind: tracepb.Span_SPAN_KIND_SERVER,
			start: start, dur: 250*time.Millisecond + 7,
			status: tracepb.Status_STATUS_CODE_ERROR, msg: "card declined",
			attrs: []*commonpb.KeyValue{
				kv("user.tier", "gold"), kv("items", 3), kv("order.total", 12.5), kv("vip", true),
				kv("ratio", 2.0), kv("big", 1e21), kv("tiny", 1e-7), kv("max", int64(math.MaxInt64)),
				kv("nan", math.NaN()), kv("blob", []byte{0xde, 0xad}), kv("tags", []any{"a", 1, 1.5, false}),
				kv("nested", []*commonpb.KeyValue{kv("k", "v")}), kv("quote", "say \"hi\"\n\ttab \\ \x01"),
				kv("nul", "a\x00b"), kv("unicode", "größe ✓"),
			},
		},
		spec{
			trace: "0af7651916cd43dd8448eb211c80319c", span: "00f067aa0ba902b7", parent: "b7ad6b7169203331",
			name: "charge", kind: tracepb.Span_SPAN_KIND_CLIENT,
			start: start.Add(10 * time.Millisecond), dur: 200 * time.Millisecond,
			attrs: []*commonpb.KeyValue{kv("peer.service", "payments")},
		},
	)
}

func wantCheckoutTrace() journeys.Trace {
	start := at("2024-03-10T12:00:00.000000001Z")
	res := []journeys.KeyValue{{Key: "host.cpus", Value: "8"}, {Key: "service.name", Value: "cart"}, {Key: "service.version", Value: "1.4.2"}}
	return journeys.Trace{
		TraceID: "0af7651916cd43dd8448eb211c80319c",
		Spans: []journeys.TraceSpan{
			{
				SpanID: "b7ad6b7169203331", Service: "cart", Name: "POST /cart/checkout", Kind: "server",
				Start: start, Duration: 250*time.Millisecond + 7, Error: true, StatusMessage: "card declined",
				Attributes: []journeys.KeyValue{
					{Key: "big", Value: "1e+21"},
					{Key: "blob", Value: "3q0="},
					{Key: "items", Value: "3"},
					{Key: "max", Value: "9223372036854775807"},
					{Key: "nan", Value: "NaN"},
					{Key: "nested", Value: `{"kvlist": {"k": "v"}}`},
					{Key: "nul", Value: "a\uFFFDb"},
					{Key: "order.total", Value: "12.5"},
					{Key: "quote", Value: "say \"hi\"\n\ttab \\ \x01"},
					{Key: "ratio", Value: "2"},
					{Key: "tags", Value: `["a", 1, 1.5, false]`},
					{Key: "tiny", Value: "1e-07"},
					{Key: "unicode", Value: "größe ✓"},
					{Key: "user.tier", Value: "gold"},
					{Key: "vip", Value: "true"},
				},
				Resource: res,
			},
			{
				SpanID: "00f067aa0ba902b7", ParentSpanID: "b7ad6b7169203331", Service: "cart", Name: "charge", Kind: "client",
				Start: start.Add(10 * time.Millisecond), Duration: 200 * time.Millisecond,
				Attributes: []journeys.KeyValue{{Key: "peer.service", Value: "payments"}},
				Resource:   res,
			},
		},
	}
}

func TestIngestProtobuf(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	ctx := context.Background()

	resp := postProto(t, b.url, checkoutTrace(t))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	require.Equal(t, contentTypeProto, resp.header.Get("Content-Type"))
	var out coltracepb.ExportTraceServiceResponse
	require.NoError(t, proto.Unmarshal(resp.body, &out))
	require.Empty(t, resp.body)

	got, err := b.store.Trace(ctx, "0af7651916cd43dd8448eb211c80319c")
	require.NoError(t, err)
	require.Equal(t, wantCheckoutTrace(), got)
}

func TestTraceOTLPRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	ctx := context.Background()

	in := checkoutTrace(t)
	sp := in.ScopeSpans[0].Spans[0]
	sp.Events = []*tracepb.Span_Event{{TimeUnixNano: sp.StartTimeUnixNano + 5, Name: "exception",
		Attributes: []*commonpb.KeyValue{kv("exception.message", "declined"), kv("attempt", 2)}}}
	sp.Links = []*tracepb.Span_Link{{TraceId: mustHex(t, "4bf92f3577b34da6a3ce929d0e0e4736"), SpanId: mustHex(t, "00f067aa0ba902b7"),
		TraceState: "k=v", Attributes: []*commonpb.KeyValue{kv("link.kind", "retry")}}}
	resp := postProto(t, b.url, in)
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))

	got, err := b.store.TraceOTLP(ctx, "af7651916cd43dd8448eb211c80319c")
	require.NoError(t, err)

	// What comes back is what went in, attributes sorted by key, with the
	// NUL the database cannot hold replaced.
	want := proto.Clone(in).(*tracepb.ResourceSpans)
	sortAttrs := func(kvs []*commonpb.KeyValue) {
		slices.SortFunc(kvs, func(a, b *commonpb.KeyValue) int { return strings.Compare(a.Key, b.Key) })
	}
	sortAttrs(want.Resource.Attributes)
	for _, s := range want.ScopeSpans[0].Spans {
		sortAttrs(s.Attributes)
		for _, kv := range s.Attributes {
			if kv.Key == "nul" {
				kv.Value = anyValue("a\uFFFDb")
			}
		}
		for _, e := range s.Events {
			sortAttrs(e.Attributes)
		}
	}
	require.Empty(t, cmpDiff(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{want}}, got))
}

func TestIngestJSON(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	ctx := context.Background()

	// As OTLP/JSON exporters send it: hex ids, integer enums, 64-bit
	// integers as strings, and a field this version does not know.
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},
	  "scopeSpans":[{"scope":{"name":"shop"},"spans":[{
	    "traceId":"0000000000000000000000000000abcd","spanId":"00000000000000ef","parentSpanId":"",
	    "name":"POST /cart/items","kind":2,
	    "startTimeUnixNano":"1710072000000000001","endTimeUnixNano":1710072000120000001,
	    "attributes":[{"key":"items","value":{"intValue":"3"}},{"key":"total","value":{"doubleValue":12.5}},
	                  {"key":"vip","value":{"boolValue":true}},{"key":"user.tier","value":{"stringValue":"gold"}}],
	    "status":{"code":2,"message":"boom"},"futureField":{"x":1}}]}]}]}`
	for _, tc := range []struct {
		name, encoding string
		body           []byte
	}{
		{"plain", "", []byte(body)},
		{"gzip", "gzip", gzipped(t, []byte(body))},
	} {
		resp := post(t, b.url, "application/json; charset=utf-8", tc.encoding, tc.body)
		require.Equal(t, http.StatusOK, resp.status, "%s: %s", tc.name, resp.body)
		require.Equal(t, contentTypeJSON, resp.header.Get("Content-Type"), tc.name)
		require.Equal(t, "{}", string(resp.body), tc.name)
	}
	require.Equal(t, 1, b.count(t), "the gzip copy is the same span")

	got, err := b.store.Trace(ctx, "ABCD")
	require.NoError(t, err)
	require.Equal(t, journeys.Trace{
		TraceID: "0000000000000000000000000000abcd",
		Spans: []journeys.TraceSpan{{
			SpanID: "00000000000000ef", Service: "cart", Name: "POST /cart/items", Kind: "server",
			Start: time.Unix(0, 1710072000000000001).UTC(), Duration: 120 * time.Millisecond, Error: true, StatusMessage: "boom",
			Attributes: []journeys.KeyValue{{Key: "items", Value: "3"}, {Key: "total", Value: "12.5"}, {Key: "user.tier", Value: "gold"}, {Key: "vip", Value: "true"}},
			Resource:   []journeys.KeyValue{{Key: "service.name", Value: "cart"}},
		}},
	}, got)
}

func TestIngestJSONBase64IDs(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	// A client using plain protojson sends ids in base64.
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},
	  "scopeSpans":[{"spans":[{"traceId":"CvdlGRbNQ92ESOshHIAxnA==","spanId":"t61rcWkgMzE=","name":"x",
	  "startTimeUnixNano":"1710072000000000000","endTimeUnixNano":"1710072000000000000"}]}]}]}`
	resp := post(t, b.url, contentTypeJSON, "", []byte(body))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	got, err := b.store.Trace(context.Background(), "0af7651916cd43dd8448eb211c80319c")
	require.NoError(t, err)
	require.Equal(t, "b7ad6b7169203331", got.Spans[0].SpanID)
}

func TestIngestGzipProtobuf(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	body, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{checkoutTrace(t)}})
	require.NoError(t, err)
	resp := post(t, b.url, contentTypeProto, "gzip", gzipped(t, body))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	got, err := b.store.Trace(context.Background(), "0af7651916cd43dd8448eb211c80319c")
	require.NoError(t, err)
	require.Equal(t, wantCheckoutTrace(), got)
}

func TestResendDoesNotDuplicate(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	ctx := context.Background()
	for range 3 {
		resp := postProto(t, b.url, checkoutTrace(t))
		require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	}
	require.Equal(t, 2, b.count(t))

	// The same spans twice within one request, and again through Insert.
	rs := checkoutTrace(t)
	rs.ScopeSpans = append(rs.ScopeSpans, rs.ScopeSpans[0])
	n, err := b.store.Insert(ctx, []*tracepb.ResourceSpans{rs})
	require.NoError(t, err)
	require.Equal(t, int64(0), n)
	require.Equal(t, 2, b.count(t))

	stats, err := b.store.FetchSpans(ctx, journeys.SpanQuery{
		Pattern: journeys.Pattern{Service: "cart", SpanRegex: ".*"},
		From:    at("2024-03-10T00:00:00Z"), To: at("2024-03-11T00:00:00Z"),
	}, func(journeys.Span) error { return nil })
	require.NoError(t, err)
	require.Equal(t, int64(2), stats.Spans)
}

func TestRejects(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{MaxBodyBytes: 64 << 10}, true)

	valid := func(mut func(*tracepb.Span)) []byte {
		rs := checkoutTrace(t)
		mut(rs.ScopeSpans[0].Spans[1])
		body, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{rs}})
		require.NoError(t, err)
		return body
	}
	good := valid(func(*tracepb.Span) {})
	bomb := gzipped(t, bytes.Repeat([]byte{0}, 1<<20)) // 1 MiB of zeros in ~1 kB
	require.Less(t, len(bomb), 64<<10)

	for _, tc := range []struct {
		name, method, ctype, cenc string
		body                      []byte
		status                    int
		msg                       string
	}{
		{"wrong method", http.MethodGet, contentTypeProto, "", nil, http.StatusMethodNotAllowed, "method GET not allowed"},
		{"no content type", http.MethodPost, "", "", good, http.StatusUnsupportedMediaType, `unsupported Content-Type ""`},
		{"text", http.MethodPost, "text/plain", "", good, http.StatusUnsupportedMediaType, `unsupported Content-Type "text/plain"`},
		{"malformed content type", http.MethodPost, "application/json; =", "", good, http.StatusUnsupportedMediaType, "malformed Content-Type"},
		{"brotli", http.MethodPost, contentTypeProto, "br", good, http.StatusUnsupportedMediaType, `unsupported Content-Encoding "br"`},
		{"garbage protobuf", http.MethodPost, contentTypeProto, "", []byte{0xff, 0xff, 0xff}, http.StatusBadRequest, "malformed OTLP protobuf"},
		{"garbage json", http.MethodPost, contentTypeJSON, "", []byte(`{"resourceSpans":[{`), http.StatusBadRequest, "malformed OTLP JSON"},
		{"json of wrong shape", http.MethodPost, contentTypeJSON, "", []byte(`{"resourceSpans":"x"}`), http.StatusBadRequest, "malformed OTLP JSON"},
		{"not gzip", http.MethodPost, contentTypeProto, "gzip", good, http.StatusBadRequest, "malformed gzip body"},
		{"truncated gzip", http.MethodPost, contentTypeProto, "gzip", gzipped(t, good)[:40], http.StatusBadRequest, "malformed gzip body"},
		{"too large", http.MethodPost, contentTypeProto, "", make([]byte, 64<<10+1), http.StatusRequestEntityTooLarge, "larger than 65536 bytes"},
		{"gzip bomb", http.MethodPost, contentTypeProto, "gzip", bomb, http.StatusRequestEntityTooLarge, "larger than 65536 bytes"},
		{"short trace id", http.MethodPost, contentTypeProto, "", valid(func(s *tracepb.Span) { s.TraceId = s.TraceId[:15] }), http.StatusBadRequest,
			`resourceSpans[0].scopeSpans[0].spans[1] "charge": trace id must be 16 bytes, got 15`},
		{"zero trace id", http.MethodPost, contentTypeProto, "", valid(func(s *tracepb.Span) { s.TraceId = make([]byte, 16) }), http.StatusBadRequest,
			`spans[1] "charge": trace id is all zeros`},
		{"missing span id", http.MethodPost, contentTypeProto, "", valid(func(s *tracepb.Span) { s.SpanId = nil }), http.StatusBadRequest,
			`spans[1] "charge": span id must be 8 bytes, got 0`},
		{"bad parent", http.MethodPost, contentTypeProto, "", valid(func(s *tracepb.Span) { s.ParentSpanId = []byte{1, 2} }), http.StatusBadRequest,
			`spans[1] "charge": parent span id must be 8 bytes, got 2`},
		{"end before start", http.MethodPost, contentTypeProto, "", valid(func(s *tracepb.Span) { s.EndTimeUnixNano = s.StartTimeUnixNano - 1 }), http.StatusBadRequest,
			`spans[1] "charge": end time 1710072000010000000 is before start time 1710072000010000001`},
		{"no start", http.MethodPost, contentTypeProto, "", valid(func(s *tracepb.Span) { s.StartTimeUnixNano = 0 }), http.StatusBadRequest,
			`spans[1] "charge": missing start time`},
		{"unknown kind", http.MethodPost, contentTypeProto, "", valid(func(s *tracepb.Span) { s.Kind = 9 }), http.StatusBadRequest,
			`spans[1] "charge": unknown span kind 9`},
		{"long name", http.MethodPost, contentTypeProto, "", valid(func(s *tracepb.Span) { s.Name = strings.Repeat("n", 1025) }), http.StatusBadRequest,
			"name is longer than 1024 bytes"},
		{"json bad hex id", http.MethodPost, contentTypeJSON, "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz000000000000000000000000000000","spanId":"b7ad6b7169203331","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`),
			http.StatusBadRequest, `resourceSpans[0].scopeSpans[0].spans[0] "x": traceId "zz000000000000000000000000000000" is not 32 hex digits`},
		{"json short hex id", http.MethodPost, contentTypeJSON, "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b71692033","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`),
			http.StatusBadRequest, `spans[0] "x": span id must be 8 bytes, got 10`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, b.url, bytes.NewReader(tc.body))
			require.NoError(t, err)
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if tc.cenc != "" {
				req.Header.Set("Content-Encoding", tc.cenc)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body := readAll(t, resp)
			require.Equal(t, tc.status, resp.StatusCode, body)
			require.Contains(t, body, tc.msg)
			require.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
			if tc.status == http.StatusMethodNotAllowed {
				require.Equal(t, "POST", resp.Header.Get("Allow"))
			}
		})
	}
	require.Equal(t, 0, b.count(t), "nothing refused is stored")
}

func TestQueueFull(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{QueueSize: 1, RetryAfter: 2 * time.Second}, false)

	// The writers are not running: the first request waits in the queue.
	first := make(chan response, 1)
	go func() { first <- postProto(t, b.url, checkoutTrace(t)) }()
	require.Eventually(t, func() bool { return len(b.rcv.queue) == 1 }, 5*time.Second, time.Millisecond)

	resp := postProto(t, b.url, checkoutTrace(t))
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.Equal(t, "2", resp.header.Get("Retry-After"))
	require.Equal(t, "write queue full, retry later\n", string(resp.body))

	// Once writing, the waiting request is committed and answered.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.rcv.Run(ctx) }()
	require.Equal(t, http.StatusOK, (<-first).status)
	require.Equal(t, 2, b.count(t))
	require.NoError(t, b.rcv.Close())
	require.NoError(t, <-done)
}

func TestQueuedSpanBudget(t *testing.T) {
	t.Parallel()
	// Two spans fit the budget of 3 alone, but not twice.
	b := setup(t, Config{MaxQueuedSpans: 3}, false)
	first := make(chan response, 1)
	go func() { first <- postProto(t, b.url, checkoutTrace(t)) }()
	require.Eventually(t, func() bool { return b.rcv.queued.Load() == 2 }, 5*time.Second, time.Millisecond)
	resp := postProto(t, b.url, checkoutTrace(t))
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.Equal(t, "1", resp.header.Get("Retry-After"))

	// Close without writers fails what waits, and refuses what comes.
	require.NoError(t, b.rcv.Close())
	require.Equal(t, http.StatusServiceUnavailable, (<-first).status)
	resp = postProto(t, b.url, checkoutTrace(t))
	require.Equal(t, http.StatusServiceUnavailable, resp.status)
	require.Equal(t, "shutting down, retry later\n", string(resp.body))
	require.Equal(t, 0, b.count(t))
}

func TestBatchesConcurrentRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{Writers: 1}, false)

	// Queue 20 requests before any writer runs: one transaction takes them
	// all, and each is answered only after it commits.
	const n = 20
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			rs := checkoutTrace(t)
			for _, sp := range rs.ScopeSpans[0].Spans {
				sp.TraceId[0] = byte(i + 1)
			}
			statuses[i] = postProto(t, b.url, rs).status
		})
	}
	require.Eventually(t, func() bool { return len(b.rcv.queue) == n }, 5*time.Second, time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.rcv.Run(ctx) }()
	wg.Wait()
	for i, s := range statuses {
		require.Equal(t, http.StatusOK, s, "request %d", i)
	}
	require.Equal(t, 2*n, b.count(t))
	require.NoError(t, b.rcv.Close())
	require.NoError(t, <-done)
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.rcv.Run(ctx) }()
	require.Equal(t, http.StatusOK, postProto(t, b.url, checkoutTrace(t)).status)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	resp := postProto(t, b.url, checkoutTrace(t))
	require.Equal(t, http.StatusServiceUnavailable, resp.status)
	require.Equal(t, 2, b.count(t))
}

func TestEmptyRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	resp := post(t, b.url, contentTypeJSON, "", []byte(`{}`))
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, "{}", string(resp.body))
	resp = postProto(t, b.url, &tracepb.ResourceSpans{Resource: &resourcepb.Resource{}})
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, 0, b.count(t))
}

// TestEmptyBody: OTLP/HTTP calls an empty body a valid export of nothing,
// in both encodings and compressed or not.
func TestEmptyBody(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	for _, tc := range []struct {
		ctype, cenc string
		body        []byte
		want        string
	}{
		{contentTypeProto, "", nil, ""},
		{contentTypeJSON, "", nil, "{}"},
		{contentTypeJSON + "; charset=utf-8", "", nil, "{}"},
		{contentTypeProto, "gzip", gzipped(t, nil), ""},
		{contentTypeJSON, "gzip", gzipped(t, nil), "{}"},
	} {
		resp := post(t, b.url, tc.ctype, tc.cenc, tc.body)
		require.Equal(t, http.StatusOK, resp.status, "%s %s: %s", tc.ctype, tc.cenc, resp.body)
		require.Equal(t, tc.want, string(resp.body), tc.ctype)
		require.Equal(t, strings.SplitN(tc.ctype, ";", 2)[0], resp.header.Get("Content-Type"))
	}
	require.Equal(t, 0, b.count(t))
	require.Empty(t, b.partitions(t))
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err := buf.ReadFrom(resp.Body)
	require.NoError(t, err)
	return buf.String()
}

func cmpDiff(want, got proto.Message) string {
	if proto.Equal(want, got) {
		return ""
	}
	return "want:\n" + prototext.Format(want) + "\ngot:\n" + prototext.Format(got)
}
