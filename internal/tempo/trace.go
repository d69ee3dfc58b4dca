package tempo

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/journeys"
)

// TraceOptions tunes a trace lookup.
type TraceOptions struct {
	// Start and End, when set, tell Tempo where to look, which is much
	// cheaper than searching all blocks.
	Start time.Time
	End   time.Time
	// Protobuf asks for application/protobuf instead of OTLP JSON:
	// smaller and faster to decode.
	Protobuf bool
	// Legacy uses /api/traces/{id} instead of /api/v2/traces/{id}, for
	// Tempo versions before 2.5.
	Legacy bool
}

// TraceOTLP fetches one trace as OTLP, the form incident snapshots keep.
// An unknown id gives an error wrapping journeys.ErrTraceNotFound: Tempo's
// v2 API answers 200 with an empty trace, v1 404.
func (c *Client) TraceOTLP(ctx context.Context, traceID string, o TraceOptions) (*tracepb.TracesData, error) {
	id, ok := journeys.NormalizeTraceID(traceID)
	if !ok {
		return nil, fmt.Errorf("get trace: invalid trace id %q: %w", truncate(traceID, 64), journeys.ErrTraceNotFound)
	}
	q := url.Values{}
	if err := setRange(q, o.Start, o.End); err != nil {
		return nil, fmt.Errorf("get trace %s: %w", id, err)
	}
	path := "/api/v2/traces/" + id
	if o.Legacy {
		path = "/api/traces/" + id
	}
	accept := "application/json"
	if o.Protobuf {
		accept = "application/protobuf"
	}
	resp, err := c.get(ctx, c.endpoint(path, q), accept)
	if err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("get trace %s: %w: %w", id, journeys.ErrTraceNotFound, err)
		}
		return nil, fmt.Errorf("get trace %s: %w", id, err)
	}
	var td *tracepb.TracesData
	if strings.Contains(resp.contentType, "protobuf") {
		td, err = DecodeTraceProto(resp.body, !o.Legacy)
	} else {
		td, err = DecodeTraceJSON(resp.body)
	}
	if err != nil {
		return nil, fmt.Errorf("get trace %s: %w", id, err)
	}
	if spanCount(td) == 0 {
		return nil, fmt.Errorf("get trace %s: %w", id, journeys.ErrTraceNotFound)
	}
	return td, nil
}

// TraceByID fetches one trace in the domain's form.
func (c *Client) TraceByID(ctx context.Context, traceID string, o TraceOptions) (journeys.Trace, error) {
	td, err := c.TraceOTLP(ctx, traceID, o)
	if err != nil {
		return journeys.Trace{}, err
	}
	id, _ := journeys.NormalizeTraceID(traceID)
	t := ConvertTrace(td)
	t.TraceID = id
	return t, nil
}

func spanCount(td *tracepb.TracesData) int {
	n := 0
	for _, rs := range td.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	return n
}

var protojsonOpts = protojson.UnmarshalOptions{DiscardUnknown: true}

// DecodeTraceJSON decodes a trace-by-id answer in OTLP proto-JSON: v2's
// {"trace":{"resourceSpans":[…]}} or v1's {"batches":[…]}.
func DecodeTraceJSON(body []byte) (*tracepb.TracesData, error) {
	type wireTrace struct {
		ResourceSpans []json.RawMessage `json:"resourceSpans"`
		Batches       []json.RawMessage `json:"batches"`
	}
	var w struct {
		Trace *wireTrace `json:"trace"`
		wireTrace
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode trace: %w", err)
	}
	raws := append(w.ResourceSpans, w.Batches...)
	if w.Trace != nil {
		raws = append(raws, w.Trace.ResourceSpans...)
		raws = append(raws, w.Trace.Batches...)
	}
	td := &tracepb.TracesData{ResourceSpans: make([]*tracepb.ResourceSpans, 0, len(raws))}
	for i, raw := range raws {
		rs := &tracepb.ResourceSpans{}
		if err := protojsonOpts.Unmarshal(raw, rs); err != nil {
			return nil, fmt.Errorf("decode trace: resourceSpans[%d]: %w", i, err)
		}
		td.ResourceSpans = append(td.ResourceSpans, rs)
	}
	return td, nil
}

