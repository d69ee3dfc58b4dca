package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/spanstore"
)

// checkJourneys are the journeys the check fixtures are for: one
// correlated by trace over three services, one by session over two.
const checkJourneys = `apiVersion: waymark/v1
kind: Journey
metadata: {slug: login, name: Login}
spec:
  correlation: {by: trace}
  segments: [span.user.tier]
  steps:
    - name: Login request
      match: {service: web, span: POST /login, kind: server}
    - name: Check password
      match: {service: auth_svc, span: POST /verify, kind: server}
    - name: Load profile
      match: {service: profile_svc, span: GET /profile, kind: server}
---
apiVersion: waymark/v1
kind: Journey
metadata: {slug: checkout, name: Checkout}
spec:
  correlation: {by: span.session.id, window: 30m}
  segments: [span.region]
  steps:
    - name: Add to cart
      match: {service: cart_svc, span: POST /cart, kind: server}
    - name: Pay
      match: {service: payment_svc, span: POST /pay, kind: server}
`

// Trace ids of the fixtures.
const (
	traceLogin   = "10000000000000000000000000000001"
	traceAuth    = "10000000000000000000000000000002" // auth_svc starting a trace of its own
	traceNoRoot  = "10000000000000000000000000000003"
	traceCart    = "20000000000000000000000000000001"
	tracePayment = "20000000000000000000000000000002"
)

// fspan is one span of a fixture.
type fspan struct {
	trace, id, parent string
	service, name     string
	kind              tracepb.Span_SpanKind
	attrs             map[string]string
}

// cleanSpans is a test run in which every check passes. A span's id is
// its trace's first digit, then its own.
func cleanSpans() []fspan {
	srv, cli := tracepb.Span_SPAN_KIND_SERVER, tracepb.Span_SPAN_KIND_CLIENT
	return []fspan{
		{traceLogin, "1000000000000001", "", "web", "POST /login", srv, map[string]string{"user.tier": "gold"}},
		{traceLogin, "1000000000000002", "1000000000000001", "web", "POST auth_svc", cli, nil},
		{traceLogin, "1000000000000003", "1000000000000002", "auth_svc", "POST /verify", srv, nil},
		{traceLogin, "1000000000000004", "1000000000000003", "profile_svc", "GET /profile", srv, nil},
		{traceCart, "2000000000000001", "", "cart_svc", "POST /cart", srv, map[string]string{"session.id": "s1", "region": "eu"}},
		{tracePayment, "2000000000000002", "", "payment_svc", "POST /pay", srv, map[string]string{"session.id": "s1", "region": "eu"}},
	}
}

// edit returns the clean spans with fn applied to each; fn returns false
// to drop a span.
func edit(fn func(s *fspan) bool) []fspan {
	var out []fspan
	for _, s := range cleanSpans() {
		if fn(&s) {
			out = append(out, s)
		}
	}
	return out
}

func tracesData(t *testing.T, spans []fspan) *tracepb.TracesData {
	t.Helper()
	td := &tracepb.TracesData{}
	for i, s := range spans {
		tid, err := hex.DecodeString(s.trace)
		require.NoError(t, err)
		sid, err := hex.DecodeString(s.id)
		require.NoError(t, err)
		pid, err := hex.DecodeString(s.parent)
		require.NoError(t, err)
		sp := &tracepb.Span{TraceId: tid, SpanId: sid, ParentSpanId: pid, Name: s.name, Kind: s.kind,
			StartTimeUnixNano: uint64(1_700_000_000_000_000_000 + i*1_000_000), EndTimeUnixNano: uint64(1_700_000_000_000_000_000 + i*1_000_000 + 500_000)}
		for k, v := range s.attrs {
			sp.Attributes = append(sp.Attributes, &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}})
		}
		td.ResourceSpans = append(td.ResourceSpans, &tracepb.ResourceSpans{
			Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
				{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s.service}}},
			}},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{sp}}},
		})
	}
	return td
}

// A fileForm writes batches of spans as one kind of file.
type fileForm struct {
	name  string
	write func(t *testing.T, batches []*tracepb.TracesData) []byte
}

