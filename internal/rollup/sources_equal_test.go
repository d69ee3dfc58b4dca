package rollup_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/journeys"
)

// The recorded Tempo fixtures live with the Tempo client: the traffic they
// were recorded from is the ground truth both sources must agree on.
const tempoFixtures = "../tempo/testdata"

// Queries the Tempo source must send for cartJourney: the cart one exactly
// as recorded in search_cart_select_limit2000_spss3.json.
const (
	recordedCartQuery = `{ resource.service.name = "cart_svc" && name = "POST /cart/items" } | select(span.session.id, span.user.tier, status, duration)`
	checkoutQuery     = `{ resource.service.name = "checkout_svc" && name = "POST /checkout" } | select(span.session.id, span.user.tier, status, duration)`
)

// The window the fixture was recorded over, [07:47, 08:16) UTC: every cart
// span starts inside it.
var (
	fixtureFrom = time.Unix(1795506420, 0).UTC()
	fixtureTo   = time.Unix(1795508160, 0).UTC()
)

// cartJourney goes from adding to the cart to checking out in one session.
// Step 1 sets no kind, so that its TraceQL is the recorded query.
func cartJourney() journeys.Journey {
	return journeys.Journey{
		APIVersion: journeys.APIVersion,
		Kind:       journeys.Kind,
		Metadata:   journeys.Metadata{Slug: "cart-to-checkout", Name: "Cart to checkout"},
		Spec: journeys.Spec{
			Correlation: journeys.Correlation{By: "span.session.id", Window: journeys.NewDuration(30 * time.Minute)},
			Segments:    []string{"span.user.tier"},
			Steps: []journeys.Step{
				{Name: "Add to cart", Match: journeys.Pattern{Service: "cart_svc", Span: "POST /cart/items"}},
				{Name: "Checkout", Match: journeys.Pattern{Service: "checkout_svc", Span: "POST /checkout"}},
			},
		},
	}
}

// fixtureTrace is one line of traces_subset.jsonl: a root span exactly as
// it was sent to Tempo.
type fixtureTrace struct {
	TraceID    string `json:"trace_id"`
	RootSpanID string `json:"root_span_id"`
	SessionID  string `json:"session_id"`
	UserTier   string `json:"user_tier"`
	Region     string `json:"region"`
	AppVersion string `json:"app_version"`
	Step       string `json:"step"`
	Service    string `json:"service"`
	Name       string `json:"root_span_name"`
	Error      bool   `json:"error"`
	StartNs    uint64 `json:"start_unix_nano"`
	EndNs      uint64 `json:"end_unix_nano"`
}

func readFixtureTraces(t *testing.T) []fixtureTrace {
	t.Helper()
	f, err := os.Open(filepath.Join(tempoFixtures, "traces_subset.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var out []fixtureTrace
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r fixtureTrace
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		out = append(out, r)
	}
	require.NoError(t, sc.Err())
	return out
}

// fixtureStep is one step of the recorded truth.json.
type fixtureStep struct {
	Step     string `json:"step"`
	Sessions int64  `json:"sessions"`
	Errors   int64  `json:"errors"`
	ByTier   map[string]struct {
		Sessions int64 `json:"sessions"`
		Errors   int64 `json:"errors"`
	} `json:"by_tier"`
}

func readFixtureStep(t *testing.T, step string) fixtureStep {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tempoFixtures, "truth.json"))
	require.NoError(t, err)
	var truth struct {
		Steps []fixtureStep `json:"steps"`
	}
	require.NoError(t, json.Unmarshal(b, &truth))
	i := slices.IndexFunc(truth.Steps, func(s fixtureStep) bool { return s.Step == step })
	require.GreaterOrEqual(t, i, 0, step)
	return truth.Steps[i]
}

// fakeTempo replays the recorded cart search, and an empty but complete
// result for checkout, checking every request as Tempo would receive it.
type fakeTempo struct {
	t        *testing.T
	cart     []byte
	mu       sync.Mutex
	requests map[string]int // by decoded q
}

