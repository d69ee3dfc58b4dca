package spanstore

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/journeys"
)

// storedValue is one attribute value read back from its typed JSON form.
type storedValue struct {
	// text is the canonical text: strings as they are, ints in decimal,
	// doubles strconv 'g' -1, booleans true/false; bytes in base64 and
	// arrays and maps in JSON.
	text string
	typ  journeys.ValueType
	// ok is false when the span lacks the attribute.
	ok bool
	// scalar is false for bytes, arrays and maps, which matchers cannot
	// compare with a literal.
	scalar bool
}

// parseStored decodes one stored attribute value (raw jsonb text, nil for
// SQL NULL).
func parseStored(raw []byte) storedValue {
	if len(raw) == 0 {
		return storedValue{}
	}
	switch c := raw[0]; {
	case c == '"':
		if bytes.IndexByte(raw, '\\') < 0 && len(raw) >= 2 {
			return storedValue{text: string(raw[1 : len(raw)-1]), typ: journeys.TypeString, ok: true, scalar: true}
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return storedValue{}
		}
		return storedValue{text: s, typ: journeys.TypeString, ok: true, scalar: true}
	case c == 't':
		return storedValue{text: "true", typ: journeys.TypeBool, ok: true, scalar: true}
	case c == 'f':
		return storedValue{text: "false", typ: journeys.TypeBool, ok: true, scalar: true}
	case c == 'n':
		return storedValue{}
	case c == '-' || (c >= '0' && c <= '9'):
		if !bytes.ContainsAny(raw, ".eE") {
			if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
				return storedValue{text: strconv.FormatInt(i, 10), typ: journeys.TypeInt, ok: true, scalar: true}
			}
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil && !isRangeErr(err) {
			return storedValue{}
		}
		return storedValue{text: strconv.FormatFloat(f, 'g', -1, 64), typ: journeys.TypeFloat, ok: true, scalar: true}
	case c == '[':
		return storedValue{text: string(raw), typ: journeys.TypeString, ok: true}
	case c == '{':
		var tagged struct {
			Double *string `json:"double"`
			Bytes  *string `json:"bytes"`
		}
		if err := json.Unmarshal(raw, &tagged); err != nil {
			return storedValue{}
		}
		switch {
		case tagged.Double != nil:
			return storedValue{text: *tagged.Double, typ: journeys.TypeFloat, ok: true, scalar: true}
		case tagged.Bytes != nil:
			return storedValue{text: *tagged.Bytes, typ: journeys.TypeString, ok: true}
		}
		return storedValue{text: string(raw), typ: journeys.TypeString, ok: true}
	}
	return storedValue{}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// keyValues decodes a stored attribute object into canonical text, sorted
// by key.
func keyValues(raw []byte) ([]journeys.KeyValue, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode attributes: %w", err)
	}
	out := make([]journeys.KeyValue, 0, len(m))
	for k, v := range m {
		out = append(out, journeys.KeyValue{Key: k, Value: parseStored(v).text})
	}
	slices.SortFunc(out, func(a, b journeys.KeyValue) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// otlpKeyValues decodes a stored attribute object back into OTLP, sorted by
// key.
func otlpKeyValues(raw []byte) ([]*commonpb.KeyValue, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode attributes: %w", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*commonpb.KeyValue, 0, len(m))
	for _, k := range keys {
		v, err := otlpValue(m[k])
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out = append(out, &commonpb.KeyValue{Key: k, Value: v})
	}
	return out, nil
}

// otlpValue is the inverse of appendAnyValue.
func otlpValue(raw json.RawMessage) (*commonpb.AnyValue, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return &commonpb.AnyValue{}, nil
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}, nil
	case c == 't' || c == 'f':
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: c == 't'}}, nil
	case c == 'n':
		return &commonpb.AnyValue{}, nil
	case c == '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, err
		}
		arr := &commonpb.ArrayValue{Values: make([]*commonpb.AnyValue, 0, len(elems))}
		for _, e := range elems {
			v, err := otlpValue(e)
			if err != nil {
				return nil, err
			}
			arr.Values = append(arr.Values, v)
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: arr}}, nil
	case c == '{':
		var tagged map[string]json.RawMessage
		if err := json.Unmarshal(raw, &tagged); err != nil {
			return nil, err
		}
		if d, ok := tagged["double"]; ok {
			var s string
			if err := json.Unmarshal(d, &s); err != nil {
				return nil, err
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, err
			}
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}, nil
		}
		if b, ok := tagged["bytes"]; ok {
			var s string
			if err := json.Unmarshal(b, &s); err != nil {
				return nil, err
			}
			data, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, err
			}
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: data}}, nil
		}
		kvs, err := otlpKeyValues(tagged["kvlist"])
		if err != nil {
			return nil, err
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: kvs}}}, nil
	}
	if !bytes.ContainsAny(raw, ".eE") {
		if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: i}}, nil
		}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil && !isRangeErr(err) {
		return nil, err
	}
	if math.IsInf(f, 0) && !isRangeErr(err) {
		return nil, fmt.Errorf("bad number %s", raw)
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}, nil
}

// otlpEvents decodes the events column written by rowFromSpan.
func otlpEvents(raw []byte) ([]*tracepb.Span_Event, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var evs []struct {
		TimeNS     uint64          `json:"time_ns"`
		Name       string          `json:"name"`
		Attributes json.RawMessage `json:"attributes"`
	}
	if err := json.Unmarshal(raw, &evs); err != nil {
		return nil, fmt.Errorf("decode events: %w", err)
	}
	out := make([]*tracepb.Span_Event, 0, len(evs))
	for _, e := range evs {
		kvs, err := otlpKeyValues(e.Attributes)
		if err != nil {
			return nil, fmt.Errorf("event %q: %w", e.Name, err)
		}
		out = append(out, &tracepb.Span_Event{TimeUnixNano: e.TimeNS, Name: e.Name, Attributes: kvs})
	}
	return out, nil
}

// otlpLinks decodes the links column written by rowFromSpan.
func otlpLinks(raw []byte) ([]*tracepb.Span_Link, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var links []struct {
		TraceID    string          `json:"trace_id"`
		SpanID     string          `json:"span_id"`
		TraceState string          `json:"trace_state"`
		Attributes json.RawMessage `json:"attributes"`
	}
	if err := json.Unmarshal(raw, &links); err != nil {
		return nil, fmt.Errorf("decode links: %w", err)
	}
	out := make([]*tracepb.Span_Link, 0, len(links))
	for _, l := range links {
		tid, err := hex.DecodeString(l.TraceID)
		if err != nil {
			return nil, fmt.Errorf("link trace id: %w", err)
		}
		sid, err := hex.DecodeString(l.SpanID)
		if err != nil {
			return nil, fmt.Errorf("link span id: %w", err)
		}
		kvs, err := otlpKeyValues(l.Attributes)
		if err != nil {
			return nil, fmt.Errorf("link: %w", err)
		}
		out = append(out, &tracepb.Span_Link{TraceId: tid, SpanId: sid, TraceState: l.TraceState, Attributes: kvs})
	}
	return out, nil
}
