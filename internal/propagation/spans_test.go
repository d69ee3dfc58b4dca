package propagation

import (
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/journeys"
)

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func one(sp *tracepb.Span, res ...*commonpb.KeyValue) *tracepb.TracesData {
	return &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: res},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{sp}}},
	}}}
}

func TestSpanLookupMatchesLikeTheTraceSources(t *testing.T) {
	t.Parallel()
	set := NewSet()
	require.NoError(t, set.Add(one(&tracepb.Span{
		TraceId: make16(1), SpanId: make8(2), ParentSpanId: make([]byte, 8), Name: "POST /pay",
		Kind: tracepb.Span_SPAN_KIND_CLIENT, StartTimeUnixNano: 1000, EndTimeUnixNano: 251000,
		Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK, Message: "fine"},
		Attributes: []*commonpb.KeyValue{
			str("session.id", "s1"), str("empty", ""),
			{Key: "n", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 3}}},
			{Key: "f", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 1.5}}},
			{Key: "b", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}},
		},
	}, str("service.name", "payment_svc"), str("region", "eu"))))
	require.Equal(t, 1, set.Spans())
	require.Equal(t, 1, set.Traces())
	sp := set.traces[set.order[0]].spans[0]
	require.Equal(t, "", sp.ParentID, "an all-zero parent id is no parent")
	require.Equal(t, "client", sp.Kind)
	require.Equal(t, "payment_svc", sp.Service)

	type got struct {
		v  string
		t  journeys.ValueType
		ok bool
	}
	look := func(k string) got { v, typ, ok := sp.Lookup(k); return got{v, typ, ok} }
	require.Equal(t, got{"s1", journeys.TypeString, true}, look("span.session.id"))
	require.Equal(t, got{"3", journeys.TypeInt, true}, look("span.n"))
	require.Equal(t, got{"1.5", journeys.TypeFloat, true}, look("span.f"))
	require.Equal(t, got{"true", journeys.TypeBool, true}, look("span.b"))
	require.Equal(t, got{"eu", journeys.TypeString, true}, look("resource.region"))
	require.Equal(t, got{"", 0, false}, look("span.region"), "scopes are kept apart")
	require.Equal(t, got{"ok", journeys.TypeString, true}, look("status"))
	require.Equal(t, got{"fine", journeys.TypeString, true}, look("statusMessage"))
	require.Equal(t, got{"250000", journeys.TypeInt, true}, look("duration"))
	require.True(t, sp.Has("span.session.id"))
	require.False(t, sp.Has("span.empty"), "an empty value does not tie a span to a session")
	require.False(t, sp.Has("span.missing"))

	p := journeys.Pattern{Service: "payment_svc", Span: "POST /pay", Kind: "client", Attributes: []journeys.Matcher{
		{Key: "span.n", Op: journeys.OpGe, Value: journeys.IntValue(3)},
		{Key: "duration", Op: journeys.OpLt, Value: journeys.StringValue("1ms")},
	}}
	require.True(t, p.Matches(sp.Service, sp.Name, sp.Kind, sp.Lookup))
}

func TestSetRefusesBadIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		span *tracepb.Span
		want string
	}{
		{&tracepb.Span{TraceId: make([]byte, 12), SpanId: make8(1), Name: "a"}, `resourceSpans[0].scopeSpans[0].spans[0] "a": trace id is 12 bytes, not 16`},
		{&tracepb.Span{TraceId: make([]byte, 16), SpanId: make8(1), Name: "b"}, `resourceSpans[0].scopeSpans[0].spans[0] "b": trace id is all zeros`},
		{&tracepb.Span{TraceId: make16(1), SpanId: nil, Name: "c"}, `resourceSpans[0].scopeSpans[0].spans[0] "c": span id is 0 bytes, not 8`},
		{&tracepb.Span{TraceId: make16(1), SpanId: make8(1), ParentSpanId: []byte{1}, Name: "d"}, `resourceSpans[0].scopeSpans[0].spans[0] "d": parent span id is 1 bytes, not 8`},
	}
	for _, tt := range tests {
		require.EqualError(t, NewSet().Add(one(tt.span)), tt.want)
	}
}

func make16(b byte) []byte { x := make([]byte, 16); x[15] = b; return x }
func make8(b byte) []byte  { x := make([]byte, 8); x[7] = b; return x }