func (f *fakeTempo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fail := func(format string, args ...any) {
		f.t.Errorf("tempo request %s: "+format, append([]any{r.URL.String()}, args...)...)
		http.Error(w, "unexpected request", http.StatusBadRequest)
	}
	if r.Method != http.MethodGet || r.URL.Path != "/api/search" {
		fail("want GET /api/search")
		return
	}
	if q.Get("limit") != "2000" || q.Get("spss") != "3" {
		fail("want limit=2000 and spss=3")
		return
	}
	start, err1 := strconv.ParseInt(q.Get("start"), 10, 64)
	end, err2 := strconv.ParseInt(q.Get("end"), 10, 64)
	if err1 != nil || err2 != nil {
		fail("want numeric start and end")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if end <= fixtureFrom.Unix() || start >= fixtureTo.Unix() {
		// Before or after the recording: nothing there.
		_, _ = w.Write([]byte(`{"traces":[],"metrics":{"inspectedBytes":"0","completedJobs":1,"totalJobs":1}}`))
		return
	}
	if start > fixtureFrom.Unix() || end < fixtureTo.Unix() {
		fail("want a range covering [%d, %d]", fixtureFrom.Unix(), fixtureTo.Unix())
		return
	}
	f.mu.Lock()
	f.requests[q.Get("q")]++
	f.mu.Unlock()
	switch q.Get("q") {
	case recordedCartQuery:
		_, _ = w.Write(f.cart)
	case checkoutQuery:
		_, _ = w.Write([]byte(`{"traces":[],"metrics":{"inspectedBytes":"3835572","totalBlocks":1,"completedJobs":4,"totalJobs":4,"totalBlockBytes":"1603631"}}`))
	default:
		fail("unexpected query %q", q.Get("q"))
	}
}

// embeddedFixture stores the fixture's root spans in a fresh embedded store,
// each with the attributes and status it was sent with.
func embeddedFixture(t *testing.T, traces []fixtureTrace) *spanstore.Store {
	t.Helper()
	ss := spanstore.NewStore(pgtest.New(t), nil)
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	var rss []*tracepb.ResourceSpans
	for _, x := range traces {
		tid, err := hex.DecodeString(x.TraceID)
		require.NoError(t, err)
		sid, err := hex.DecodeString(x.RootSpanID)
		require.NoError(t, err)
		status := &tracepb.Status{}
		if x.Error {
			status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "internal server error"}
		}
		rss = append(rss, &tracepb.ResourceSpans{
			Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", x.Service)}},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
				TraceId:           tid,
				SpanId:            sid,
				Name:              x.Name,
				Kind:              tracepb.Span_SPAN_KIND_SERVER,
				StartTimeUnixNano: x.StartNs,
				EndTimeUnixNano:   x.EndNs,
				Status:            status,
				Attributes: []*commonpb.KeyValue{
					str(demo.AttrSessionID, x.SessionID),
					str(demo.AttrUserTier, x.UserTier),
					str(demo.AttrRegion, x.Region),
					str(demo.AttrAppVersion, x.AppVersion),
				},
			}}}},
		})
	}
	n, err := ss.Insert(context.Background(), rss)
	require.NoError(t, err)
	require.Equal(t, int64(len(traces)), n)
	return ss
}

// canonical replaces each sketch with its decoded encoding: two sketches
// with the same counts can differ in their in-memory layout, which depends
// on the order spans arrived in, and no source promises an order.
func canonical(t *testing.T, res *rollup.Result) ([]rollup.StepRow, []rollup.FunnelRow) {
	t.Helper()
	canon := func(sk *sketch.Sketch) *sketch.Sketch {
		b, err := sk.MarshalBinary()
		require.NoError(t, err)
		out, err := sketch.Decode(b)
		require.NoError(t, err)
		return out
	}
	steps := slices.Clone(res.Steps)
	for i := range steps {
		steps[i].Latency = canon(steps[i].Latency)
	}
	funnels := slices.Clone(res.Funnels)
	for i := range funnels {
		times := make([]*sketch.Sketch, len(funnels[i].StepTimes))
		for k, sk := range funnels[i].StepTimes {
			times[k] = canon(sk)
		}
		funnels[i].StepTimes = times
	}
	return steps, funnels
}

