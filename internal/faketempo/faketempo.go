// Package faketempo is a fake Grafana Tempo HTTP API over a fixed set of
// OTLP spans, for tests that must run the Tempo trace source on generated
// traffic. It answers in the shapes recorded from Tempo 3.0
// (internal/tempo/testdata): TraceQL search with select(), trace by id
// (protobuf), tag names and values (v2), and instant metrics queries with
// count_over_time() by (...). It understands the TraceQL Waymark writes,
// not the whole language, and applies Tempo's semantics where the trace
// source depends on them: a search's time range selects whole traces that
// overlap it, a capped search returns an arbitrary subset and says its
// jobs did not complete, a spanset holds at most spss spans, trace ids lose
// their leading zeros, and a missing attribute groups under "nil".
package faketempo

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Server is a fake Tempo. It is safe for concurrent use.
type Server struct {
	// URL is the base URL to give tempo.Options.
	URL string

	spans  []*span
	traces map[string]*fakeTrace

	mu       sync.Mutex
	requests map[string]int
	queries  []string
	down     int
}

type fakeTrace struct {
	id         string
	start, end int64
	spans      []*span
	rss        []*tracepb.ResourceSpans
}

// span is one stored span, flattened for matching.
type span struct {
	trace          *fakeTrace
	id             string
	service, name  string
	kind           string
	start, dur     int64
	status, msg    string
	attrs, res     map[string]*commonpb.AnyValue
	attrKeys, resK []string
}

// New serves rss until the test ends.
func New(tb testing.TB, rss []*tracepb.ResourceSpans) *Server {
	tb.Helper()
	s := &Server{traces: map[string]*fakeTrace{}, requests: map[string]int{}}
	for _, rs := range rss {
		res := map[string]*commonpb.AnyValue{}
		var resKeys []string
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			res[kv.GetKey()] = kv.GetValue()
			resKeys = append(resKeys, kv.GetKey())
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		seen := map[*fakeTrace]bool{}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				tid := hex.EncodeToString(sp.GetTraceId())
				tr := s.traces[tid]
				if tr == nil {
					tr = &fakeTrace{id: tid, start: math.MaxInt64}
					s.traces[tid] = tr
				}
				if !seen[tr] {
					seen[tr] = true
					tr.rss = append(tr.rss, rs)
				}
				x := &span{
					trace: tr, id: hex.EncodeToString(sp.GetSpanId()), service: service, name: sp.GetName(),
					kind: kindName(sp.GetKind()), start: int64(sp.GetStartTimeUnixNano()),
					dur:    int64(sp.GetEndTimeUnixNano() - sp.GetStartTimeUnixNano()),
					status: statusName(sp.GetStatus().GetCode()), msg: sp.GetStatus().GetMessage(),
					attrs: map[string]*commonpb.AnyValue{}, res: res, resK: resKeys,
				}
				for _, kv := range sp.GetAttributes() {
					x.attrs[kv.GetKey()] = kv.GetValue()
					x.attrKeys = append(x.attrKeys, kv.GetKey())
				}
				tr.spans = append(tr.spans, x)
				tr.start = min(tr.start, x.start)
				tr.end = max(tr.end, x.start+x.dur)
				s.spans = append(s.spans, x)
			}
		}
	}
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// SetDown makes every request fail with status (0 to recover), as a Tempo
// that is down or overloaded would.
func (s *Server) SetDown(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = status
}

// Requests returns how many requests each API path answered, by path
// pattern: /api/search, /api/v2/traces, /api/v2/search/tags,
// /api/v2/search/tag/values, /api/metrics/query.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// Queries returns the TraceQL of every request that carried one, in order.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

func (s *Server) count(path, q string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[path]++
	if q != "" {
		s.queries = append(s.queries, q)
	}
	return s.down
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	path := r.URL.Path
	key := path
	switch {
	case strings.HasPrefix(path, "/api/v2/traces/"):
		key = "/api/v2/traces"
	case strings.HasPrefix(path, "/api/v2/search/tag/") && strings.HasSuffix(path, "/values"):
		key = "/api/v2/search/tag/values"
	}
	if down := s.count(key, r.URL.Query().Get("q")); down != 0 {
		http.Error(w, "fake tempo is down", down)
		return
	}
	var err error
	switch key {
	case "/api/echo":
		_, _ = w.Write([]byte("echo"))
		return
	case "/api/search":
		err = s.search(w, r)
	case "/api/v2/traces":
		err = s.traceByID(w, r, strings.TrimPrefix(path, "/api/v2/traces/"))
	case "/api/v2/search/tags":
		err = s.tags(w, r)
	case "/api/v2/search/tag/values":
		err = s.tagValues(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/api/v2/search/tag/"), "/values"))
	case "/api/metrics/query":
		err = s.metrics(w, r)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		// Tempo answers bad requests in plain text.
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
}

// rangeNS reads start and end (unix seconds); absent means unbounded.
func rangeNS(r *http.Request) (int64, int64, error) {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if v := r.URL.Query().Get("start"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("invalid start %q", v)
		}
		from = n * 1e9
	}
	if v := r.URL.Query().Get("end"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("invalid end %q", v)
		}
		to = n * 1e9
	}
	if from > to {
		return 0, 0, fmt.Errorf("invalid start (%d) > end (%d)", from/1e9, to/1e9)
	}
	return from, to, nil
}

