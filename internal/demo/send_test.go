package demo

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// gotSpan is one span as an OTLP receiver decoded it.
type gotSpan struct {
	TraceID, SpanID, Parent string
	Name, Kind              string
	Start, End              int64
	Error                   bool
	StatusMessage           string
	TraceState              string
	Attrs                   map[string]string
	Resource                map[string]string
}

// otlpSink is an OTLP/HTTP receiver that keeps every span it decodes.
type otlpSink struct {
	mu      sync.Mutex
	spans   []gotSpan
	headers []http.Header
	status  int // answer with this status instead of 200 when set
}

func newSink(t *testing.T) (*otlpSink, *httptest.Server) {
	t.Helper()
	s := &otlpSink{}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if s.status != 0 {
		http.Error(w, "refused", s.status)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req collectorpb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var got []gotSpan
	for _, rs := range req.GetResourceSpans() {
		res := kvMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				got = append(got, gotSpan{
					TraceID:       hex.EncodeToString(sp.GetTraceId()),
					SpanID:        hex.EncodeToString(sp.GetSpanId()),
					Parent:        hex.EncodeToString(sp.GetParentSpanId()),
					Name:          sp.GetName(),
					Kind:          sp.GetKind().String(),
					Start:         int64(sp.GetStartTimeUnixNano()),
					End:           int64(sp.GetEndTimeUnixNano()),
					Error:         sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR,
					StatusMessage: sp.GetStatus().GetMessage(),
					TraceState:    sp.GetTraceState(),
					Attrs:         kvMap(sp.GetAttributes()),
					Resource:      res,
				})
			}
		}
	}
	s.mu.Lock()
	s.spans = append(s.spans, got...)
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

func (s *otlpSink) got() []gotSpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gotSpan(nil), s.spans...)
}

func kvMap(kvs []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		v := kv.GetValue()
		switch v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = v.GetStringValue()
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = strconv.FormatInt(v.GetIntValue(), 10)
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = strconv.FormatFloat(v.GetDoubleValue(), 'g', -1, 64)
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = strconv.FormatBool(v.GetBoolValue())
		default:
			m[kv.GetKey()] = fmt.Sprintf("unexpected %T", v.GetValue())
		}
	}
	return m
}

// wantSpans is the planned traffic in the shape the sink decodes, sorted by
// span id: the traces of the sampled sessions, with the tracestate of
// sampling probability sample when it is below 1.
func wantSpans(traces []*Trace, sample float64) []gotSpan {
	var out []gotSpan
	samp := newSampling(sample)
	for _, tr := range traces {
		if !tr.Session.Sampled {
			continue
		}
		info := Steps()[tr.Step]
		res := map[string]string{
			"service.name":           info.Service,
			"service.version":        tr.ServiceVersion,
			"service.namespace":      "shop",
			"deployment.environment": "prod",
		}
		state := ""
		if samp.on() {
			state = samp.traceState(tr.Session.Randomness)
		}
		for _, sp := range tr.Spans {
			g := gotSpan{
				TraceID:       tr.TraceIDOf(&sp).String(),
				TraceState:    state,
				SpanID:        sp.ID.String(),
				Name:          sp.Name,
				Kind:          "SPAN_KIND_" + map[string]string{"server": "SERVER", "client": "CLIENT", "internal": "INTERNAL"}[sp.Kind.String()],
				Start:         sp.Start.UnixNano(),
				End:           sp.End.UnixNano(),
				Error:         sp.Error,
				StatusMessage: sp.StatusMessage,
				Attrs:         map[string]string{},
				Resource:      res,
			}
			if sp.Parent.IsValid() {
				g.Parent = sp.Parent.String()
			}
			for _, kv := range sp.Attrs {
				g.Attrs[string(kv.Key)] = kv.Value.String()
			}
			out = append(out, g)
		}
	}
	sortSpans(out)
	return out
}

func sortSpans(s []gotSpan) {
	sort.Slice(s, func(i, j int) bool { return s[i].TraceID+s[i].SpanID < s[j].TraceID+s[j].SpanID })
}