// otlpJSONLine is OTLP JSON as the collector writes it, ids in hex.
func otlpJSONLine(t *testing.T, td *tracepb.TracesData) []byte {
	t.Helper()
	b, err := protojson.Marshal(td)
	require.NoError(t, err)
	s := string(b)
	for _, rs := range td.ResourceSpans {
		for _, sp := range rs.ScopeSpans[0].Spans {
			for _, id := range [][]byte{sp.TraceId, sp.SpanId, sp.ParentSpanId} {
				if len(id) > 0 {
					s = strings.ReplaceAll(s, `"`+b64(id)+`"`, `"`+hex.EncodeToString(id)+`"`)
				}
			}
		}
	}
	return []byte(s)
}

func b64(b []byte) string {
	out, _ := protojson.Marshal(&commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: b}})
	s := string(out)
	s = s[strings.Index(s, `:"`)+2:]
	return s[:strings.Index(s, `"`)]
}

func lengthPrefixed(msgs [][]byte) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(m)))
		b.Write(m)
	}
	return b.Bytes()
}

func zstdBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

func jsonLines(t *testing.T, batches []*tracepb.TracesData) []byte {
	var b []byte
	for _, td := range batches {
		b = append(append(b, otlpJSONLine(t, td)...), '\n')
	}
	return b
}

func protoMsgs(t *testing.T, batches []*tracepb.TracesData) [][]byte {
	var out [][]byte
	for _, td := range batches {
		b, err := proto.Marshal(td)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

// fileForms are the files the collector's file exporter writes (format
// json or proto, compression none or zstd, with and without the native
// compression feature gate), and saved request bodies.
var fileForms = []fileForm{
	{"json", jsonLines},
	{"proto", func(t *testing.T, b []*tracepb.TracesData) []byte { return lengthPrefixed(protoMsgs(t, b)) }},
	{"json-zstd", func(t *testing.T, b []*tracepb.TracesData) []byte {
		var msgs [][]byte
		for _, td := range b {
			msgs = append(msgs, zstdBytes(t, otlpJSONLine(t, td)))
		}
		return lengthPrefixed(msgs)
	}},
	{"proto-zstd", func(t *testing.T, b []*tracepb.TracesData) []byte {
		var msgs [][]byte
		for _, m := range protoMsgs(t, b) {
			msgs = append(msgs, zstdBytes(t, m))
		}
		return lengthPrefixed(msgs)
	}},
	{"json-native-zstd", func(t *testing.T, b []*tracepb.TracesData) []byte { return zstdBytes(t, jsonLines(t, b)) }},
	{"json-gzip", func(t *testing.T, b []*tracepb.TracesData) []byte {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		_, _ = zw.Write(jsonLines(t, b))
		require.NoError(t, zw.Close())
		return out.Bytes()
	}},
	{"proto-body", func(t *testing.T, b []*tracepb.TracesData) []byte {
		all := &tracepb.TracesData{}
		for _, td := range b {
			all.ResourceSpans = append(all.ResourceSpans, td.ResourceSpans...)
		}
		m, err := proto.Marshal(all)
		require.NoError(t, err)
		return m
	}},
}

// writeFixture writes spans as form, two spans a batch, and the journeys,
// and returns the journeys directory and the span file.
func writeFixture(t *testing.T, form fileForm, spans []fspan) (dir, file string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "journeys")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "journeys.yaml"), []byte(checkJourneys), 0o644))
	var batches []*tracepb.TracesData
	for i := 0; i < len(spans); i += 2 {
		batches = append(batches, tracesData(t, spans[i:min(i+2, len(spans))]))
	}
	file = filepath.Join(root, "spans."+form.name)
	require.NoError(t, os.WriteFile(file, form.write(t, batches), 0o644))
	return dir, file
}

func TestCheckPassesACleanRun(t *testing.T) {
	t.Parallel()
	for _, form := range fileForms {
		t.Run(form.name, func(t *testing.T) {
			t.Parallel()
			dir, file := writeFixture(t, form, cleanSpans())
			r := waymark(t, "check", "--journeys", dir, file)
			require.Equal(t, "", r.stderr)
			require.Equal(t, 0, r.code)
			require.Equal(t, "2 journeys: 8 passed, 0 failed, 2 skipped; 6 spans in 3 traces from 1 file\n", r.stdout)
		})
	}
}