func parseParam(r *http.Request) (*query, error) {
	q := r.URL.Query().Get("q")
	if q == "" {
		return &query{filter: trueExpr{}}, nil
	}
	return parseQuery(q)
}

type kv = map[string]any

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	q, err := parseParam(r)
	if err != nil {
		return err
	}
	from, to, err := rangeNS(r)
	if err != nil {
		return err
	}
	limit, spss := 20, 3
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit <= 0 {
			return fmt.Errorf("invalid limit %q", v)
		}
	}
	if v := r.URL.Query().Get("spss"); v != "" {
		if spss, err = strconv.Atoi(v); err != nil || spss <= 0 {
			return fmt.Errorf("invalid spss %q", v)
		}
	}
	type hit struct {
		tr    *fakeTrace
		spans []*span
	}
	var hits []hit
	for _, tr := range s.traces {
		if tr.start > to || tr.end < from {
			continue
		}
		var m []*span
		for _, sp := range tr.spans {
			if q.filter.eval(sp) {
				m = append(m, sp)
			}
		}
		if len(m) > 0 {
			slices.SortFunc(m, func(a, b *span) int { return cmpInt(a.start, b.start) })
			hits = append(hits, hit{tr, m})
		}
	}
	// Map order is random: a capped search keeps an arbitrary subset,
	// as the first shards to fill the limit do in Tempo.
	completed, total := 4, 4
	if len(hits) >= limit {
		completed = 1
		hits = hits[:limit]
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].tr.start > hits[j].tr.start })
	traces := make([]kv, 0, len(hits))
	for _, h := range hits {
		n := min(len(h.spans), spss)
		spans := make([]kv, 0, n)
		for _, sp := range h.spans[:n] {
			attrs := []kv{{"key": "service.name", "value": anyJSON(strValue(sp.service))}, {"key": "status", "value": anyJSON(strValue(sp.status))}}
			for _, f := range q.selects {
				switch f {
				case "status", "duration":
					continue
				case "name":
					attrs = append(attrs, kv{"key": "name", "value": anyJSON(strValue(sp.name))})
					continue
				case "kind":
					attrs = append(attrs, kv{"key": "kind", "value": anyJSON(strValue(sp.kind))})
					continue
				}
				if v, ok := sp.attr(f); ok {
					_, name, _ := strings.Cut(f, ".")
					attrs = append(attrs, kv{"key": name, "value": anyJSON(v)})
				}
			}
			spans = append(spans, kv{
				"spanID":            sp.id,
				"name":              sp.name,
				"startTimeUnixNano": strconv.FormatInt(sp.start, 10),
				"durationNanos":     strconv.FormatInt(sp.dur, 10),
				"attributes":        attrs,
			})
		}
		set := kv{"spans": spans, "matched": len(h.spans)}
		traces = append(traces, kv{
			"traceID":           strings.TrimLeft(h.tr.id, "0"),
			"rootServiceName":   h.tr.spans[0].service,
			"rootTraceName":     h.tr.spans[0].name,
			"startTimeUnixNano": strconv.FormatInt(h.tr.start, 10),
			"durationMs":        (h.tr.end - h.tr.start) / 1e6,
			"spanSet":           set,
			"spanSets":          []kv{set},
		})
	}
	return writeJSON(w, kv{
		"traces":  traces,
		"metrics": kv{"inspectedBytes": "1000", "totalBlocks": 1, "completedJobs": completed, "totalJobs": total},
	})
}

func (s *Server) traceByID(w http.ResponseWriter, r *http.Request, id string) error {
	if len(id) < 32 {
		id = strings.Repeat("0", 32-len(id)) + id
	}
	tr := s.traces[strings.ToLower(id)]
	if r.Header.Get("Accept") != "application/protobuf" {
		td := &tracepb.TracesData{}
		if tr != nil {
			td.ResourceSpans = tr.own()
		}
		return writeJSON(w, kv{"trace": json.RawMessage(protoJSON(td)), "metrics": kv{}})
	}
	var b []byte
	if tr != nil {
		inner, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: tr.own()})
		if err != nil {
			return err
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, inner)
	}
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 42))
	w.Header().Set("Content-Type", "application/protobuf")
	_, err := w.Write(b)
	return err
}

