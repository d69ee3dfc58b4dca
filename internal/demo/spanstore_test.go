package demo

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

// storeWithTraffic sends traffic through the embedded store's OTLP receiver
// into a fresh database and returns the store.
func storeWithTraffic(t *testing.T, tr *Traffic) *spanstore.Store {
	t.Helper()
	store, _ := storeWithTrafficDB(t, tr)
	return store
}

// storeWithTrafficDB is storeWithTraffic with the database, for checks
// of what the store keeps beside what it answers.
func storeWithTrafficDB(t *testing.T, tr *Traffic) (*spanstore.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	store := spanstore.NewStore(pool, nil)
	rcv := spanstore.NewReceiver(store, spanstore.Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rcv.Run(ctx) }()
	mux := http.NewServeMux()
	mux.Handle(spanstore.TracesPath, rcv)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, rcv.Close())
		cancel()
		require.NoError(t, <-done)
	})
	require.NoError(t, tr.Send(context.Background(), srv.URL))
	return store, pool
}

func loadJourney(t *testing.T, file string) journeys.Journey {
	t.Helper()
	b, err := examples.FS.ReadFile(file)
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	require.Len(t, js, 1)
	return js[0]
}

// fetched is what FetchSpans returned for one pattern.
type fetched struct {
	spans, errors int
	durations     []time.Duration
	ids           map[string]bool
	by            map[string]map[string]*SegmentTruth // sessions, errors, value
	valueCents    int64
	perMinute     map[time.Time][2]int
}

// spanFetcher is the part of a trace source these checks read.
type spanFetcher interface {
	FetchSpans(context.Context, journeys.SpanQuery, func(journeys.Span) error) (journeys.FetchStats, error)
}

func fetch(t *testing.T, store spanFetcher, p journeys.Pattern, from, to time.Time) fetched {
	t.Helper()
	sel := []string{"span.user.tier", "span.region", "span.app.version", "span.order.total"}
	f := fetched{ids: map[string]bool{}, by: map[string]map[string]*SegmentTruth{}, perMinute: map[time.Time][2]int{}}
	for _, k := range segmentKeys {
		f.by[k] = map[string]*SegmentTruth{}
	}
	_, err := store.FetchSpans(context.Background(), journeys.SpanQuery{Pattern: p, From: from, To: to, Select: sel}, func(s journeys.Span) error {
		f.spans++
		f.ids[s.TraceID+"/"+s.SpanID] = true
		f.durations = append(f.durations, s.Duration)
		m := f.perMinute[s.Start.Truncate(time.Minute)]
		m[0]++
		var cents int64
		if s.Attrs[3] != "" {
			v, err := strconv.ParseFloat(s.Attrs[3], 64)
			require.NoError(t, err)
			cents = int64(v*100 + 0.5)
			f.valueCents += cents
		}
		if s.Error {
			f.errors++
			m[1]++
		}
		f.perMinute[s.Start.Truncate(time.Minute)] = m
		for i, k := range segmentKeys {
			g := f.by[k][s.Attrs[i]]
			if g == nil {
				g = &SegmentTruth{}
				f.by[k][s.Attrs[i]] = g
			}
			g.Sessions++
			g.ValueCents += cents
			if s.Error {
				g.Errors++
			}
		}
		return nil
	})
	require.NoError(t, err)
	slices.Sort(f.durations)
	return f
}

