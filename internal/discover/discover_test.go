package discover_test

import (
	"cmp"
	"context"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/discover"
	"github.com/waymarkhq/waymark/internal/draft"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// now puts the traffic of [10:00, 10:30) inside the last hour.
func now() time.Time { return start.Add(45*time.Minute + 10*time.Second) }

func shopTraffic(t *testing.T, sessions int) *demo.Traffic {
	t.Helper()
	cfg := demo.DefaultConfig()
	cfg.Start = start
	cfg.Sessions = sessions
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	return tr
}

func shopJourney(t *testing.T) journeys.Journey {
	t.Helper()
	b, err := examples.FS.ReadFile("shop-checkout.yaml")
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	return js[0]
}

// sampled is what the planner says of the sessions discovery samples: the
// n whose ids hash lowest; how many entered and how many paid.
func sampled(tr *demo.Traffic, n int) (entered, paid int64) {
	steps := map[string]int{}
	for _, x := range tr.Traces() {
		steps[x.Session.ID]++
	}
	ids := make([]string, 0, len(steps))
	for id := range steps {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(discover.SampleHash(a), discover.SampleHash(b)), strings.Compare(a, b))
	})
	for _, id := range ids[:min(n, len(ids))] {
		entered++
		if steps[id] == demo.NumSteps {
			paid++
		}
	}
	return entered, paid
}

func TestTheShopFunnelIsTheTopSuggestion(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t, 500)
	truth := tr.Truth()
	want := shopJourney(t)
	want.Metadata = journeys.Metadata{Slug: "login-to-payments", Name: "Login to Payments"}
	want.Spec.SLOs, want.Spec.Value = nil, ""
	for i, name := range []string{"Login", "Products", "Cart items", "Checkout", "Payments"} {
		want.Spec.Steps[i].Name = name
	}
	for _, src := range sourcetest.Sources(t, tr.OTLP()) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			got, err := discover.Discover(ctx, src.Source, discover.Options{Now: now})
			require.NoError(t, err)
			require.False(t, got.Partial)
			require.Equal(t, truth.Sessions, got.Sessions)
			require.Equal(t, truth.Sessions, got.SessionsSeen)
			require.Equal(t, truth.Traces, got.Traces)
			require.Len(t, got.Candidates, 1, "every session follows the one funnel; traces have one entry each")
			top := got.Candidates[0]
			require.Equal(t, want, top.Journey)
			require.Equal(t, "span.session.id", top.By)
			require.Equal(t, int64(truth.Funnel[demo.NumSteps-1].Sessions), top.Completed)
			require.Equal(t, int64(truth.Funnel[0].Sessions), top.Entered)
			require.Equal(t, "auth_svc POST /login → product_svc GET /products → cart_svc POST /cart/items → checkout_svc POST /checkout → payment_svc POST /payments seen in "+
				itoa(top.Completed)+" sessions in the last hour", top.Summary)

			// A sample of 150 sessions: exactly the paying ones among them.
			got, err = discover.Discover(ctx, src.Source, discover.Options{Now: now, MaxSessions: 150})
			require.NoError(t, err)
			entered, paid := sampled(tr, 150)
			require.Equal(t, 150, got.Sessions)
			require.Equal(t, truth.Sessions, got.SessionsSeen)
			require.Equal(t, paid, got.Candidates[0].Completed)
			require.Equal(t, entered, got.Candidates[0].Entered)
		})
	}
}

// crossTraffic is traces crossing services: 30 go gateway → orders →
// payments (a consumer), 10 stop at orders; none carries a session.
func crossTraffic() []*tracepb.ResourceSpans {
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	var out []*tracepb.ResourceSpans
	add := func(service string, sp *tracepb.Span) {
		out = append(out, &tracepb.ResourceSpans{
			Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", service)}},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{sp}}},
		})
	}
	for i := range 40 {
		tid, _ := hex.DecodeString("0a" + strings.Repeat("0", 28) + hex.EncodeToString([]byte{byte(i)}))
		at := start.Add(time.Duration(i) * time.Minute)
		span := func(n int, name string, kind tracepb.Span_SpanKind, off time.Duration) *tracepb.Span {
			return &tracepb.Span{
				TraceId: tid, SpanId: []byte{0: byte(i), 7: byte(n)}, Name: name, Kind: kind,
				StartTimeUnixNano: uint64(at.Add(off).UnixNano()), EndTimeUnixNano: uint64(at.Add(off + 10*time.Millisecond).UnixNano()),
				Attributes: []*commonpb.KeyValue{str("user.tier", "pro")},
			}
		}
		add("gateway", span(1, "GET /checkout", tracepb.Span_SPAN_KIND_SERVER, 0))
		add("gateway", span(2, "POST orders", tracepb.Span_SPAN_KIND_CLIENT, time.Millisecond))
		add("orders", span(3, "POST /orders", tracepb.Span_SPAN_KIND_SERVER, 2*time.Millisecond))
		if i < 30 {
			add("payments", span(4, "charge process", tracepb.Span_SPAN_KIND_CONSUMER, time.Second))
		}
	}
	return out
}