func TestSendDeliversExactlyThePlan(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cfg.Sessions = 150
	tr, err := Plan(cfg)
	require.NoError(t, err)
	sink, srv := newSink(t)

	require.NoError(t, tr.Send(context.Background(), srv.URL))

	got := sink.got()
	sortSpans(got)
	want := wantSpans(tr.Traces(), 1)
	truth := tr.Truth()
	require.Len(t, got, truth.Spans)
	require.Equal(t, want, got)

	// Counted from the wire, the numbers are the truth's.
	type key struct{ service, name string }
	spans, errs := map[key]int{}, map[key]int{}
	tiers := map[string]int{}
	var cents int64
	for _, g := range got {
		k := key{g.Resource["service.name"], g.Name}
		spans[k]++
		if g.Error {
			errs[k]++
		}
		if g.Name == "POST /payments" {
			tiers[g.Attrs[AttrUserTier]]++
			f, err := strconv.ParseFloat(g.Attrs[AttrOrderTotal], 64)
			require.NoError(t, err)
			cents += int64(f*100 + 0.5)
		}
	}
	for _, st := range truth.Steps {
		info := Steps()[st.Index-1]
		require.Equal(t, st.RootSpans, spans[key{st.Service, st.RootSpanName}], st.Step)
		require.Equal(t, st.Errors, errs[key{st.Service, st.RootSpanName}], st.Step)
		for _, c := range st.Children {
			require.Equal(t, c.Spans, spans[key{info.Service, c.Name}], c.Name)
			require.Equal(t, c.ErrorSpans, errs[key{info.Service, c.Name}], c.Name)
		}
	}
	pay := truth.Steps[StepIndex(StepPayment)]
	for tier, seg := range pay.By[AttrUserTier] {
		require.Equal(t, seg.Sessions, tiers[tier], tier)
	}
	require.Equal(t, pay.ValueCents, cents)
}

func TestSendHeadersAndPath(t *testing.T) {
	t.Parallel()
	cfg := tinyConfig()
	cfg.Sessions = 1
	tr, err := Plan(cfg)
	require.NoError(t, err)
	sink, srv := newSink(t)

	require.NoError(t, tr.send(context.Background(), srv.URL+"/v1/traces", map[string]string{"X-Scope-OrgID": "shop"}))

	require.Len(t, sink.got(), 14)
	require.NotEmpty(t, sink.headers)
	for _, h := range sink.headers {
		require.Equal(t, "shop", h.Get("X-Scope-OrgID"))
		require.Equal(t, "application/x-protobuf", h.Get("Content-Type"))
	}
}

func TestSendReportsRefusal(t *testing.T) {
	t.Parallel()
	cfg := tinyConfig()
	tr, err := Plan(cfg)
	require.NoError(t, err)
	sink, srv := newSink(t)
	sink.status = http.StatusBadRequest

	err = tr.Send(context.Background(), srv.URL)

	require.ErrorContains(t, err, "42 spans failed")
	require.ErrorContains(t, err, "400")
}

func TestSendBadEndpoint(t *testing.T) {
	t.Parallel()
	tr, err := Plan(tinyConfig())
	require.NoError(t, err)
	err = tr.Send(context.Background(), "ftp://example.com")
	require.EqualError(t, err, `send traffic: endpoint "ftp://example.com": scheme must be http or https`)
}

func TestSendCanceled(t *testing.T) {
	t.Parallel()
	tr, err := Plan(tinyConfig())
	require.NoError(t, err)
	_, srv := newSink(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = tr.Send(ctx, srv.URL)
	require.ErrorIs(t, err, context.Canceled)
}

func TestExportURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "127.0.0.1:4318", want: "http://127.0.0.1:4318/v1/traces"},
		{in: "http://127.0.0.1:4318", want: "http://127.0.0.1:4318/v1/traces"},
		{in: "https://tempo.example.com/", want: "https://tempo.example.com/v1/traces"},
		{in: "http://collector:4318/otlp/v1/traces", want: "http://collector:4318/otlp/v1/traces"},
		{in: " localhost:4318 ", want: "http://localhost:4318/v1/traces"},
		{in: "", err: "endpoint is empty"},
		{in: "http://", err: `endpoint "http://" has no host`},
		{in: "grpc://x:4317", err: `endpoint "grpc://x:4317": scheme must be http or https`},
		{in: "http://u:p@x:4318", err: `endpoint "http://u:p@x:4318": no query, fragment or credentials allowed (pass credentials as headers)`},
		{in: "http://x:4318/?a=b", err: `endpoint "http://x:4318/?a=b": no query, fragment or credentials allowed (pass credentials as headers)`},
		{in: "http://[::1", err: `parse endpoint "http://[::1": parse "http://[::1": missing ']' in host`},
	} {
		got, err := ExportURL(tc.in)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func FuzzExportURL(f *testing.F) {
	for _, s := range []string{"127.0.0.1:4318", "http://x", "https://h/p", "", "://", "http://[::1", "h:1/?q#f", "\x00", "http://u@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		u, err := ExportURL(in)
		if err != nil {
			require.Empty(t, u)
			return
		}
		// What it returns is stable: a full URL maps to itself.
		again, err := ExportURL(u)
		require.NoError(t, err)
		require.Equal(t, u, again)
	})
}
