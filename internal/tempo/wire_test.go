package tempo

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

func TestAnyValueText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json       string
		typ, text  string
		otlp       *commonpb.AnyValue
		skipProto  bool
		wantErrStr string
	}{
		{json: `{"stringValue":"free"}`, typ: TypeString, text: "free", otlp: str("free")},
		{json: `{"stringValue":"a \"q\" \\ \u00e9\n"}`, typ: TypeString, text: "a \"q\" \\ é\n", otlp: str("a \"q\" \\ é\n")},
		{json: `{ "stringValue" : "spaced" }`, typ: TypeString, text: "spaced", otlp: str("spaced")},
		{json: `{"stringValue":""}`, typ: TypeString, text: "", otlp: str("")},
		{json: `{"intValue":"500"}`, typ: TypeInt, text: "500", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 500}}},
		{json: `{"intValue":"-9223372036854775808"}`, typ: TypeInt, text: "-9223372036854775808", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: math.MinInt64}}},
		{json: `{"intValue":42}`, typ: TypeInt, text: "42", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 42}}},
		{json: `{"doubleValue":0.5}`, typ: TypeDouble, text: "0.5", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 0.5}}},
		{json: `{"doubleValue":129.99}`, typ: TypeDouble, text: "129.99", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 129.99}}},
		{json: `{"doubleValue":2}`, typ: TypeDouble, text: "2", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 2}}},
		{json: `{"doubleValue":"NaN"}`, typ: TypeDouble, text: "NaN", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: math.NaN()}}},
		{json: `{"doubleValue":"-Infinity"}`, typ: TypeDouble, text: "-Inf", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: math.Inf(-1)}}},
		{json: `{"boolValue":true}`, typ: TypeBool, text: "true", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}},
		{json: `{"bytesValue":"AAEC"}`, typ: TypeBytes, text: "AAEC", otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte{0, 1, 2}}}},
		{
			json: `{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"}]}}`, typ: TypeArray, text: `["a","2"]`,
			otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{str("a"), {Value: &commonpb.AnyValue_IntValue{IntValue: 2}}}}}},
		},
		{
			json: `{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":false}}]}}`, typ: TypeKVList, text: `{"k":"false"}`,
			otlp: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{{Key: "k", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{}}}}}}},
		},
		{json: `{}`, typ: TypeEmpty, text: "", otlp: &commonpb.AnyValue{}},
		{json: `{"intValue":"12x"}`, wantErrStr: "invalid integer"},
		{json: `{"stringValue":5}`, wantErrStr: "cannot unmarshal"},
	}
	for _, tt := range tests {
		var v wireAnyValue
		err := json.Unmarshal([]byte(tt.json), &v)
		if tt.wantErrStr != "" {
			require.ErrorContains(t, err, tt.wantErrStr, tt.json)
			continue
		}
		require.NoError(t, err, tt.json)
		require.Equal(t, wireAnyValue{Type: tt.typ, Text: tt.text}, v, tt.json)
		// Search and trace-by-id give the same text for the same value.
		require.Equal(t, tt.text, ValueText(tt.otlp), tt.json)
	}
}

func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

func TestFlexNumbers(t *testing.T) {
	t.Parallel()
	var m wireQueryMetrics
	require.NoError(t, json.Unmarshal([]byte(`{"inspectedBytes":"3835572","totalBlocks":1,"completedJobs":4e0,"totalJobs":null,"inspectedSpans":"-2"}`), &m))
	require.Equal(t, QueryMetrics{InspectedBytes: 3835572, TotalBlocks: 1, CompletedJobs: 4, InspectedSpans: -2}, m.public())
	for _, bad := range []string{`{"totalBlocks":"x"}`, `{"totalBlocks":1.5}`, `{"totalBlocks":"1`, `{"totalBlocks":true}`} {
		require.Error(t, json.Unmarshal([]byte(bad), &m), bad)
	}
}

func TestDecodeSearchOldServer(t *testing.T) {
	t.Parallel()
	// Servers before spanSets only send the single spanSet.
	body := `{"traces":[{"traceID":"abc","rootServiceName":"s","startTimeUnixNano":"1000000000","durationMs":3,
		"spanSet":{"spans":[{"spanID":"1","startTimeUnixNano":"1000000001","durationNanos":"5","attributes":[{"key":"k","value":{"stringValue":"v"}}]}],"matched":1}}],
		"metrics":{"inspectedTraces":7,"inspectedBytes":"10"}}`
	res, err := DecodeSearch([]byte(body))
	require.NoError(t, err)
	require.Equal(t, SearchResponse{
		Traces: []TraceSummary{{
			TraceID: "abc", RootServiceName: "s", Start: time.Unix(1, 0), Duration: 3 * time.Millisecond,
			SpanSets: []SpanSet{{Matched: 1, Spans: []SearchSpan{{SpanID: "1", Start: time.Unix(1, 1), Duration: 5, Attributes: []Attribute{{Key: "k", Type: TypeString, Value: "v"}}}}}},
		}},
		Metrics: QueryMetrics{InspectedTraces: 7, InspectedBytes: 10},
	}, res)

	for _, bad := range []string{`{"traces":[{"spanSet":{"spans":5}}]}`, `{"traces":{}}`, `not json`} {
		_, err := DecodeSearch([]byte(bad))
		require.ErrorContains(t, err, "decode search response", bad)
	}
}

func TestDecodeTraceRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`nope`, `{"batches":[{"resource":5}]}`, `{"trace":{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}}`} {
		_, err := DecodeTraceJSON([]byte(body))
		require.ErrorContains(t, err, "decode trace", body)
	}
	for _, v2 := range []bool{false, true} {
		_, err := DecodeTraceProto([]byte{0x0a, 0xff}, v2)
		require.ErrorContains(t, err, "decode trace")
	}
	// Unknown fields of TraceByIDResponse (status, message) are skipped.
	td, err := DecodeTraceProto([]byte{0x18, 0x01, 0x22, 0x02, 'h', 'i'}, true)
	require.NoError(t, err)
	require.Empty(t, td.GetResourceSpans())
}

func TestConvertTraceEdgeCases(t *testing.T) {
	t.Parallel()
	td := &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			{TraceId: []byte{0, 1}, SpanId: []byte{0xab}, Name: "late", StartTimeUnixNano: 20, EndTimeUnixNano: 10, Kind: tracepb.Span_SpanKind(99)},
			{SpanId: []byte{0xcd}, Name: "early", StartTimeUnixNano: 5, EndTimeUnixNano: 9, Kind: tracepb.Span_SPAN_KIND_PRODUCER,
				Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK}},
		}}},
	}}}
	tr := ConvertTrace(td)
	require.Equal(t, "0001", tr.TraceID)
	require.Len(t, tr.Spans, 2)
	require.Equal(t, []string{"early", "producer", "cd", ""}, []string{tr.Spans[0].Name, tr.Spans[0].Kind, tr.Spans[0].SpanID, tr.Spans[0].Service})
	require.Equal(t, time.Duration(4), tr.Spans[0].Duration)
	require.False(t, tr.Spans[0].Error)
	// An end before the start is a zero duration, an unknown kind unspecified.
	require.Equal(t, []string{"late", "unspecified"}, []string{tr.Spans[1].Name, tr.Spans[1].Kind})
	require.Equal(t, time.Duration(0), tr.Spans[1].Duration)
}

// FuzzDecode feeds the same bytes to every answer decoder: none may panic,
// and what decodes keeps its invariants.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{
		"search_payment_spss2_limit5.json", "search_no_query_limit5.json", "trace_by_id_v2.json", "trace_by_id_v1.json",
		"trace_by_id_v1.pb", "trace_by_id_v2.pb", "metrics_query_instant_count_by_tier.json", "error_trace_v2_unknown_id.txt",
	} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"traces":[{"spanSets":[{"spans":[{"attributes":[{"value":{"intValue":"1e3"}}]}],"matched":"9"}]}]}`))
	f.Add([]byte(`{"series":[{"samples":[{"timestampMs":"-1","value":"NaN"}],"exemplars":[{"labels":[{"key":"trace:id","value":{"stringValue":"0"}}]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if res, err := DecodeSearch(b); err == nil {
			for _, tr := range res.Traces {
				for _, ss := range tr.SpanSets {
					for _, sp := range ss.Spans {
						for _, a := range sp.Attributes {
							switch a.Type {
							case TypeString, TypeInt, TypeDouble, TypeBool, TypeBytes, TypeArray, TypeKVList, TypeEmpty:
							default:
								t.Fatalf("unknown attribute type %q", a.Type)
							}
						}
					}
				}
			}
		}
		if res, err := DecodeMetrics(b); err == nil {
			for _, s := range res.Series {
				for _, ex := range s.Exemplars {
					if ex.TraceID != "" && len(ex.TraceID) != 32 {
						t.Fatalf("exemplar trace id %q not normalised", ex.TraceID)
					}
				}
			}
		}
		if td, err := DecodeTraceJSON(b); err == nil {
			_ = ConvertTrace(td)
		}
		for _, v2 := range []bool{false, true} {
			if td, err := DecodeTraceProto(b, v2); err == nil {
				_ = ConvertTrace(td)
			}
		}
		_ = retryAfter(string(b))
	})
}
