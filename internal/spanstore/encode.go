package spanstore

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

const nsPerDay = int64(24 * 60 * 60 * 1e9)

// maxNameBytes bounds service and span names: both are keys of a btree index,
// whose entries Postgres caps at about 2.7 kB, and one oversized name must
// not fail the batch it shares with other clients.
const maxNameBytes = 1024

// spanRow is one span flattened into the columns of the spans table.
type spanRow struct {
	startNS, durationNS       int64
	kind, status              int16
	traceID, spanID, parentID []byte
	service, name, statusMsg  string
	attrs, resource           []byte // JSON objects
	scopeName, scopeVersion   string
	events, links             []byte // JSON arrays, nil when there are none
	traceState                string
}

func (r *spanRow) day() int64 { return r.startNS / nsPerDay }

// rowsFromResourceSpans validates and flattens OTLP spans. It fails on the
// first span that can never be stored, wrapping ErrInvalid and naming it.
func rowsFromResourceSpans(rss []*tracepb.ResourceSpans) ([]spanRow, error) {
	n := 0
	for _, rs := range rss {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	rows := make([]spanRow, 0, n)
	for ri, rs := range rss {
		resAttrs := rs.GetResource().GetAttributes()
		service := ""
		for _, kv := range resAttrs {
			if kv.GetKey() == "service.name" {
				service = clean(kv.GetValue().GetStringValue())
			}
		}
		if len(service) > maxNameBytes {
			return nil, fmt.Errorf("%w: resourceSpans[%d]: service.name is longer than %d bytes", ErrInvalid, ri, maxNameBytes)
		}
		resource := appendAttrs(nil, resAttrs)
		for si, ss := range rs.GetScopeSpans() {
			scopeName := clean(ss.GetScope().GetName())
			scopeVersion := clean(ss.GetScope().GetVersion())
			for i, sp := range ss.GetSpans() {
				row, err := rowFromSpan(sp)
				if err != nil {
					return nil, fmt.Errorf("%w: resourceSpans[%d].scopeSpans[%d].spans[%d] %q: %s",
						ErrInvalid, ri, si, i, truncate(sp.GetName(), 80), err.Error())
				}
				row.service = service
				row.resource = resource
				row.scopeName = scopeName
				row.scopeVersion = scopeVersion
				rows = append(rows, row)
			}
		}
	}
	return rows, nil
}

func rowFromSpan(sp *tracepb.Span) (spanRow, error) {
	var r spanRow
	if err := checkID("trace id", sp.GetTraceId(), 16); err != nil {
		return r, err
	}
	if err := checkID("span id", sp.GetSpanId(), 8); err != nil {
		return r, err
	}
	if p := sp.GetParentSpanId(); len(p) != 0 {
		if err := checkID("parent span id", p, 8); err != nil {
			return r, err
		}
		r.parentID = p
	}
	start, end := sp.GetStartTimeUnixNano(), sp.GetEndTimeUnixNano()
	switch {
	case start == 0:
		return r, fmt.Errorf("missing start time")
	case start > math.MaxInt64 || end > math.MaxInt64:
		return r, fmt.Errorf("time after the year 2262")
	case end < start:
		return r, fmt.Errorf("end time %d is before start time %d", end, start)
	}
	kind := sp.GetKind()
	if kind < tracepb.Span_SPAN_KIND_UNSPECIFIED || kind > tracepb.Span_SPAN_KIND_CONSUMER {
		return r, fmt.Errorf("unknown span kind %d", kind)
	}
	code := sp.GetStatus().GetCode()
	if code < tracepb.Status_STATUS_CODE_UNSET || code > tracepb.Status_STATUS_CODE_ERROR {
		return r, fmt.Errorf("unknown status code %d", code)
	}
	// The tracestate is kept for its sampling threshold; one longer than
	// the W3C limit (512 characters) is no tracestate, and is dropped.
	if ts := sp.GetTraceState(); len(ts) <= 512 {
		r.traceState = clean(ts)
	}
	r.name = clean(sp.GetName())
	if len(r.name) > maxNameBytes {
		return r, fmt.Errorf("name is longer than %d bytes", maxNameBytes)
	}
	r.traceID = sp.GetTraceId()
	r.spanID = sp.GetSpanId()
	r.startNS = int64(start)
	r.durationNS = int64(end - start)
	r.kind = int16(kind)
	r.status = int16(code)
	r.statusMsg = clean(sp.GetStatus().GetMessage())
	r.attrs = appendAttrs(nil, sp.GetAttributes())
	if evs := sp.GetEvents(); len(evs) > 0 {
		b := []byte{'['}
		for i, ev := range evs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"time_ns":`...)
			b = strconv.AppendUint(b, min(ev.GetTimeUnixNano(), math.MaxInt64), 10)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, ev.GetName())
			b = append(b, `,"attributes":`...)
			b = appendAttrs(b, ev.GetAttributes())
			b = append(b, '}')
		}
		r.events = append(b, ']')
	}
	if links := sp.GetLinks(); len(links) > 0 {
		b := []byte{'['}
		for i, l := range links {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"trace_id":`...)
			b = appendJSONString(b, hex.EncodeToString(l.GetTraceId()))
			b = append(b, `,"span_id":`...)
			b = appendJSONString(b, hex.EncodeToString(l.GetSpanId()))
			b = append(b, `,"trace_state":`...)
			b = appendJSONString(b, l.GetTraceState())
			b = append(b, `,"attributes":`...)
			b = appendAttrs(b, l.GetAttributes())
			b = append(b, '}')
		}
		r.links = append(b, ']')
	}
	return r, nil
}