func TestSpanStoreAnswersTheTruth(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = time.Date(2026, 3, 1, 23, 50, 0, 0, time.UTC) // across midnight: two daily partitions
	cfg.Sessions = 300
	tr, err := Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	store := storeWithTraffic(t, tr)
	from, to := tr.Config().Start, tr.End()

	roots := map[int]map[string]bool{}
	for _, x := range tr.Traces() {
		if roots[x.Step] == nil {
			roots[x.Step] = map[string]bool{}
		}
		roots[x.Step][x.ID.String()+"/"+x.Root().ID.String()] = true
	}

	shop := loadJourney(t, "shop-checkout.yaml")
	require.Len(t, shop.Spec.Steps, NumSteps)
	for i, step := range shop.Spec.Steps {
		want := truth.Steps[i]
		require.Equal(t, Steps()[i].Pattern(), step.Match, step.Name)
		got := fetch(t, store, step.Match, from, to)

		require.Equal(t, want.RootSpans, got.spans, step.Name)
		require.Equal(t, want.Errors, got.errors, step.Name)
		require.Equal(t, roots[i], got.ids, step.Name)
		require.Equal(t, want.Latency.Durations, got.durations, step.Name)
		require.Equal(t, want.ValueCents, got.valueCents, step.Name)
		for _, k := range segmentKeys {
			require.Len(t, got.by[k], len(want.By[k]), "%s %s", step.Name, k)
			for v, seg := range want.By[k] {
				require.Equal(t, seg.Sessions, got.by[k][v].Sessions, "%s %s=%s", step.Name, k, v)
				require.Equal(t, seg.Errors, got.by[k][v].Errors, "%s %s=%s", step.Name, k, v)
				require.Equal(t, seg.ValueCents, got.by[k][v].ValueCents, "%s %s=%s", step.Name, k, v)
			}
		}
		perMinute := map[time.Time][2]int{}
		for _, m := range want.PerMinute {
			if m.RootSpans > 0 {
				perMinute[m.Minute] = [2]int{m.RootSpans, m.Errors}
			}
		}
		require.Equal(t, perMinute, got.perMinute, step.Name)
	}

	// One minute's bucket, fetched on its own, is that minute's truth.
	pay := truth.Steps[StepIndex(StepPayment)]
	for _, m := range pay.PerMinute[:3] {
		got := fetch(t, store, shop.Spec.Steps[4].Match, m.Minute, m.Minute.Add(time.Minute))
		require.Equal(t, m.RootSpans, got.spans, m.Minute)
		require.Equal(t, m.Errors, got.errors, m.Minute)
	}

	// The trace-correlated login journey finds every child of every login.
	login := loadJourney(t, "login-flow.yaml")
	require.Equal(t, truth.Steps[0].RootSpans, fetch(t, store, login.Spec.Steps[0].Match, from, to).spans)
	for i, c := range truth.Steps[0].Children {
		got := fetch(t, store, login.Spec.Steps[i+1].Match, from, to)
		require.Equal(t, c.Spans, got.spans, c.Name)
		require.Equal(t, c.ErrorSpans, got.errors, c.Name)
	}
	// Every child pattern of every step, built from the model.
	for i, info := range Steps() {
		for _, c := range truth.Steps[i].Children {
			got := fetch(t, store, info.ChildPattern(c.Name), from, to)
			require.Equal(t, c.Spans, got.spans, c.Name)
			require.Equal(t, c.ErrorSpans, got.errors, c.Name)
		}
	}

	// Whole traces come back span for span.
	x := tr.Traces()[len(tr.Traces())-1]
	whole, err := store.Trace(context.Background(), x.ID.String())
	require.NoError(t, err)
	require.Len(t, whole.Spans, len(x.Spans))
	for _, sp := range x.Spans {
		i := slices.IndexFunc(whole.Spans, func(w journeys.TraceSpan) bool { return w.SpanID == sp.ID.String() })
		require.GreaterOrEqual(t, i, 0)
		w := whole.Spans[i]
		require.Equal(t, sp.Name, w.Name)
		require.Equal(t, sp.Kind.String(), w.Kind)
		require.Equal(t, sp.Error, w.Error)
		require.True(t, sp.Start.Equal(w.Start))
		require.Equal(t, sp.Duration(), w.Duration)
		require.Equal(t, Steps()[x.Step].Service, w.Service)
	}
}

// Sampled spans reach the store with their tracestate, and the store
// weighs each by its adjusted count: summed, the weights estimate the
// whole traffic's counts.
func TestSpanStoreWeighsSampledSpans(t *testing.T) {
	t.Parallel()
	const p = 0.25
	cfg := DefaultConfig()
	cfg.Start = t0
	cfg.Sessions = 600
	cfg.Sample = p
	tr, err := Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	store, pool := storeWithTrafficDB(t, tr)

	var stored, withThreshold int
	require.NoError(t, pool.QueryRow(context.Background(),
		`SELECT count(*), count(*) FILTER (WHERE trace_state ~ '^ot=th:c;rv:[0-9a-f]{14}$') FROM spans`).Scan(&stored, &withThreshold))
	require.Equal(t, truth.Sampling.Spans, stored)
	require.Equal(t, stored, withThreshold)
	// The tracestate stored is the one planned for the span's session.
	x := tr.Traces()[slices.IndexFunc(tr.Traces(), func(x *Trace) bool { return x.Session.Sampled && x.Step == 1 })]
	var state string
	require.NoError(t, pool.QueryRow(context.Background(),
		`SELECT trace_state FROM spans WHERE span_id = decode($1, 'hex')`, x.Root().ID.String()).Scan(&state))
	require.Equal(t, newSampling(p).traceState(x.Session.Randomness), state)

	kept := make([]int, NumSteps)
	for _, x := range tr.Traces() {
		if x.Session.Sampled {
			kept[x.Step]++
		}
	}
	shop := loadJourney(t, "shop-checkout.yaml")
	for i, step := range shop.Spec.Steps {
		var n int
		var weight float64
		_, err := store.FetchSpans(context.Background(), journeys.SpanQuery{Pattern: step.Match, From: cfg.Start, To: tr.End()}, func(s journeys.Span) error {
			n++
			weight += s.Weight
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, kept[i], n, step.Name)
		require.Equal(t, 4*float64(kept[i]), weight, step.Name)
		all := float64(truth.Steps[i].RootSpans)
		require.InDelta(t, all, weight, 4*math.Sqrt(all*(1-p)/p), step.Name)
	}
}
