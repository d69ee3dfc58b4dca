package incident

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// bundle is what most tests need: a migrated database with an embedded span
// store, the journeys store with the demo shop's journeys, and an incident
// store on both.
type bundle struct {
	pool     *pgxpool.Pool
	spans    *spanstore.Store
	journeys *journeystore.Store
	clock    *clock
	store    *Store
}

// t0 is when the scripted traffic of most tests starts.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func setup(t *testing.T, cfg Config) *bundle {
	t.Helper()
	pool := pgtest.New(t)
	b := &bundle{
		pool:     pool,
		spans:    spanstore.NewStore(pool, nil),
		journeys: journeystore.New(pool),
		clock:    &clock{t: t0.Add(2 * time.Hour)},
	}
	for _, f := range []string{"shop-checkout.yaml", "login-flow.yaml"} {
		_, err := b.journeys.CreateJourney(context.Background(), loadJourney(t, f), "setup")
		require.NoError(t, err)
	}
	cfg.Source = b.spans
	cfg.Journeys = b.journeys
	cfg.Now = b.clock.Now
	b.store = New(pool, cfg)
	return b
}

func loadJourney(t *testing.T, file string) journeys.Journey {
	t.Helper()
	raw, err := examples.FS.ReadFile(file)
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(raw)
	require.NoError(t, err)
	require.Len(t, js, 1)
	return js[0]
}

// send plans the demo shop's traffic and sends it over OTLP/HTTP through
// the embedded store's receiver into b's database.
func (b *bundle) send(t *testing.T, cfg demo.Config) *demo.Traffic {
	t.Helper()
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	rcv := spanstore.NewReceiver(b.spans, spanstore.Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rcv.Run(ctx) }()
	mux := http.NewServeMux()
	mux.Handle(spanstore.TracesPath, rcv)
	srv := httptest.NewServer(mux)
	defer func() {
		srv.Close()
		require.NoError(t, rcv.Close())
		cancel()
		require.NoError(t, <-done)
	}()
	require.NoError(t, tr.Send(context.Background(), srv.URL))
	return tr
}

// span describes one span of a hand-built trace.
type span struct {
	id, parent string
	service    string
	name       string
	kind       tracepb.Span_SpanKind
	start      time.Duration // after the trace's base time
	dur        time.Duration
	err        bool
	msg        string
	attrs      map[string]any
}

// insert stores a hand-built trace starting at base and returns its id.
func (b *bundle) insert(t *testing.T, traceID string, base time.Time, spans ...span) string {
	t.Helper()
	_, err := b.spans.Insert(context.Background(), otlpTrace(t, traceID, base, spans...))
	require.NoError(t, err)
	return traceID
}

func otlpTrace(t testing.TB, traceID string, base time.Time, spans ...span) []*tracepb.ResourceSpans {
	t.Helper()
	tid, err := hex.DecodeString(traceID)
	require.NoError(t, err)
	byService := map[string]*tracepb.ResourceSpans{}
	var out []*tracepb.ResourceSpans
	for _, s := range spans {
		rs := byService[s.service]
		if rs == nil {
			rs = &tracepb.ResourceSpans{
				Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
					{Key: "service.name", Value: str(s.service)},
					{Key: "deployment.environment", Value: str("prod")},
				}},
				ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "shop", Version: "1.0"}}},
			}
			byService[s.service] = rs
			out = append(out, rs)
		}
		sid, err := hex.DecodeString(s.id)
		require.NoError(t, err)
		sp := &tracepb.Span{
			TraceId:           tid,
			SpanId:            sid,
			Name:              s.name,
			Kind:              s.kind,
			StartTimeUnixNano: uint64(base.Add(s.start).UnixNano()),
			EndTimeUnixNano:   uint64(base.Add(s.start + s.dur).UnixNano()),
		}
		if s.parent != "" {
			sp.ParentSpanId, err = hex.DecodeString(s.parent)
			require.NoError(t, err)
		}
		if s.err {
			sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: s.msg}
		}
		keys := make([]string, 0, len(s.attrs))
		for k := range s.attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var v *commonpb.AnyValue
			switch x := s.attrs[k].(type) {
			case string:
				v = str(x)
			case int:
				v = &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(x)}}
			case float64:
				v = &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: x}}
			default:
				t.Fatalf("attribute %s: unsupported type %T", k, x)
			}
			sp.Attributes = append(sp.Attributes, &commonpb.KeyValue{Key: k, Value: v})
		}
		rs.ScopeSpans[0].Spans = append(rs.ScopeSpans[0].Spans, sp)
	}
	return out
}

func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

// payment is a hand-built payment step: a POST /payments server span with
// a PSP call under it, failing with msg when msg is not empty.
func payment(msg string) []span {
	root := span{id: "1000000000000001", service: "payment_svc", name: "POST /payments", kind: tracepb.Span_SPAN_KIND_SERVER,
		dur: 420 * time.Millisecond, attrs: map[string]any{"session.id": "s-1", "order.total": 99.5}}
	child := span{id: "1000000000000002", parent: root.id, service: "payment_svc", name: "POST /psp/charge",
		kind: tracepb.Span_SPAN_KIND_CLIENT, start: 20 * time.Millisecond, dur: 300 * time.Millisecond,
		attrs: map[string]any{"server.address": "psp.example.com"}}
	if msg != "" {
		root.err, root.msg = true, msg
		child.err, child.msg = true, "upstream returned 402"
	}
	return []span{root, child}
}

// count returns the rows of a table.
func (b *bundle) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n))
	return n
}

// fakeStats answers Stats with exact numbers keyed by journey and range
// start, and Series with fixed series.
type fakeStats struct {
	stats  map[string]rollup.JourneyStats // slug + "@" + from (RFC 3339)
	series map[string][]rollup.StepSeries
	calls  []string
}

func statsKey(slug string, from time.Time) string {
	return slug + "@" + from.UTC().Format(time.RFC3339)
}

func (f *fakeStats) Stats(_ context.Context, slug string, from, to time.Time, seg *rollup.Segment) (rollup.JourneyStats, error) {
	f.calls = append(f.calls, statsKey(slug, from)+".."+to.UTC().Format(time.RFC3339))
	st, ok := f.stats[statsKey(slug, from)]
	if !ok {
		return rollup.JourneyStats{}, rollup.ErrNotFound
	}
	return st, nil
}

func (f *fakeStats) Series(_ context.Context, slug string, from, to time.Time, every time.Duration, seg *rollup.Segment) ([]rollup.StepSeries, error) {
	s, ok := f.series[slug]
	if !ok {
		return nil, rollup.ErrNotFound
	}
	return s, nil
}
