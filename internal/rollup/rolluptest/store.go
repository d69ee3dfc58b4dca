package rolluptest

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/spanstore"
)

// Store writes spans into the embedded store as OTLP would carry them:
// span.x attributes on the span, resource.x on its resource, all strings.
func Store(ctx context.Context, dst *spanstore.Store, spans []Span) error {
	var rss []*tracepb.ResourceSpans
	for _, s := range spans {
		trace, err := hex.DecodeString(s.TraceID)
		if err != nil {
			return fmt.Errorf("store span: trace id %q: %w", s.TraceID, err)
		}
		id, err := hex.DecodeString(s.SpanID)
		if err != nil {
			return fmt.Errorf("store span: span id %q: %w", s.SpanID, err)
		}
		kind := tracepb.Span_SPAN_KIND_SERVER
		if k, ok := tracepb.Span_SpanKind_value["SPAN_KIND_"+strings.ToUpper(s.Kind)]; ok && s.Kind != "" {
			kind = tracepb.Span_SpanKind(k)
		}
		sp := &tracepb.Span{
			TraceId: trace, SpanId: id, Name: s.Name, Kind: kind,
			StartTimeUnixNano: uint64(s.Start.UnixNano()),
			EndTimeUnixNano:   uint64(s.Start.Add(s.Duration).UnixNano()),
		}
		if s.Error {
			sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}
		}
		res := []*commonpb.KeyValue{str("service.name", s.Service)}
		for k, v := range s.Attrs {
			switch {
			case strings.HasPrefix(k, "span."):
				sp.Attributes = append(sp.Attributes, str(strings.TrimPrefix(k, "span."), v))
			case strings.HasPrefix(k, "resource."):
				res = append(res, str(strings.TrimPrefix(k, "resource."), v))
			}
		}
		rss = append(rss, &tracepb.ResourceSpans{
			Resource:   &resourcepb.Resource{Attributes: res},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{sp}}},
		})
	}
	if _, err := dst.Insert(ctx, rss); err != nil {
		return fmt.Errorf("store spans: %w", err)
	}
	return nil
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}
