package spanstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// FuzzDecodeRequest feeds arbitrary bodies through everything the receiver
// does before queueing: decoding must never panic, and every failure must be
// a 4xx naming the problem.
func FuzzDecodeRequest(f *testing.F) {
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{checkoutTrace(f)}}
	pb, err := proto.Marshal(req)
	require.NoError(f, err)
	js, err := protojson.Marshal(req)
	require.NoError(f, err)
	for _, seed := range []struct {
		mode byte
		body []byte
	}{
		{0, pb}, {1, js}, {2, gzipped(f, pb)}, {3, gzipped(f, js)},
		{0, nil}, {1, []byte(`{}`)}, {1, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c"}]}]}]}`)},
		{1, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","startTimeUnixNano":"5","endTimeUnixNano":"4"}]}]}]}`)},
		{0, []byte{0x0a, 0x80}}, {2, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}},
	} {
		f.Add(seed.mode, seed.body)
	}
	f.Fuzz(func(t *testing.T, mode byte, body []byte) {
		ctype := contentTypeProto
		if mode&1 != 0 {
			ctype = contentTypeJSON
		}
		cenc := ""
		if mode&2 != 0 {
			cenc = "gzip"
		}
		msg, _, err := decodeRequest(ctype, cenc, bytes.NewReader(body), 1<<20)
		if err != nil {
			var re *requestError
			require.True(t, errors.As(err, &re), "error %v is not a requestError", err)
			require.GreaterOrEqual(t, re.status, 400)
			require.Less(t, re.status, 500)
			require.NotEmpty(t, re.msg)
			return
		}
		rows, err := rowsFromResourceSpans(msg.GetResourceSpans())
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		for _, r := range rows {
			require.Len(t, r.traceID, 16)
			require.Len(t, r.spanID, 8)
			require.GreaterOrEqual(t, r.durationNS, int64(0))
			for _, doc := range [][]byte{r.attrs, r.resource, r.events, r.links} {
				if doc != nil {
					require.True(t, json.Valid(doc), "invalid JSON %q", doc)
					require.NotContains(t, string(doc), `\u0000`)
				}
			}
		}
	})
}

func TestParseContentType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want encoding
		err  string
	}{
		{"application/x-protobuf", encProto, ""},
		{"application/json", encJSON, ""},
		{"Application/JSON; charset=utf-8", encJSON, ""},
		{"application/protobuf", encProto, `unsupported Content-Type "application/protobuf"`},
		{"", encProto, `unsupported Content-Type ""`},
		{"application/json; charset", encProto, `malformed Content-Type "application/json; charset"`},
	} {
		got, err := parseContentType(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{"q\"b\\n\nr\rt\t", `"q\"b\\n\nr\rt\t"`},
		{"\x01\x1f", `"\u0001\u001f"`},
		{"nul\x00", "\"nul\uFFFD\""},
		{"bad\xffutf8", "\"bad\uFFFDutf8\""},
		{"größe ✓ </script>", `"größe ✓ </script>"`},
	} {
		got := string(appendJSONString(nil, tc.in))
		require.Equal(t, tc.want, got, tc.in)
		require.True(t, json.Valid([]byte(got)))
	}
}

func TestAppendDouble(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{1, "1.0"}, {-2.5, "-2.5"}, {1e21, "1000000000000000000000.0"}, {1e-7, "0.0000001"}, {0.1, "0.1"},
	} {
		require.Equal(t, tc.want, string(appendDouble(nil, tc.in)))
	}
}