// DecodeTraceProto decodes a trace-by-id answer in protobuf. v1 sends a
// Tempo Trace, whose field 1 (repeated ResourceSpans) makes it
// wire-identical to OTLP TracesData; v2 wraps that Trace as field 1 of a
// TraceByIDResponse next to metrics and a partial-result status.
func DecodeTraceProto(body []byte, v2 bool) (*tracepb.TracesData, error) {
	if !v2 {
		td := &tracepb.TracesData{}
		if err := proto.Unmarshal(body, td); err != nil {
			return nil, fmt.Errorf("decode trace: %w", err)
		}
		return td, nil
	}
	td := &tracepb.TracesData{}
	b := body
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("decode trace: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("decode trace: %w", protowire.ParseError(n))
			}
			// Merge: a message field repeated on the wire is merged.
			if err := (proto.UnmarshalOptions{Merge: true}).Unmarshal(v, td); err != nil {
				return nil, fmt.Errorf("decode trace: %w", err)
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, fmt.Errorf("decode trace: %w", protowire.ParseError(n))
		}
		b = b[n:]
	}
	return td, nil
}

// ConvertTrace turns OTLP spans into the domain's trace: hex ids, the
// service from the resource, lowercase kinds, attribute values in canonical
// text. Spans are ordered by start time (the waterfall's order). TraceID is
// taken from the first span.
func ConvertTrace(td *tracepb.TracesData) journeys.Trace {
	var t journeys.Trace
	for _, rs := range td.GetResourceSpans() {
		resource := KeyValues(rs.GetResource().GetAttributes())
		service := ""
		for _, kv := range resource {
			if kv.Key == "service.name" {
				service = kv.Value
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				if t.TraceID == "" && len(sp.GetTraceId()) > 0 {
					t.TraceID = hex.EncodeToString(sp.GetTraceId())
				}
				start := time.Unix(0, int64(sp.GetStartTimeUnixNano()))
				var dur time.Duration
				if e, s := sp.GetEndTimeUnixNano(), sp.GetStartTimeUnixNano(); e > s {
					dur = time.Duration(e - s)
				}
				t.Spans = append(t.Spans, journeys.TraceSpan{
					SpanID:        hex.EncodeToString(sp.GetSpanId()),
					ParentSpanID:  hex.EncodeToString(sp.GetParentSpanId()),
					Service:       service,
					Name:          sp.GetName(),
					Kind:          KindName(sp.GetKind()),
					Start:         start,
					Duration:      dur,
					Error:         sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR,
					StatusMessage: sp.GetStatus().GetMessage(),
					Attributes:    KeyValues(sp.GetAttributes()),
					Resource:      resource,
				})
			}
		}
	}
	sort.SliceStable(t.Spans, func(i, j int) bool { return t.Spans[i].Start.Before(t.Spans[j].Start) })
	return t
}

// KindName is the lowercase name of a span kind: server, client, producer,
// consumer, internal or unspecified.
func KindName(k tracepb.Span_SpanKind) string {
	switch k {
	case tracepb.Span_SPAN_KIND_SERVER:
		return "server"
	case tracepb.Span_SPAN_KIND_CLIENT:
		return "client"
	case tracepb.Span_SPAN_KIND_PRODUCER:
		return "producer"
	case tracepb.Span_SPAN_KIND_CONSUMER:
		return "consumer"
	case tracepb.Span_SPAN_KIND_INTERNAL:
		return "internal"
	}
	return "unspecified"
}

// KeyValues converts OTLP attributes, values in canonical text.
func KeyValues(kvs []*commonpb.KeyValue) []journeys.KeyValue {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]journeys.KeyValue, len(kvs))
	for i, kv := range kvs {
		out[i] = journeys.KeyValue{Key: kv.GetKey(), Value: ValueText(kv.GetValue())}
	}
	return out
}

// ValueText is the canonical text of an attribute value: strings as they
// are, numbers and booleans in strconv form, bytes in base64, arrays and
// maps as compact JSON of their elements' texts.
func ValueText(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return FormatDouble(x.DoubleValue)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		vals := x.ArrayValue.GetValues()
		texts := make([]string, len(vals))
		for i, e := range vals {
			texts[i] = ValueText(e)
		}
		b, _ := json.Marshal(texts)
		return string(b)
	case *commonpb.AnyValue_KvlistValue:
		kvs := x.KvlistValue.GetValues()
		var b strings.Builder
		b.WriteByte('{')
		for i, kv := range kvs {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(kv.GetKey())
			v, _ := json.Marshal(ValueText(kv.GetValue()))
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		return b.String()
	}
	return ""
}
