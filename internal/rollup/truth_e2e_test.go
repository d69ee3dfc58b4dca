package rollup_test

import (
	"cmp"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

// e2e is one database holding spans (the embedded store), journeys and
// their rollups, as `waymark demo` runs them.
type e2e struct {
	ctx      context.Context
	pool     *pgxpool.Pool
	spans    *spanstore.Store
	rollups  *rollup.Store
	journeys *journeystore.Store
}

func newE2E(t *testing.T) e2e {
	t.Helper()
	pool := pgtest.New(t)
	return e2e{
		ctx:      context.Background(),
		pool:     pool,
		spans:    spanstore.NewStore(pool, nil),
		rollups:  rollup.NewStore(pool),
		journeys: journeystore.New(pool),
	}
}

// send pushes traffic through the embedded store's OTLP/HTTP receiver, the
// way instrumented services do; it returns once every span is committed.
func (e e2e) send(t *testing.T, tr *demo.Traffic) {
	t.Helper()
	rcv := spanstore.NewReceiver(e.spans, spanstore.Config{}, nil)
	ctx, cancel := context.WithCancel(e.ctx)
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
	require.NoError(t, tr.Send(e.ctx, srv.URL))
}

// create stores j and returns its version.
func (e e2e) create(t *testing.T, j journeys.Journey) int {
	t.Helper()
	rec, err := e.journeys.CreateJourney(e.ctx, j, "test")
	require.NoError(t, err)
	return rec.Version
}

// rollUp aggregates j over r from the embedded store, carrying on from open
// (nil: a first run), and writes the result.
func (e e2e) rollUp(t *testing.T, j journeys.Journey, version int, r rollup.Range, open *rollup.Open) *rollup.Result {
	t.Helper()
	res, err := rollup.Aggregate(e.ctx, e.spans, j, r, open)
	require.NoError(t, err)
	require.NoError(t, e.rollups.Write(e.ctx, res, rollup.WriteOptions{Version: version}))
	return res
}

func (e e2e) stats(t *testing.T, slug string, from, to time.Time, seg *rollup.Segment) rollup.JourneyStats {
	t.Helper()
	st, err := e.rollups.Stats(e.ctx, slug, from, to, seg)
	require.NoError(t, err)
	return st
}

func exampleJourney(t *testing.T, file string) journeys.Journey {
	t.Helper()
	b, err := examples.FS.ReadFile(file)
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	require.Len(t, js, 1)
	return js[0]
}

// planShop plans the demo shop's default model: sessions over 30 minutes
// from start, with the bad deploy in the middle.
func planShop(t *testing.T, start time.Time, sessions int) *demo.Traffic {
	t.Helper()
	cfg := demo.DefaultConfig()
	cfg.Seed = 11
	cfg.Start = start
	cfg.Sessions = sessions
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	return tr
}

// truthKey is the demo's attribute behind a span-scoped segment key.
func truthKey(segmentKey string) string { return strings.TrimPrefix(segmentKey, "span.") }

// stepWant is what one step must show in one segment.
type stepWant struct {
	spans, errors, reached int64
	conversion             float64
	inFlight               int64
	latency                demo.Latency
	// fromPrevious are the exact times from the previous step, sorted.
	fromPrevious []time.Duration
}

// sessionRun is what one session sent, for the numbers the truth does not
// spell out: times between steps and in-flight instances.
type sessionRun struct {
	s      *demo.Session
	starts []time.Time // root span start of each step sent
}

func sessionRuns(tr *demo.Traffic) []sessionRun {
	idx := map[*demo.Session]int{}
	var out []sessionRun
	for _, x := range tr.Traces() {
		i, ok := idx[x.Session]
		if !ok {
			i = len(out)
			idx[x.Session] = i
			out = append(out, sessionRun{s: x.Session})
		}
		out[i].starts = append(out[i].starts, x.Root().Start)
	}
	return out
}

// shopWant is what the shop journey must show per step, in all traffic
// (key "") or in one segment, when every window closed before horizon.
// A session counts in the segment it entered with: the demo's sessions
// never change tier, region or version.
func shopWant(truth *demo.Truth, runs []sessionRun, key, value string, horizon time.Time) []stepWant {
	out := make([]stepWant, demo.NumSteps)
	for i, st := range truth.Steps {
		w := &out[i]
		if key == "" {
			w.spans, w.errors = int64(st.RootSpans), int64(st.Errors)
			w.reached = int64(truth.Funnel[i].Sessions)
			w.latency = st.Latency
			continue
		}
		if g := st.By[truthKey(key)][value]; g != nil {
			w.spans, w.errors, w.reached = int64(g.Sessions), int64(g.Errors), int64(g.Sessions)
			w.latency = g.Latency
		}
	}
	for i := range out {
		switch {
		case i == 0 && out[0].reached > 0:
			out[i].conversion = 1
		case i > 0 && out[i-1].reached > 0:
			out[i].conversion = float64(out[i].reached) / float64(out[i-1].reached)
		}
	}
	window := 30 * time.Minute
	for _, r := range runs {
		if key != "" && r.s.Segment(truthKey(key)) != value {
			continue
		}
		for k := 1; k < len(r.starts); k++ {
			out[k].fromPrevious = append(out[k].fromPrevious, r.starts[k].Sub(r.starts[k-1]))
		}
		if len(r.starts) < demo.NumSteps && r.starts[0].Add(window).After(horizon) {
			for k := range r.starts {
				out[k].inFlight++
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].fromPrevious)
	}
	return out
}

// checkSteps compares a journey's stats with what was sent, exactly for
// counts and within the sketches' 1% for percentiles.
func checkSteps(t *testing.T, label string, st rollup.JourneyStats, want []stepWant) {
	t.Helper()
	require.Len(t, st.Steps, len(want), label)
	var inFlight int64
	for k, w := range want {
		got := st.Steps[k]
		require.Equal(t, k, got.Step, label)
		require.Equal(t, w.spans, got.Spans, "%s step %d spans", label, k)
		require.Equal(t, w.errors, got.Errors, "%s step %d errors", label, k)
		require.Equal(t, w.reached, got.Reached, "%s step %d reached", label, k)
		require.Equal(t, w.conversion, got.ConversionFromPrevious, "%s step %d conversion", label, k)
		require.Equal(t, w.inFlight, got.InFlight, "%s step %d in flight", label, k)
		if k == 0 {
			inFlight = w.inFlight
		}
		if w.spans == 0 {
			require.Zero(t, got.P50, "%s step %d", label, k)
			continue
		}
		require.Equal(t, float64(w.errors)/float64(w.spans), got.ErrorRate, "%s step %d error rate", label, k)
		for _, q := range []struct {
			q   float64
			got float64
		}{{0.50, got.P50}, {0.95, got.P95}, {0.99, got.P99}} {
			require.InEpsilon(t, ms(w.latency.Quantile(q.q)), q.got, 0.01, "%s step %d p%v", label, k, q.q*100)
		}
		if k > 0 && len(w.fromPrevious) > 0 {
			prev := demo.Latency{Durations: w.fromPrevious}
			require.InEpsilon(t, ms(prev.Quantile(0.50)), got.TimeFromPreviousP50, 0.01, "%s step %d time from previous p50", label, k)
			require.InEpsilon(t, ms(prev.Quantile(0.95)), got.TimeFromPreviousP95, 0.01, "%s step %d time from previous p95", label, k)
			require.InEpsilon(t, ms(prev.Quantile(0.99)), got.TimeFromPreviousP99, 0.01, "%s step %d time from previous p99", label, k)
			require.Equal(t, int64(len(w.fromPrevious)), got.TimeFromPreviousCount, "%s step %d timed", label, k)
		}
	}
	last := want[len(want)-1].reached
	require.Equal(t, want[0].reached, st.Entered, label)
	require.Equal(t, last, st.Completed, label)
	require.Equal(t, inFlight, st.InFlight, label)
	require.Equal(t, want[0].reached-last-inFlight, st.Dropped, label)
	if want[0].reached > 0 {
		require.Equal(t, float64(last)/float64(want[0].reached), st.Conversion, label)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// segmentValues lists the values of a segment key the traffic carries.
func segmentValues(truth *demo.Truth, key string) []string {
	var out []string
	for v := range truth.SessionsBy[truthKey(key)] {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

type exemplarKey struct {
	trace string
	start int64
	dur   time.Duration
}

func exemplarKeys(ex []rollup.Exemplar) []exemplarKey {
	out := make([]exemplarKey, 0, len(ex))
	for _, e := range ex {
		out = append(out, exemplarKey{e.TraceID, e.Start.UnixNano(), e.Duration})
	}
	return out
}

// wantExemplars picks, from the root spans of step k, the slowest and the
// latest errored, as many as a row keeps.
func wantExemplars(tr *demo.Traffic, k int) (slowest, errored []exemplarKey) {
	for _, x := range tr.Traces() {
		if x.Step != k {
			continue
		}
		r := x.Root()
		e := exemplarKey{x.ID.String(), r.Start.UnixNano(), r.Duration()}
		slowest = append(slowest, e)
		if r.Error {
			errored = append(errored, e)
		}
	}
	slices.SortFunc(slowest, func(a, b exemplarKey) int {
		return cmp.Or(cmp.Compare(b.dur, a.dur), strings.Compare(a.trace, b.trace))
	})
	slices.SortFunc(errored, func(a, b exemplarKey) int {
		return cmp.Or(cmp.Compare(b.start, a.start), strings.Compare(a.trace, b.trace))
	})
	return slowest[:min(len(slowest), rollup.MaxExemplars)], errored[:min(len(errored), rollup.MaxExemplars)]
}

func TestShopRollupsMatchTheTruth(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tr := planShop(t, start, 400)
	truth := tr.Truth()
	runs := sessionRuns(tr)
	e.send(t, tr)

	shop := exampleJourney(t, "shop-checkout.yaml")
	require.Equal(t, 30*time.Minute, rollup.Window(shop))
	version := e.create(t, shop)
	from, to := start, tr.End()
	require.Zero(t, to.UnixNano()%int64(rollup.BucketWidth))
	slug := shop.Metadata.Slug

	// The premise: a real mix of outcomes, so that every check below means
	// something.
	require.Equal(t, truth.Sessions, truth.Funnel[0].Sessions)
	require.Greater(t, truth.Funnel[demo.NumSteps-1].Sessions, 20)
	require.Greater(t, truth.SessionEnd[demo.EndDropped], 50)
	require.Greater(t, truth.SessionEnd[demo.EndError], 5)
	require.Positive(t, truth.Steps[demo.StepIndex(demo.StepPayment)].Errors)

	// A run at the live edge: every session that has not paid yet is
	// still inside its window.
	first := e.rollUp(t, shop, version, rollup.Range{From: from, To: to}, nil)
	live := e.stats(t, slug, from, to, nil)
	checkSteps(t, "live", live, shopWant(truth, runs, "", "", to))
	require.Positive(t, live.InFlight)
	require.Zero(t, live.Dropped)
	// Those are carried to the next run, with the sessions that completed
	// inside a window still open (they must not enter again).
	require.Greater(t, first.Open.Len(), int(live.InFlight))

	// The next run carries on: once every window has closed, what did not
	// pay has dropped.
	horizon := to.Add(rollup.Window(shop))
	e.rollUp(t, shop, version, rollup.Range{From: to, To: horizon}, first.Open)

	all := e.stats(t, slug, from, to, nil)
	checkSteps(t, "all", all, shopWant(truth, runs, "", "", horizon))
	require.Equal(t, int64(truth.Sessions-truth.Funnel[demo.NumSteps-1].Sessions), all.Dropped)
	require.Equal(t, int64(truth.ErrorTraces), all.Errored)
	require.Equal(t, int64(truth.SessionEnd[demo.EndError]), all.Errored)
	require.Equal(t, []int{version}, all.Versions)
	for k, w := range truth.Funnel {
		require.Equal(t, w.Conversion, all.Steps[k].ConversionFromPrevious, w.Step)
	}
	pay := demo.StepIndex(demo.StepPayment)
	require.InDelta(t, float64(truth.Steps[pay].ValueCents)/100, all.Steps[pay].ValueSum, 1e-6)
	for k := range demo.NumSteps {
		slowest, errored := wantExemplars(tr, k)
		require.Equal(t, slowest, exemplarKeys(all.Steps[k].Slowest), "step %d slowest", k)
		require.Equal(t, errored, exemplarKeys(all.Steps[k].Errored), "step %d errored", k)
	}

	// Every segment: spans under their own values, sessions under the
	// values they entered with.
	segs := []*rollup.Segment{nil}
	for _, key := range shop.Spec.Segments {
		vals := segmentValues(truth, key)
		require.GreaterOrEqual(t, len(vals), 2, key)
		var entered int64
		for _, v := range vals {
			seg := &rollup.Segment{Key: key, Value: v}
			segs = append(segs, seg)
			st := e.stats(t, slug, from, to, seg)
			checkSteps(t, key+"="+v, st, shopWant(truth, runs, key, v, horizon))
			require.Equal(t, int64(truth.SessionsBy[truthKey(key)][v]), st.Entered, "%s=%s", key, v)
			entered += st.Entered
		}
		require.Equal(t, all.Entered, entered, key)
	}

	// Recounting it all in one run gives the same numbers.
	before := make([]rollup.JourneyStats, len(segs))
	for i, seg := range segs {
		before[i] = e.stats(t, slug, from, to, seg)
	}
	e.rollUp(t, shop, version, rollup.Range{From: from, To: horizon}, nil)
	for i, seg := range segs {
		require.Equal(t, before[i], e.stats(t, slug, from, to, seg), "segment %v", seg)
	}

	// Five minutes in the middle are the truth's minutes summed: spans by
	// their start, sessions by the minute they entered.
	subFrom, subTo := from.Add(10*time.Minute), from.Add(15*time.Minute)
	sub := e.stats(t, slug, subFrom, subTo, nil)
	in := func(m time.Time) bool { return !m.Before(subFrom) && m.Before(subTo) }
	reached := make([]int64, demo.NumSteps)
	for _, c := range truth.Cohorts {
		if in(c.Minute) {
			for k, n := range c.Reached {
				reached[k] += int64(n)
			}
		}
	}
	require.Positive(t, reached[0])
	for k, s := range truth.Steps {
		var spans, errs int64
		for _, m := range s.PerMinute {
			if in(m.Minute) {
				spans += int64(m.RootSpans)
				errs += int64(m.Errors)
			}
		}
		require.Equal(t, spans, sub.Steps[k].Spans, "step %d", k)
		require.Equal(t, errs, sub.Steps[k].Errors, "step %d", k)
		require.Equal(t, reached[k], sub.Steps[k].Reached, "step %d", k)
	}
	require.Equal(t, reached[0], sub.Entered)
	require.Equal(t, reached[demo.NumSteps-1], sub.Completed)
}

func TestLoginFlowRollupsMatchTheTruth(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	start := time.Date(2026, 3, 2, 23, 45, 0, 0, time.UTC) // across midnight
	tr := planShop(t, start, 400)
	truth := tr.Truth()
	e.send(t, tr)

	login := exampleJourney(t, "login-flow.yaml")
	require.True(t, login.Spec.Correlation.ByTrace())
	version := e.create(t, login)
	from, to := start, tr.End()
	e.rollUp(t, login, version, rollup.Range{From: from, To: to.Add(rollup.Window(login))}, nil)

	// Every login trace has one user lookup and one password check, inside
	// the login; only the lookup fails, with its login.
	st := truth.Steps[demo.StepIndex(demo.StepLogin)]
	require.Len(t, st.Children, 2)
	lookup, verify := st.Children[0], st.Children[1]
	require.Equal(t, "SELECT users", lookup.Name)
	require.Equal(t, "verify_password", verify.Name)
	require.Equal(t, st.Errors, lookup.ErrorSpans)
	require.Zero(t, verify.ErrorSpans)
	require.Positive(t, st.Errors)

	type row struct{ spans, errors, reached int64 }
	got := func(s rollup.JourneyStats) []row {
		var out []row
		for _, x := range s.Steps {
			out = append(out, row{x.Spans, x.Errors, x.Reached})
		}
		return out
	}
	all := e.stats(t, login.Metadata.Slug, from, to, nil)
	require.Equal(t, []row{
		{int64(st.RootSpans), int64(st.Errors), int64(st.RootSpans)},
		{int64(lookup.Spans), int64(lookup.ErrorSpans), int64(lookup.Spans)},
		{int64(verify.Spans), int64(verify.ErrorSpans), int64(verify.Spans)},
	}, got(all))
	require.Equal(t, int64(st.RootSpans), all.Completed)
	require.Equal(t, int64(st.Errors), all.Errored)
	require.Zero(t, all.InFlight)
	require.Zero(t, all.Dropped)
	require.InEpsilon(t, ms(st.Latency.Quantile(0.95)), all.Steps[0].P95, 0.01)

	// The children carry no tier or region: they count in their login's.
	for _, key := range login.Spec.Segments {
		for _, v := range segmentValues(truth, key) {
			g := st.By[truthKey(key)][v]
			require.NotNil(t, g, "%s=%s", key, v)
			n, errs := int64(g.Sessions), int64(g.Errors)
			s := e.stats(t, login.Metadata.Slug, from, to, &rollup.Segment{Key: key, Value: v})
			require.Equal(t, []row{{n, errs, n}, {n, int64(g.ErrorSpans) - errs, n}, {n, 0, n}}, got(s), "%s=%s", key, v)
			require.InEpsilon(t, ms(g.Latency.Quantile(0.5)), s.Steps[0].P50, 0.01, "%s=%s", key, v)
		}
	}
}