// own returns the trace's resource spans holding only its own spans: a
// ResourceSpans given to New may carry several traces.
func (tr *fakeTrace) own() []*tracepb.ResourceSpans {
	out := make([]*tracepb.ResourceSpans, 0, len(tr.rss))
	for _, rs := range tr.rss {
		c := &tracepb.ResourceSpans{Resource: rs.GetResource(), SchemaUrl: rs.GetSchemaUrl()}
		for _, ss := range rs.GetScopeSpans() {
			cs := &tracepb.ScopeSpans{Scope: ss.GetScope(), SchemaUrl: ss.GetSchemaUrl()}
			for _, sp := range ss.GetSpans() {
				if hex.EncodeToString(sp.GetTraceId()) == tr.id {
					cs.Spans = append(cs.Spans, sp)
				}
			}
			if len(cs.Spans) > 0 {
				c.ScopeSpans = append(c.ScopeSpans, cs)
			}
		}
		out = append(out, c)
	}
	return out
}

// intrinsicTags is what Tempo lists in the intrinsic scope.
var intrinsicTags = []string{"duration", "kind", "name", "rootName", "rootServiceName", "status", "statusMessage", "traceDuration"}

// matching returns the spans starting in the request's range that match
// its q.
func (s *Server) matching(r *http.Request) ([]*span, *query, error) {
	q, err := parseParam(r)
	if err != nil {
		return nil, nil, err
	}
	from, to, err := rangeNS(r)
	if err != nil {
		return nil, nil, err
	}
	var out []*span
	for _, sp := range s.spans {
		if sp.start >= from && sp.start < to && q.filter.eval(sp) {
			out = append(out, sp)
		}
	}
	return out, q, nil
}

func (s *Server) tags(w http.ResponseWriter, r *http.Request) error {
	spans, _, err := s.matching(r)
	if err != nil {
		return err
	}
	spanKeys, resKeys := map[string]bool{}, map[string]bool{}
	for _, sp := range spans {
		for _, k := range sp.attrKeys {
			spanKeys[k] = true
		}
		for _, k := range sp.resK {
			resKeys[k] = true
		}
	}
	scopes := []kv{}
	add := func(name string, set map[string]bool) {
		tags := make([]string, 0, len(set))
		for k := range set {
			tags = append(tags, k)
		}
		sort.Strings(tags)
		scopes = append(scopes, kv{"name": name, "tags": tags})
	}
	switch scope := r.URL.Query().Get("scope"); scope {
	case "":
		scopes = append(scopes, kv{"name": "intrinsic", "tags": intrinsicTags})
		add("resource", resKeys)
		add("span", spanKeys)
	case "span":
		add("span", spanKeys)
	case "resource":
		add("resource", resKeys)
	case "intrinsic":
		scopes = append(scopes, kv{"name": "intrinsic", "tags": intrinsicTags})
	default:
		return fmt.Errorf("unknown scope %q", scope)
	}
	return writeJSON(w, kv{"scopes": scopes, "metrics": kv{"inspectedBytes": "1000"}})
}

func (s *Server) tagValues(w http.ResponseWriter, r *http.Request, tag string) error {
	spans, _, err := s.matching(r)
	if err != nil {
		return err
	}
	type tv struct{ typ, val string }
	seen := map[tv]bool{}
	values := []kv{}
	for _, sp := range spans {
		v, ok := sp.field(tag)
		if !ok {
			continue
		}
		t := tv{v.tempoType(), v.text()}
		if seen[t] {
			continue
		}
		seen[t] = true
		values = append(values, kv{"type": t.typ, "value": t.val})
	}
	return writeJSON(w, kv{"tagValues": values, "metrics": kv{"inspectedBytes": "1000"}})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	spans, q, err := s.matching(r)
	if err != nil {
		return err
	}
	if !q.metric {
		return fmt.Errorf("fake tempo: a metrics query needs count_over_time()")
	}
	type group struct {
		labels []kv
		n      int
	}
	groups := map[string]*group{}
	var order []string
	for _, sp := range spans {
		labels := make([]kv, 0, len(q.by))
		var key strings.Builder
		for _, f := range q.by {
			v, ok := sp.field(f)
			if !ok {
				v = value{kind: valString, str: "nil"}
			}
			lv := v.labelJSON()
			labels = append(labels, kv{"key": f, "value": lv})
			b, _ := json.Marshal(lv)
			key.Write(b)
			key.WriteByte(0)
		}
		g := groups[key.String()]
		if g == nil {
			g = &group{labels: labels}
			groups[key.String()] = g
			order = append(order, key.String())
		}
		g.n++
	}
	series := make([]kv, 0, len(groups))
	for _, k := range order {
		g := groups[k]
		series = append(series, kv{"labels": g.labels, "value": g.n})
	}
	return writeJSON(w, kv{"series": series, "metrics": kv{"inspectedBytes": "1000", "totalBlocks": 1, "completedJobs": 2, "totalJobs": 2, "inspectedSpans": strconv.Itoa(len(spans))}})
}