func TestFlowsAcrossServicesInsideTracesAreFound(t *testing.T) {
	t.Parallel()
	for _, src := range sourcetest.Sources(t, crossTraffic()) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			got, err := discover.Discover(context.Background(), src.Source, discover.Options{Now: func() time.Time { return start.Add(time.Hour) }})
			require.NoError(t, err)
			require.Zero(t, got.Sessions)
			require.Equal(t, 40, got.Traces)
			require.Equal(t, []discover.Candidate{{
				Journey: journeys.Journey{
					APIVersion: journeys.APIVersion, Kind: journeys.Kind,
					Metadata: journeys.Metadata{Slug: "checkout-to-charge-process", Name: "Checkout to Charge process"},
					Spec: journeys.Spec{
						Correlation: journeys.Correlation{By: "trace"},
						Segments:    []string{"span.user.tier"},
						Steps: []journeys.Step{
							{Name: "Checkout", Match: journeys.Pattern{Service: "gateway", Span: "GET /checkout", Kind: "server"}},
							{Name: "Orders", Match: journeys.Pattern{Service: "orders", Span: "POST /orders", Kind: "server"}},
							{Name: "Charge process", Match: journeys.Pattern{Service: "payments", Span: "charge process", Kind: "consumer"}},
						},
					},
				},
				By: "trace",
				Steps: []draft.SpanRef{
					{Service: "gateway", Name: "GET /checkout", Kind: "server"},
					{Service: "orders", Name: "POST /orders", Kind: "server"},
					{Service: "payments", Name: "charge process", Kind: "consumer"},
				},
				Completed: 30,
				Entered:   40,
				Summary:   "gateway GET /checkout → orders POST /orders → payments charge process seen in 30 traces in the last hour",
			}}, got.Candidates)
		})
	}
}

func TestMiningIsBoundedAndSaysSo(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t, 100)
	src := sourcetest.Store(t, tr.OTLP())
	got, err := discover.Discover(context.Background(), src, discover.Options{Now: now, MaxSpans: 50})
	require.NoError(t, err)
	require.True(t, got.Partial)
	require.Equal(t, "stopped after 50 server and consumer spans", got.Reason)
	require.Equal(t, int64(50), got.Spans)

	_, err = discover.Discover(context.Background(), src, discover.Options{SessionKey: "session.id"})
	require.ErrorContains(t, err, `session key "session.id" must be a span. or resource. attribute`)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// BenchmarkDiscoverDemoHour mines one hour of `waymark demo` traffic at
// its default rate (7,200 sessions) on the embedded store.
func BenchmarkDiscoverDemoHour(b *testing.B) {
	live := demo.DefaultLiveConfig()
	cfg := live.Model
	cfg.Seed = 1
	cfg.Start = start
	cfg.Duration = time.Hour
	cfg.Sessions = int(live.Rate * time.Hour.Seconds())
	tr, err := demo.Plan(cfg)
	require.NoError(b, err)
	src := sourcetest.Store(b, tr.OTLP())
	var got *discover.Result
	for b.Loop() {
		got, err = discover.Discover(context.Background(), src, discover.Options{Now: func() time.Time { return start.Add(time.Hour) }})
		require.NoError(b, err)
	}
	require.False(b, got.Partial)
	require.Equal(b, "login-to-payments", got.Candidates[0].Journey.Metadata.Slug)
	b.ReportMetric(float64(got.Spans), "spans/op")
	b.ReportMetric(float64(got.Sessions), "sessions/op")
}

// TestLiveTempoDiscovery mines the Tempo of WAYMARK_TEST_TEMPO_URL after
// sending shop traffic to it. Other traffic there only adds sessions, so
// the shop funnel must be among the candidates with at least the sessions
// that paid here.
func TestLiveTempoDiscovery(t *testing.T) {
	live := sourcetest.LiveTempo(t)
	t.Parallel()
	cfg := demo.DefaultConfig()
	cfg.Seed = time.Now().UnixNano()
	cfg.Environment = sourcetest.Environment()
	cfg.Sessions = 200
	cfg.Duration = 3 * time.Minute
	cfg.Start = time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	to := time.Now().Truncate(time.Minute).Add(time.Minute)
	pay := demo.Steps()[demo.NumSteps-1].Pattern()
	pay.Attributes = []journeys.Matcher{{Key: "resource.deployment.environment", Op: journeys.OpEq, Value: journeys.StringValue(cfg.Environment)}}
	live.Send(t, tr.OTLP(), pay, truth.Steps[demo.NumSteps-1].RootSpans, cfg.Start.Truncate(time.Minute), to)

	got, err := discover.Discover(context.Background(), live.Source, discover.Options{Now: func() time.Time { return to }, MaxSessions: 1_000_000})
	require.NoError(t, err)
	shop := shopJourney(t)
	for _, c := range got.Candidates {
		if len(c.Steps) != demo.NumSteps {
			continue
		}
		same := true
		for k, st := range c.Journey.Spec.Steps {
			m := shop.Spec.Steps[k].Match
			same = same && st.Match.Service == m.Service && st.Match.Span == m.Span && st.Match.Kind == m.Kind
		}
		if same {
			require.GreaterOrEqual(t, c.Completed, int64(truth.Funnel[demo.NumSteps-1].Sessions))
			return
		}
	}
	t.Fatalf("no candidate is the shop funnel: %+v (partial %v %s, %d spans, %d sessions)", got.Candidates, got.Partial, got.Reason, got.Spans, got.Sessions)
}
