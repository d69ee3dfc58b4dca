package demo

import (
	"cmp"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// scopeName is the instrumentation scope every demo span is sent under.
const scopeName = "github.com/waymarkhq/waymark/internal/demo"

// OTLP returns every span of the traffic as OTLP, exactly as Send exports
// it (resource, scope, typed attributes, status), one ResourceSpans per
// trace. Tests load it straight into a trace store or a fake Tempo, so that
// both hold the same spans without going through an exporter.
func (t *Traffic) OTLP() []*tracepb.ResourceSpans {
	out := make([]*tracepb.ResourceSpans, 0, len(t.traces))
	for _, tr := range t.traces {
		out = append(out, traceOTLP(tr, t.cfg.Environment))
	}
	return out
}

func traceOTLP(tr *Trace, environment string) *tracepb.ResourceSpans {
	st := shop[tr.Step]
	res := &resourcepb.Resource{Attributes: kvs([]attribute.KeyValue{
		attribute.String("service.name", st.Service),
		attribute.String("service.version", cmp.Or(tr.ServiceVersion, st.ServiceVersion)),
		attribute.String("service.namespace", "shop"),
		attribute.String("deployment.environment", cmp.Or(environment, "prod")),
	})}
	tid := tr.ID
	spans := make([]*tracepb.Span, 0, len(tr.Spans))
	for k := range tr.Spans {
		sp := &tr.Spans[k]
		o := &tracepb.Span{
			TraceId:           tid[:],
			SpanId:            append([]byte(nil), sp.ID[:]...),
			Name:              sp.Name,
			Kind:              otlpKind(sp.Kind),
			StartTimeUnixNano: uint64(sp.Start.UnixNano()),
			EndTimeUnixNano:   uint64(sp.End.UnixNano()),
			Attributes:        kvs(sp.Attrs),
		}
		if sp.Parent.IsValid() {
			o.ParentSpanId = append([]byte(nil), sp.Parent[:]...)
		}
		if sp.Error {
			o.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: sp.StatusMessage}
		}
		spans = append(spans, o)
	}
	return &tracepb.ResourceSpans{
		Resource:   res,
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: scopeName}, Spans: spans}},
	}
}

func otlpKind(k trace.SpanKind) tracepb.Span_SpanKind {
	switch k {
	case trace.SpanKindServer:
		return tracepb.Span_SPAN_KIND_SERVER
	case trace.SpanKindClient:
		return tracepb.Span_SPAN_KIND_CLIENT
	case trace.SpanKindProducer:
		return tracepb.Span_SPAN_KIND_PRODUCER
	case trace.SpanKindConsumer:
		return tracepb.Span_SPAN_KIND_CONSUMER
	case trace.SpanKindInternal:
		return tracepb.Span_SPAN_KIND_INTERNAL
	}
	return tracepb.Span_SPAN_KIND_UNSPECIFIED
}

// kvs converts the attribute types the demo uses, as the OTLP exporter
// does.
func kvs(attrs []attribute.KeyValue) []*commonpb.KeyValue {
	out := make([]*commonpb.KeyValue, 0, len(attrs))
	for _, a := range attrs {
		v := &commonpb.AnyValue{}
		switch a.Value.Type() {
		case attribute.BOOL:
			v.Value = &commonpb.AnyValue_BoolValue{BoolValue: a.Value.AsBool()}
		case attribute.INT64:
			v.Value = &commonpb.AnyValue_IntValue{IntValue: a.Value.AsInt64()}
		case attribute.FLOAT64:
			v.Value = &commonpb.AnyValue_DoubleValue{DoubleValue: a.Value.AsFloat64()}
		default:
			v.Value = &commonpb.AnyValue_StringValue{StringValue: a.Value.String()}
		}
		out = append(out, &commonpb.KeyValue{Key: string(a.Key), Value: v})
	}
	return out
}