func TestCheckReportsEachBreakage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spans []fspan
		form  string
		want  []string // failure lines
	}{
		{
			name:  "a step without spans",
			form:  "proto",
			spans: edit(func(s *fspan) bool { return s.service != "profile_svc" }),
			want:  []string{`FAIL [steps] login step 3 "Load profile" service profile_svc trace none: no span matches (service profile_svc, span "GET /profile", kind server)`},
		},
		{
			name: "a service that starts a trace of its own",
			form: "json-zstd",
			spans: edit(func(s *fspan) bool {
				switch s.service {
				case "auth_svc":
					s.trace, s.parent = traceAuth, ""
				case "profile_svc":
					s.trace = traceAuth
				}
				return true
			}),
			want: []string{`FAIL [propagation] login step 2 "Check password" service auth_svc trace ` + traceAuth +
				`: trace context lost between web (step 1) and auth_svc: 1 trace reaches this step without step 1 "Login request"`},
		},
		{
			name: "a span that was never exported, and a trace recorded without its root",
			form: "json-native-zstd",
			spans: append(edit(func(s *fspan) bool { return s.name != "POST auth_svc" }),
				// Its root is missing too: not complete, so not judged.
				fspan{traceNoRoot, "1000000000000009", "10000000000000ff", "web", "POST /login", tracepb.Span_SPAN_KIND_SERVER, map[string]string{"user.tier": "free"}}),
			want: []string{`FAIL [orphans] login step 1 "Login request" service auth_svc trace ` + traceLogin +
				`: 1 span "POST /verify" of auth_svc with a parent span missing from the trace (root "POST /login" of web): the parent's service did not export its span`},
		},
		{
			name: "a session journey span without the session id",
			form: "json-gzip",
			spans: edit(func(s *fspan) bool {
				if s.service == "payment_svc" {
					s.attrs = map[string]string{"region": "eu"}
				}
				return true
			}),
			want: []string{`FAIL [correlation] checkout step 2 "Pay" service payment_svc trace ` + tracePayment +
				`: spans without the correlation attribute span.session.id: 1 of 1`},
		},
		{
			name: "spans without segment attributes",
			form: "proto-body",
			spans: edit(func(s *fspan) bool {
				switch s.service {
				case "web":
					s.attrs = nil // the step-1 span of a trace journey
				case "payment_svc":
					s.attrs = map[string]string{"session.id": "s1"} // a later step of a session journey
				}
				return true
			}),
			want: []string{
				`FAIL [segments] checkout step 2 "Pay" service payment_svc trace ` + tracePayment + `: spans without segment span.region: 1 of 1`,
				`FAIL [segments] login step 1 "Login request" service web trace ` + traceLogin + `: spans without segment span.user.tier: 1 of 1`,
			},
		},
	}
	forms := map[string]fileForm{}
	for _, f := range fileForms {
		forms[f.name] = f
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, file := writeFixture(t, forms[tt.form], tt.spans)
			r := waymark(t, "check", "--journeys", dir, file)
			require.Equal(t, 1, r.code, r.stderr)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			require.Equal(t, tt.want, lines[:len(lines)-1])
			n := map[int]string{1: "1 of 8 checks", 2: "2 of 8 checks"}[len(tt.want)]
			require.Equal(t, "waymark: check failed: "+n+"\n", r.stderr)
		})
	}
}

