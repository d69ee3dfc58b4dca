package tempo

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/journeys"
)

// fakeSpan is one span held by fakeTempo.
type fakeSpan struct {
	id      string // 16 hex
	parent  string
	service string
	name    string
	kind    tracepb.Span_SpanKind
	start   int64
	dur     int64
	err     bool
	session string
	tier    string // "" when absent
}

type fakeTrace struct {
	id         string // 32 hex
	start, end int64
	spans      []fakeSpan
}

// fakeTempo answers /api/search and /api/v2/traces/{id} like Tempo does
// where it matters to an exhaustive fetch: the time range selects whole
// traces that overlap it (spans are not filtered by time); a search that
// finds limit traces or more returns an arbitrary limit of them and reports
// unfinished jobs; a spanset holds at most spss spans but says how many
// matched; trace ids lose their leading zeros.
type fakeTempo struct {
	t      *testing.T
	query  string // the only query accepted
	match  func(fakeSpan) bool
	traces []fakeTrace
	order  string // which traces a capped search returns: shuffle, oldest, newest
	// tooLarge, when set, is how many traces an answer may hold before
	// the fake fails as Tempo does when its answer outgrows the gRPC
	// message limit between its components.
	tooLarge int
	// grpcTooLarge words that failure as a querier does.
	grpcTooLarge bool

	mu       sync.Mutex
	searches int
	fetches  int
	rng      *rand.Rand
}

func (f *fakeTempo) server() *httptest.Server {
	srv := httptest.NewServer(f)
	f.t.Cleanup(srv.Close)
	return srv
}

func (f *fakeTempo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/search":
		f.search(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/v2/traces/"):
		f.trace(w, r, strings.TrimPrefix(r.URL.Path, "/api/v2/traces/"))
	default:
		http.NotFound(w, r)
	}
}

func intParam(r *http.Request, name string) (int64, error) {
	return strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
}

