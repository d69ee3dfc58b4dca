package otlpfile

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

func batch(service, name string, traceByte byte) *tracepb.TracesData {
	tid := bytes.Repeat([]byte{traceByte}, 16)
	return &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
			{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: service}}},
		}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: tid, SpanId: []byte{1, 2, 3, 4, 5, 6, 7, 8}, ParentSpanId: []byte{8, 7, 6, 5, 4, 3, 2, 1},
			Name: name, Kind: tracepb.Span_SPAN_KIND_SERVER, StartTimeUnixNano: 1_700_000_000_000_000_000, EndTimeUnixNano: 1_700_000_000_250_000_000,
			Attributes: []*commonpb.KeyValue{{Key: "n", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 7}}}},
		}}}},
	}}}
}

// otlpJSON is OTLP JSON as the collector writes it: ids in hex.
func otlpJSON(t *testing.T, td *tracepb.TracesData) []byte {
	t.Helper()
	c := proto.Clone(td).(*tracepb.TracesData)
	b, err := protojson.Marshal(c)
	require.NoError(t, err)
	// protojson writes bytes in base64; OTLP JSON wants hex.
	s := string(b)
	for _, rs := range td.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				for _, id := range [][]byte{sp.TraceId, sp.SpanId, sp.ParentSpanId} {
					s = strings.ReplaceAll(s, `"`+b64(id)+`"`, `"`+hexOf(id)+`"`)
				}
			}
		}
	}
	return []byte(s)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func framed(msgs ...[]byte) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(m)))
		b.Write(m)
	}
	return b.Bytes()
}

func zstdOf(t *testing.T, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

func gzipOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

func pb(t *testing.T, td *tracepb.TracesData) []byte {
	t.Helper()
	b, err := proto.Marshal(td)
	require.NoError(t, err)
	return b
}

func readAll(data []byte) ([]*tracepb.TracesData, error) {
	var out []*tracepb.TracesData
	err := Read(bytes.NewReader(data), func(td *tracepb.TracesData) error {
		out = append(out, td)
		return nil
	})
	return out, err
}

func TestReadEveryForm(t *testing.T) {
	t.Parallel()
	a, b := batch("web", "GET /", 0xab), batch("api", "POST /x", 0x01)
	ndjson := append(append(append(otlpJSON(t, a), '\n'), otlpJSON(t, b)...), '\n')
	protos := framed(pb(t, a), pb(t, b))
	tests := []struct {
		name string
		data []byte
		want []*tracepb.TracesData
	}{
		{"newline-delimited JSON", ndjson, []*tracepb.TracesData{a, b}},
		{"JSON without a final newline", bytes.TrimSuffix(ndjson, []byte("\n")), []*tracepb.TracesData{a, b}},
		{"one indented JSON body", []byte("\n  " + strings.ReplaceAll(string(otlpJSON(t, a)), ",", ",\n  ")), []*tracepb.TracesData{a}},
		{"length-prefixed protobuf", protos, []*tracepb.TracesData{a, b}},
		{"length-prefixed, each message zstd (proto)", framed(zstdOf(t, pb(t, a)), zstdOf(t, pb(t, b))), []*tracepb.TracesData{a, b}},
		{"length-prefixed, each message zstd (JSON)", framed(zstdOf(t, otlpJSON(t, a)), zstdOf(t, otlpJSON(t, b))), []*tracepb.TracesData{a, b}},
		{"zstd stream of JSON lines", zstdOf(t, ndjson), []*tracepb.TracesData{a, b}},
		{"zstd stream of length-prefixed protobuf", zstdOf(t, protos), []*tracepb.TracesData{a, b}},
		{"gzip of JSON lines", gzipOf(t, ndjson), []*tracepb.TracesData{a, b}},
		{"one protobuf body", pb(t, a), []*tracepb.TracesData{a}},
		{"gzip of one protobuf body", gzipOf(t, pb(t, b)), []*tracepb.TracesData{b}},
		{"empty file", nil, nil},
		{"only whitespace", []byte(" \n\n"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := readAll(tt.data)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for i := range got {
				require.True(t, proto.Equal(tt.want[i], got[i]), "message %d:\n%s", i, prototext.Format(got[i]))
			}
		})
	}
}

func TestReadRefusesMalformed(t *testing.T) {
	t.Parallel()
	a := batch("web", "GET /", 0xab)
	good := otlpJSON(t, a)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"bad second line", append(append(good, '\n'), []byte(`{"resourceSpans": 3}`)...),
			`record 2: malformed OTLP JSON: proto: syntax error (line 1:19): unexpected token 3`},
		{"not JSON", []byte("{nope"), `record 1: malformed JSON: invalid character 'n' looking for beginning of object key string`},
		{"bad hex id", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz0000000000000000000000000000zz","spanId":"0102030405060708"}]}]}]}`),
			`record 1: resourceSpans[0].scopeSpans[0].spans[0]: traceId "zz0000000000000000000000000000zz" is not 32 hex digits`},
		{"truncated frame", framed(pb(t, a))[:20], "message 1 at byte 0: truncated: 16 of 105 bytes"},
		{"truncated prefix", append(framed(pb(t, a)), 0, 0), "message 2 at byte 109: truncated length prefix"},
		{"huge prefix", []byte{0x7f, 0xff, 0xff, 0xff, 1}, "message 1 at byte 0: length prefix 2147483647 is over 256 MiB: not a file of length-prefixed OTLP messages"},
		{"garbage frame", framed([]byte{0xff, 0xff}), "message 1 at byte 0: malformed OTLP protobuf: proto: cannot parse invalid wire-format data"},
		{"broken zstd frame", framed(append([]byte{0x28, 0xb5, 0x2f, 0xfd}, 1, 2, 3)), "message 1 at byte 0: malformed zstd: unknown dictionary"},
		{"broken gzip", []byte{0x1f, 0x8b, 8, 0, 0}, "malformed gzip: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := readAll(tt.data)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestReadStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	stop := errors.New("stop")
	a := batch("web", "GET /", 0xab)
	n := 0
	err := Read(bytes.NewReader(framed(pb(t, a), pb(t, a))), func(*tracepb.TracesData) error {
		n++
		return stop
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 1, n)
}

// FuzzRead feeds the reader arbitrary files: it returns an error or
// messages, never panics, and every message it returns encodes again.
func FuzzRead(f *testing.F) {
	a, b := batch("web", "GET /", 0xab), batch("api", "POST /x", 0x01)
	pa, _ := proto.Marshal(a)
	pbb, _ := proto.Marshal(b)
	f.Add(pa)
	f.Add(framed(pa, pbb))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abababababababababababababababab","spanId":"0102030405060708","name":"x"}]}]}]}` + "\n{}"))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Read(bytes.NewReader(data), func(td *tracepb.TracesData) error {
			if _, err := proto.Marshal(td); err != nil {
				t.Fatalf("a message read does not encode: %v", err)
			}
			return nil
		})
	})
}