func checkID(what string, id []byte, size int) error {
	if len(id) != size {
		return fmt.Errorf("%s must be %d bytes, got %d", what, size, len(id))
	}
	for _, c := range id {
		if c != 0 {
			return nil
		}
	}
	return fmt.Errorf("%s is all zeros", what)
}

// appendAttrs appends attributes as a JSON object. A key given twice keeps
// its last value, as jsonb would.
func appendAttrs(b []byte, kvs []*commonpb.KeyValue) []byte {
	b = append(b, '{')
	for i, kv := range kvs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, kv.GetKey())
		b = append(b, ':')
		b = appendAnyValue(b, kv.GetValue())
	}
	return append(b, '}')
}

// appendAnyValue appends v in the typed JSON form described in the schema:
// doubles always carry a fraction so that they read back as doubles, and
// values JSON cannot hold are tagged objects.
func appendAnyValue(b []byte, v *commonpb.AnyValue) []byte {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return appendJSONString(b, x.StringValue)
	case *commonpb.AnyValue_BoolValue:
		return strconv.AppendBool(b, x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.AppendInt(b, x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return appendDouble(b, x.DoubleValue)
	case *commonpb.AnyValue_BytesValue:
		b = append(b, `{"bytes":"`...)
		b = base64.StdEncoding.AppendEncode(b, x.BytesValue)
		return append(b, `"}`...)
	case *commonpb.AnyValue_ArrayValue:
		b = append(b, '[')
		for i, e := range x.ArrayValue.GetValues() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAnyValue(b, e)
		}
		return append(b, ']')
	case *commonpb.AnyValue_KvlistValue:
		b = append(b, `{"kvlist":`...)
		b = appendAttrs(b, x.KvlistValue.GetValues())
		return append(b, '}')
	default:
		// Unset, or a dictionary reference only profiles use: no value.
		return append(b, "null"...)
	}
}

func appendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `{"double":"NaN"}`...)
	case math.IsInf(f, 1):
		return append(b, `{"double":"+Inf"}`...)
	case math.IsInf(f, -1):
		return append(b, `{"double":"-Inf"}`...)
	}
	// 'f' and not 'g': Postgres numeric drops exponents (1e21 reads back as
	// an integer), but keeps the scale of a plain decimal fraction.
	n := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	if !strings.ContainsRune(string(b[n:]), '.') {
		b = append(b, ".0"...)
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string that Postgres accepts: jsonb
// refuses \u0000, so NUL becomes U+FFFD, as do invalid UTF-8 bytes.
func appendJSONString(b []byte, s string) []byte {
	s = clean(s)
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// clean makes s storable in a Postgres text column: valid UTF-8 without NUL.
func clean(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