func protoJSON(m proto.Message) []byte {
	b, err := protojson.Marshal(m)
	if err != nil {
		return []byte("{}")
	}
	return b
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// valKind is the TraceQL type of a span's value.
type valKind int

const (
	valString valKind = iota
	valInt
	valFloat
	valBool
	valKeyword
	valDuration
	valOther
)

type value struct {
	kind valKind
	str  string
	i    int64
	f    float64
	b    bool
	raw  *commonpb.AnyValue // arrays, maps and bytes
}

func strValue(s string) value { return value{kind: valString, str: s} }

func fromAny(v *commonpb.AnyValue) value {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return value{kind: valString, str: x.StringValue}
	case *commonpb.AnyValue_IntValue:
		return value{kind: valInt, i: x.IntValue}
	case *commonpb.AnyValue_DoubleValue:
		return value{kind: valFloat, f: x.DoubleValue}
	case *commonpb.AnyValue_BoolValue:
		return value{kind: valBool, b: x.BoolValue}
	case *commonpb.AnyValue_BytesValue:
		return value{kind: valOther, str: base64.StdEncoding.EncodeToString(x.BytesValue), raw: v}
	}
	return value{kind: valOther, raw: v}
}

func (v value) text() string {
	switch v.kind {
	case valInt, valDuration:
		return strconv.FormatInt(v.i, 10)
	case valFloat:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	case valBool:
		return strconv.FormatBool(v.b)
	}
	return v.str
}

func (v value) tempoType() string {
	switch v.kind {
	case valInt:
		return "int"
	case valFloat:
		return "float"
	case valBool:
		return "bool"
	case valKeyword:
		return "keyword"
	case valDuration:
		return "duration"
	}
	return "string"
}

// labelJSON is a metrics label value as Tempo writes it.
func (v value) labelJSON() kv {
	switch v.kind {
	case valOther:
		var out kv
		if err := json.Unmarshal(protoJSON(v.raw), &out); err != nil || out == nil {
			return kv{}
		}
		return out
	case valInt:
		return kv{"intValue": strconv.FormatInt(v.i, 10)}
	case valFloat:
		return anyJSON(v)
	case valBool:
		return kv{"boolValue": v.b}
	case valDuration:
		return kv{"durationValue": strconv.FormatInt(v.i, 10)}
	}
	return kv{"stringValue": v.str}
}

// anyJSON is a search attribute value in proto-JSON.
func anyJSON(v value) kv {
	switch v.kind {
	case valOther:
		return v.labelJSON()
	case valInt:
		return kv{"intValue": strconv.FormatInt(v.i, 10)}
	case valFloat:
		if math.IsNaN(v.f) {
			return kv{"doubleValue": "NaN"}
		}
		if math.IsInf(v.f, 0) {
			if v.f > 0 {
				return kv{"doubleValue": "Infinity"}
			}
			return kv{"doubleValue": "-Infinity"}
		}
		return kv{"doubleValue": v.f}
	case valBool:
		return kv{"boolValue": v.b}
	}
	return kv{"stringValue": v.str}
}

// attr looks up a scoped attribute.
func (s *span) attr(f string) (value, bool) {
	scope, name, _ := strings.Cut(f, ".")
	m := s.attrs
	if scope == "resource" {
		m = s.res
	}
	v, ok := m[name]
	if !ok {
		return value{}, false
	}
	return fromAny(v), true
}

// field looks up an intrinsic or a scoped attribute.
func (s *span) field(f string) (value, bool) {
	switch f {
	case "name":
		return strValue(s.name), true
	case "kind":
		return value{kind: valKeyword, str: s.kind}, true
	case "status":
		return value{kind: valKeyword, str: s.status}, true
	case "statusMessage":
		return strValue(s.msg), true
	case "duration":
		return value{kind: valDuration, i: s.dur}, true
	}
	return s.attr(f)
}

func kindName(k tracepb.Span_SpanKind) string {
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

func statusName(c tracepb.Status_StatusCode) string {
	switch c {
	case tracepb.Status_STATUS_CODE_ERROR:
		return "error"
	case tracepb.Status_STATUS_CODE_OK:
		return "ok"
	}
	return "unset"
}

// Window is the span start range of everything served, for tests that
// pick a range around it.
func (s *Server) Window() (first, last time.Time) {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, sp := range s.spans {
		lo, hi = min(lo, sp.start), max(hi, sp.start)
	}
	return time.Unix(0, lo).UTC(), time.Unix(0, hi).UTC()
}