func TestCheckOutputs(t *testing.T) {
	t.Parallel()
	spans := edit(func(s *fspan) bool {
		if s.service == "payment_svc" {
			s.attrs = map[string]string{"region": "eu"}
		}
		return s.service != "profile_svc"
	})
	dir, file := writeFixture(t, fileForms[0], spans)
	report := filepath.Join(t.TempDir(), "report.xml")
	r := waymark(t, "check", "--journeys", dir, "--format", "github", "--junit", report, file)
	require.Equal(t, 1, r.code)
	require.Equal(t, `::error title=waymark check%3A checkout correlation%2C step 2::FAIL [correlation] checkout step 2 "Pay" service payment_svc trace `+tracePayment+`: spans without the correlation attribute span.session.id: 1 of 1
::error title=waymark check%3A login steps%2C step 3::FAIL [steps] login step 3 "Load profile" service profile_svc trace none: no span matches (service profile_svc, span "GET /profile", kind server)
2 journeys: 6 passed, 2 failed, 2 skipped; 5 spans in 3 traces from 1 file
`, r.stdout)
	xml, err := os.ReadFile(report)
	require.NoError(t, err)
	require.Equal(t, `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="waymark check" tests="10" failures="2" skipped="2">
  <testsuite name="checkout" tests="5" failures="1" skipped="1">
    <testcase name="steps" classname="waymark.check.checkout"></testcase>
    <testcase name="propagation" classname="waymark.check.checkout">
      <skipped message="correlated by span.session.id, not by trace"></skipped>
    </testcase>
    <testcase name="orphans" classname="waymark.check.checkout"></testcase>
    <testcase name="correlation" classname="waymark.check.checkout">
      <failure message="spans without the correlation attribute span.session.id: 1 of 1" type="correlation">FAIL [correlation] checkout step 2 &#34;Pay&#34; service payment_svc trace `+tracePayment+`: spans without the correlation attribute span.session.id: 1 of 1&#xA;</failure>
    </testcase>
    <testcase name="segments" classname="waymark.check.checkout"></testcase>
  </testsuite>
  <testsuite name="login" tests="5" failures="1" skipped="1">
    <testcase name="steps" classname="waymark.check.login">
      <failure message="no span matches (service profile_svc, span &#34;GET /profile&#34;, kind server)" type="steps">FAIL [steps] login step 3 &#34;Load profile&#34; service profile_svc trace none: no span matches (service profile_svc, span &#34;GET /profile&#34;, kind server)&#xA;</failure>
    </testcase>
    <testcase name="propagation" classname="waymark.check.login"></testcase>
    <testcase name="orphans" classname="waymark.check.login"></testcase>
    <testcase name="correlation" classname="waymark.check.login">
      <skipped message="correlated by trace"></skipped>
    </testcase>
    <testcase name="segments" classname="waymark.check.login"></testcase>
  </testsuite>
</testsuites>
`, string(xml))
}

func TestCheckCannotDecide(t *testing.T) {
	t.Parallel()
	dir, file := writeFixture(t, fileForms[0], cleanSpans())
	tmp := t.TempDir()
	garbage := filepath.Join(tmp, "garbage.json")
	require.NoError(t, os.WriteFile(garbage, []byte("{\"resourceSpans\":[]}\n{oops\n"), 0o644))
	empty := filepath.Join(tmp, "empty.json")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	noJourneys := filepath.Join(tmp, "none")
	require.NoError(t, os.Mkdir(noJourneys, 0o755))
	tests := []struct {
		name string
		args []string
		line string
	}{
		{"missing file", []string{"--journeys", dir, filepath.Join(tmp, "nope.json")},
			"waymark: check cannot decide: read " + filepath.Join(tmp, "nope.json") + ": no such file or directory"},
		{"malformed file", []string{"--journeys", dir, file, garbage},
			"waymark: check cannot decide: " + garbage + ": record 2: malformed JSON: invalid character 'o' looking for beginning of object key string"},
		{"no spans", []string{"--journeys", dir, empty}, "waymark: check cannot decide: no spans in 1 file: did the test run export any"},
		{"no journey files", []string{"--journeys", noJourneys, file}, "waymark: check cannot decide: " + noJourneys + ": no *.yaml or *.yml files"},
		{"unknown journey", []string{"--journeys", dir, "--journey", "signup", file}, `waymark: check cannot decide: no journey "signup"`},
		{"no files", []string{"--journeys", dir}, "waymark: check: missing argument"},
		{"bad format", []string{"--journeys", dir, "--format", "xml", file}, `waymark: check: -format "xml": use text or github`},
		{"database unreachable", []string{"--database-url", "postgres://127.0.0.1:1/x?connect_timeout=1", file}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := waymark(t, append([]string{"check"}, tt.args...)...)
			require.Equal(t, 2, r.code)
			require.Empty(t, r.stdout)
			if tt.line == "" {
				require.True(t, strings.HasPrefix(r.stderr, "waymark: check cannot decide: list journeys: "), r.stderr)
				return
			}
			require.Equal(t, tt.line, firstLine(r.stderr))
		})
	}
}

