package faketempo

import (
	"math"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Sample is six hand-built spans of two services after base, for tests of
// counting that must know every value: typed attributes, a string that
// spells an int, a NaN, an array, an error, and one span two hours after
// base.
//
//	shop POST /pay  server +1s  user.tier=free code=500   total=12.5
//	shop POST /pay  server +2s  user.tier=free code="500" total=NaN   error
//	shop POST /pay  server +3s  user.tier=pro  code=200   tags=["a"]
//	shop SELECT     client +4s                 code=200
//	shop POST /pay  server +2h  user.tier=gold
//	auth POST /login server +5s user.tier=pro
//
// Every resource also carries region=eu.
func Sample(base time.Time) []*tracepb.ResourceSpans {
	n := 0
	sp := func(name string, kind tracepb.Span_SpanKind, at time.Duration, isErr bool, attrs ...*commonpb.KeyValue) *tracepb.Span {
		n++
		s := &tracepb.Span{
			TraceId: []byte{0: 1, 15: byte(n)}, SpanId: []byte{0: 2, 7: byte(n)}, Name: name, Kind: kind,
			StartTimeUnixNano: uint64(base.Add(at).UnixNano()), EndTimeUnixNano: uint64(base.Add(at + time.Millisecond).UnixNano()),
			Attributes: attrs,
		}
		if isErr {
			s.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}
		}
		return s
	}
	kv := func(k string, v *commonpb.AnyValue) *commonpb.KeyValue { return &commonpb.KeyValue{Key: k, Value: v} }
	str := func(s string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
	}
	integer := func(i int64) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: i}}
	}
	double := func(f float64) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
	}
	arr := &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{str("a")}}}}
	rs := func(service string, spans ...*tracepb.Span) *tracepb.ResourceSpans {
		return &tracepb.ResourceSpans{
			Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{kv("service.name", str(service)), kv("region", str("eu"))}},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
		}
	}
	return []*tracepb.ResourceSpans{
		rs("shop",
			sp("POST /pay", tracepb.Span_SPAN_KIND_SERVER, time.Second, false, kv("user.tier", str("free")), kv("code", integer(500)), kv("total", double(12.5))),
			sp("POST /pay", tracepb.Span_SPAN_KIND_SERVER, 2*time.Second, true, kv("user.tier", str("free")), kv("code", str("500")), kv("total", double(math.NaN()))),
			sp("POST /pay", tracepb.Span_SPAN_KIND_SERVER, 3*time.Second, false, kv("user.tier", str("pro")), kv("code", integer(200)), kv("tags", arr)),
			sp("SELECT", tracepb.Span_SPAN_KIND_CLIENT, 4*time.Second, false, kv("code", integer(200))),
			sp("POST /pay", tracepb.Span_SPAN_KIND_SERVER, 2*time.Hour, false, kv("user.tier", str("gold"))),
		),
		rs("auth", sp("POST /login", tracepb.Span_SPAN_KIND_SERVER, 5*time.Second, false, kv("user.tier", str("pro")))),
	}
}