func (f *fakeTempo) search(w http.ResponseWriter, r *http.Request) {
	if got := r.URL.Query().Get("q"); got != f.query {
		f.t.Errorf("fake tempo: query %q, want %q", got, f.query)
		http.Error(w, "unexpected query", http.StatusBadRequest)
		return
	}
	start, err1 := intParam(r, "start")
	end, err2 := intParam(r, "end")
	limit, err3 := intParam(r, "limit")
	spss, err4 := intParam(r, "spss")
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || start > end || limit <= 0 || spss <= 0 {
		http.Error(w, "bad parameters "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.searches++
	f.mu.Unlock()

	type hit struct {
		tr    *fakeTrace
		spans []fakeSpan
	}
	var hits []hit
	for i := range f.traces {
		tr := &f.traces[i]
		if tr.start > end*1e9 || tr.end < start*1e9 {
			continue
		}
		var m []fakeSpan
		for _, sp := range tr.spans {
			if f.match(sp) {
				m = append(m, sp)
			}
		}
		if len(m) > 0 {
			hits = append(hits, hit{tr, m})
		}
	}
	if f.tooLarge > 0 && len(hits) > f.tooLarge {
		msg := fmt.Sprintf("response larger than the max (%d vs 16777216)", 16777216*len(hits)/f.tooLarge)
		if f.grpcTooLarge {
			msg = "rpc error: code = ResourceExhausted desc = grpc: received message after decompression larger than max 16777216"
		}
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	completed, total := 3, 3
	if int64(len(hits)) >= limit {
		completed = 1
		switch f.order {
		case "oldest":
			sort.Slice(hits, func(i, j int) bool { return hits[i].tr.start < hits[j].tr.start })
		case "newest":
			sort.Slice(hits, func(i, j int) bool { return hits[i].tr.start > hits[j].tr.start })
		default:
			f.mu.Lock()
			f.rng.Shuffle(len(hits), func(i, j int) { hits[i], hits[j] = hits[j], hits[i] })
			f.mu.Unlock()
		}
		hits = hits[:limit]
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].tr.start > hits[j].tr.start })

	type kv = map[string]any
	traces := make([]kv, 0, len(hits))
	for _, h := range hits {
		spans := make([]kv, 0, min(int64(len(h.spans)), spss))
		for _, sp := range h.spans[:min(int64(len(h.spans)), spss)] {
			status := "unset"
			if sp.err {
				status = "error"
			}
			attrs := []kv{
				{"key": "service.name", "value": kv{"stringValue": sp.service}},
				{"key": "status", "value": kv{"stringValue": status}},
				{"key": "session.id", "value": kv{"stringValue": sp.session}},
			}
			if sp.tier != "" {
				attrs = append(attrs, kv{"key": "user.tier", "value": kv{"stringValue": sp.tier}})
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
			"startTimeUnixNano": strconv.FormatInt(h.tr.start, 10),
			"durationMs":        (h.tr.end - h.tr.start) / 1e6,
			"spanSet":           set,
			"spanSets":          []kv{set},
		})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(kv{
		"traces":  traces,
		"metrics": kv{"inspectedBytes": "1000", "totalBlocks": 2, "completedJobs": completed, "totalJobs": total},
	})
}

func (f *fakeTempo) trace(w http.ResponseWriter, r *http.Request, id string) {
	f.mu.Lock()
	f.fetches++
	f.mu.Unlock()
	var tr *fakeTrace
	for i := range f.traces {
		if f.traces[i].id == id {
			tr = &f.traces[i]
		}
	}
	td := &tracepb.TracesData{}
	if tr != nil {
		td = tr.otlp()
	}
	if r.Header.Get("Accept") == "application/protobuf" {
		inner, err := proto.Marshal(td)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var b []byte
		if tr != nil {
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendBytes(b, inner)
		}
		// metrics {inspectedBytes: 42} as field 2, which the client skips.
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 42))
		w.Header().Set("Content-Type", "application/protobuf")
		_, _ = w.Write(b)
		return
	}
	body, err := protojson.Marshal(td)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"trace":%s,"metrics":{}}`, body)
}

func (tr *fakeTrace) otlp() *tracepb.TracesData {
	tid, _ := hex.DecodeString(tr.id)
	bySvc := map[string]*tracepb.ResourceSpans{}
	var order []string
	for _, sp := range tr.spans {
		rs := bySvc[sp.service]
		if rs == nil {
			rs = &tracepb.ResourceSpans{
				Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
					{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: sp.service}}},
				}},
				ScopeSpans: []*tracepb.ScopeSpans{{}},
			}
			bySvc[sp.service] = rs
			order = append(order, sp.service)
		}
		sid, _ := hex.DecodeString(sp.id)
		pid, _ := hex.DecodeString(sp.parent)
		attrs := []*commonpb.KeyValue{
			{Key: "session.id", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: sp.session}}},
		}
		if sp.tier != "" {
			attrs = append(attrs, &commonpb.KeyValue{Key: "user.tier", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: sp.tier}}})
		}
		o := &tracepb.Span{
			TraceId: tid, SpanId: sid, ParentSpanId: pid, Name: sp.name, Kind: sp.kind,
			StartTimeUnixNano: uint64(sp.start), EndTimeUnixNano: uint64(sp.start + sp.dur),
			Attributes: attrs,
		}
		if sp.err {
			o.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "boom"}
		}
		rs.ScopeSpans[0].Spans = append(rs.ScopeSpans[0].Spans, o)
	}
	td := &tracepb.TracesData{}
	for _, s := range order {
		td.ResourceSpans = append(td.ResourceSpans, bySvc[s])
	}
	return td
}

// genTraces makes n traces starting in [base, base+window), each with
// matching spans (service shop, name "POST /work", kind server) spread over
// up to maxTraceLen, plus one span that does not match. matching gives the
// number of matching spans of trace i. Every 7th trace id starts with a
// zero byte, every 49th with two.
func genTraces(seed uint64, n int, base time.Time, window, maxTraceLen time.Duration, matching func(i int) int) []fakeTrace {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	tiers := []string{"free", "pro", "enterprise", ""}
	out := make([]fakeTrace, n)
	for i := range out {
		var id [16]byte
		for j := range id {
			id[j] = byte(rng.UintN(256))
		}
		if i%7 == 0 {
			id[0] = 0
		}
		if i%49 == 0 {
			id[1] = 0
		}
		id[15] = byte(i) // distinct ids even if the generator repeats
		id[14] = byte(i >> 8)
		tr := fakeTrace{id: hex.EncodeToString(id[:])}
		start := base.UnixNano() + rng.Int64N(int64(window))
		length := rng.Int64N(int64(maxTraceLen)) + 1
		tr.start, tr.end = start, start+length
		root := fmt.Sprintf("%016x", uint64(i)<<20|1)
		session := fmt.Sprintf("s-%05d", rng.IntN(2000))
		m := matching(i)
		for k := 0; k < m; k++ {
			at := start + length*int64(k)/int64(max(m, 1))
			sp := fakeSpan{
				id:      fmt.Sprintf("%016x", uint64(i)<<20|uint64(k+1)),
				service: "shop", name: "POST /work", kind: tracepb.Span_SPAN_KIND_SERVER,
				start: at, dur: rng.Int64N(int64(time.Second)) + 1,
				err: rng.IntN(20) == 0, session: session, tier: tiers[rng.IntN(len(tiers))],
			}
			if k > 0 {
				sp.parent = root
			}
			tr.spans = append(tr.spans, sp)
		}
		tr.spans = append(tr.spans, fakeSpan{
			id: fmt.Sprintf("%016x", uint64(i)<<20|0xfffff), parent: root,
			service: "db", name: "SELECT", kind: tracepb.Span_SPAN_KIND_CLIENT,
			start: start + length/2, dur: 1000, session: session,
		})
		out[i] = tr
	}
	return out
}

func matchWork(sp fakeSpan) bool {
	return sp.service == "shop" && sp.name == "POST /work" && sp.kind == tracepb.Span_SPAN_KIND_SERVER
}

var workPattern = journeys.Pattern{Service: "shop", Span: "POST /work", Kind: "server"}

// wantSpans lists what an exhaustive fetch of [from, to) must give, keyed
// by trace and span id, with Attrs for span.session.id, span.user.tier.
func wantSpans(traces []fakeTrace, from, to time.Time) map[spanKey]journeys.Span {
	out := map[spanKey]journeys.Span{}
	for _, tr := range traces {
		for _, sp := range tr.spans {
			if !matchWork(sp) || sp.start < from.UnixNano() || sp.start >= to.UnixNano() {
				continue
			}
			out[spanKey{tr.id, sp.id}] = journeys.Span{
				TraceID: tr.id, SpanID: sp.id, Start: time.Unix(0, sp.start), Duration: time.Duration(sp.dur),
				Error: sp.err, Attrs: []string{sp.session, sp.tier},
			}
		}
	}
	return out
}