func TestCheckReadsJourneysFromAServer(t *testing.T) {
	t.Parallel()
	docs := strings.Split(checkJourneys, "---\n")
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		switch r.URL.Path {
		case "/api/v1/journeys":
			_, _ = w.Write([]byte(`{"journeys":[{"slug":"checkout","step_count":2},{"slug":"login","step_count":3}]}`))
		case "/api/v1/journeys/login":
			require.Equal(t, "yaml", r.URL.Query().Get("format"))
			_, _ = w.Write([]byte(docs[0]))
		case "/api/v1/journeys/checkout":
			_, _ = w.Write([]byte(docs[1]))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"message":"no such thing"}}`))
		}
	}))
	t.Cleanup(srv.Close)
	_, file := writeFixture(t, fileForms[1], edit(func(s *fspan) bool { return s.service != "profile_svc" }))

	r := waymark(t, "check", "--url", srv.URL, "--token", "wm_secret", file)
	require.Equal(t, 1, r.code, r.stderr)
	require.Equal(t, `FAIL [steps] login step 3 "Load profile" service profile_svc trace none: no span matches (service profile_svc, span "GET /profile", kind server)
2 journeys: 7 passed, 1 failed, 2 skipped; 5 spans in 3 traces from 1 file
`, r.stdout)
	require.Equal(t, []string{"Bearer wm_secret", "Bearer wm_secret", "Bearer wm_secret"}, auth)

	// Only the journey asked for is fetched.
	r = waymark(t, "check", "--url", srv.URL, "--journey", "checkout", file)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "1 journey: 4 passed, 0 failed, 1 skipped; 5 spans in 3 traces from 1 file\n", r.stdout)
}

func TestCheckReadsTheEmbeddedStore(t *testing.T) {
	t.Parallel()
	pool, dbURL := pgtest.NewWithURL(t)
	broken := edit(func(s *fspan) bool {
		switch s.service {
		case "auth_svc":
			s.trace, s.parent = traceAuth, ""
		case "profile_svc":
			s.trace = traceAuth
		}
		return true
	})
	_, err := spanstore.NewStore(pool, nil).Insert(context.Background(), tracesData(t, broken).ResourceSpans)
	require.NoError(t, err)
	dir, _ := writeFixture(t, fileForms[0], nil)

	// The fixture's spans start at 2023-11-14T22:13:20Z.
	r := waymark(t, "check", "--database-url", dbURL, "--journeys", dir, "--from", "2023-11-14T22:00:00Z", "--to", "2023-11-14T23:00:00Z")
	require.Equal(t, 1, r.code, r.stderr)
	require.Equal(t, `FAIL [propagation] login step 2 "Check password" service auth_svc trace `+traceAuth+
		`: trace context lost between web (step 1) and auth_svc: 1 trace reaches this step without step 1 "Login request"
2 journeys: 7 passed, 1 failed, 2 skipped; 6 spans in 4 traces from the embedded store
`, r.stdout)

	r = waymark(t, "check", "--database-url", dbURL, "--journeys", dir, "--from", "2023-11-14T23:00:00Z", "--to", "2023-11-15T00:00:00Z")
	require.Equal(t, 2, r.code)
	require.Equal(t, "waymark: check cannot decide: no journey spans in the embedded store between 2023-11-14T23:00:00Z and 2023-11-15T00:00:00Z: did the test run export any\n", r.stderr)

	for _, tt := range []struct {
		args []string
		line string
	}{
		{[]string{"--since", "1h", "spans.json"}, "waymark: check: give span files or a time range of the embedded store, not both"},
		{[]string{"--since", "1h", "--from", "2023-11-14T23:00:00Z"}, "waymark: check: give -since or -from, not both"},
		{[]string{"--to", "2023-11-14T23:00:00Z"}, "waymark: check: -to needs -from"},
		{[]string{"--from", "yesterday"}, `waymark: check: -from "yesterday" is not an RFC 3339 time such as 2025-03-10T12:00:00Z`},
		{[]string{"--from", "2023-11-14T23:00:00Z", "--to", "2023-11-14T22:00:00Z"}, "waymark: check: -to must be after -from"},
	} {
		r := waymark(t, append([]string{"check", "--journeys", dir}, tt.args...)...)
		require.Equal(t, 2, r.code)
		require.Equal(t, tt.line, firstLine(r.stderr))
	}
}