func TestTempoAndEmbeddedStoreGiveTheSameRollups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := cartJourney()
	require.NoError(t, j.Validate())
	q, err := tempo.CompilePattern(j.Spec.Steps[0].Match, j.SelectKeys())
	require.NoError(t, err)
	require.Equal(t, recordedCartQuery, q)

	cart, err := os.ReadFile(filepath.Join(tempoFixtures, "search_cart_select_limit2000_spss3.json"))
	require.NoError(t, err)
	fake := &fakeTempo{t: t, cart: cart, requests: map[string]int{}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client, err := tempo.New(tempo.Options{BaseURL: srv.URL, MaxRetries: -1})
	require.NoError(t, err)
	tempoSrc := tempo.NewSource(client, tempo.SourceOptions{Limit: 2000, SpansPerSpanSet: 3})

	traces := readFixtureTraces(t)
	require.Len(t, traces, 1151) // the cart traces and two of other steps
	embedded := embeddedFixture(t, traces)

	// The recorded window and a window after it, when every session's
	// window has closed, in one first run: step 1 is read from two windows
	// before, step 2 from one; the recording lies in one slice of each, so
	// each is one search of it.
	r := rollup.Range{From: fixtureFrom, To: fixtureTo.Add(30 * time.Minute)}
	fromTempo, err := rollup.Aggregate(ctx, tempoSrc, j, r, nil)
	require.NoError(t, err)
	fromStore, err := rollup.Aggregate(ctx, embedded, j, r, nil)
	require.NoError(t, err)

	require.Equal(t, map[string]int{recordedCartQuery: 1, checkoutQuery: 1}, fake.requests)
	// Each step's range is two slices of the source: the recording's and an
	// empty one.
	require.Equal(t, 4, fromTempo.Fetch.Requests)
	require.Equal(t, int64(1149), fromTempo.Fetch.Spans)
	require.Equal(t, int64(1149), fromStore.Fetch.Spans)

	tempoSteps, tempoFunnels := canonical(t, fromTempo)
	storeSteps, storeFunnels := canonical(t, fromStore)
	require.Equal(t, storeSteps, tempoSteps)
	require.Equal(t, storeFunnels, tempoFunnels)
	require.Equal(t, fromStore.SpansRead, fromTempo.SpansRead)
	require.Equal(t, fromStore.Range, fromTempo.Range)

	// Both equal the truth of the recorded traffic.
	truth := readFixtureStep(t, demo.StepAddToCart)
	type count struct{ spans, errors, entered, converted int64 }
	want := map[rollup.Segment]count{{}: {truth.Sessions, truth.Errors, truth.Sessions, 0}}
	for tier, c := range truth.ByTier {
		want[rollup.Segment{Key: "span.user.tier", Value: tier}] = count{c.Sessions, c.Errors, c.Sessions, 0}
	}
	require.Equal(t, map[rollup.Segment]count{
		{}: {1149, 24, 1149, 0},
		{Key: "span.user.tier", Value: "enterprise"}: {150, 4, 150, 0},
		{Key: "span.user.tier", Value: "free"}:       {615, 11, 615, 0},
		{Key: "span.user.tier", Value: "pro"}:        {384, 9, 384, 0},
	}, want)
	got := map[rollup.Segment]count{}
	all := &sketch.Sketch{}
	for _, row := range tempoSteps {
		require.Zero(t, row.Step, "no checkout spans were recorded")
		c := got[row.Segment]
		c.spans += row.Spans
		c.errors += row.Errors
		got[row.Segment] = c
		if row.Segment.All() {
			all.Merge(row.Latency)
		}
	}
	for _, row := range tempoFunnels {
		require.Len(t, row.Reached, 2)
		require.Zero(t, row.InFlight[0], "every window closed before the horizon")
		c := got[row.Segment]
		c.entered += row.Reached[0]
		c.converted += row.Reached[1]
		got[row.Segment] = c
	}
	require.Equal(t, want, got)

	// Percentiles within 1% of the exact nearest rank of what was sent.
	var durs []time.Duration
	for _, x := range traces {
		if x.Step == demo.StepAddToCart {
			durs = append(durs, time.Duration(x.EndNs-x.StartNs))
		}
	}
	slices.Sort(durs)
	exact := demo.Latency{Durations: durs}
	for _, q := range []float64{0.5, 0.95, 0.99} {
		require.InEpsilon(t, float64(exact.Quantile(q)), all.QuantileNanos(q), 0.01, "p%v", q*100)
	}
}
