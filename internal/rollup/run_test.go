package rollup_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/journeys"
)

// clock is a settable time.
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

func (b bundle) runner(src rollup.TraceSource, c *clock) *rollup.Runner {
	// No late spans here: the lookback is never recounted.
	return rollup.NewRunner(src, b.rollups, rollup.RunOptions{History: 2 * time.Hour, Now: c.Now, Budget: time.Hour, LateEvery: 24 * time.Hour})
}

func (b bundle) stats(t *testing.T, slug string, from, to time.Time) rollup.JourneyStats {
	t.Helper()
	st, err := b.rollups.Stats(b.ctx, slug, from, to, nil)
	require.NoError(t, err)
	clearSketches(&st)
	return st
}

func reachedOf(st rollup.JourneyStats) []int64 {
	var out []int64
	for _, s := range st.Steps {
		out = append(out, s.Reached)
	}
	return out
}

func TestRunnerCatchesUpThenReadsOnlyWhatIsNew(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	src := &rolluptest.Source{}
	src.Add(sessionSpans()...)
	c := &clock{t: at(125 * time.Minute)}
	r := b.runner(src, c)

	// A journey never rolled up starts History before the edge, and catches
	// up hour by hour (the first part recounting the window before it).
	rep, err := r.Run(b.ctx, j, v, at(125*time.Minute), 0)
	require.NoError(t, err)
	require.False(t, rep.Skipped)
	require.Equal(t, at(5*time.Minute), rep.From)
	require.Equal(t, at(125*time.Minute), rep.To)
	var ranges [][2]time.Time
	for _, q := range src.Queries() {
		ranges = append(ranges, [2]time.Time{q.From, q.To})
	}
	require.Equal(t, [][2]time.Time{
		{at(-55 * time.Minute), at(60 * time.Minute)}, {at(-25 * time.Minute), at(60 * time.Minute)}, {at(-25 * time.Minute), at(60 * time.Minute)},
		{at(60 * time.Minute), at(120 * time.Minute)}, {at(60 * time.Minute), at(120 * time.Minute)}, {at(60 * time.Minute), at(120 * time.Minute)},
		{at(120 * time.Minute), at(125 * time.Minute)}, {at(120 * time.Minute), at(125 * time.Minute)}, {at(120 * time.Minute), at(125 * time.Minute)},
	}, ranges)
	require.NoError(t, b.rollups.RecordRun(b.ctx, rep))
	fr, err := b.rollups.Freshness(b.ctx, "checkout")
	require.NoError(t, err)
	require.Equal(t, at(125*time.Minute), fr.CompleteThrough)
	require.Equal(t, int64(17), fr.LastSpans) // all but D's step 2 at 125m
	require.Equal(t, int64(17), fr.LastNewSpans)
	require.Equal(t, 2, fr.OpenInstances) // D and F, whose windows are open

	// D and F are in flight at 125m; D's step 2 starts then, so it is not
	// read yet.
	st := b.stats(t, "checkout", at(60*time.Minute), at(120*time.Minute))
	require.Equal(t, []int64{5, 3, 1}, reachedOf(st))
	require.Equal(t, int64(2), st.InFlight)

	// Minute by minute, each run reads its minute only, and the windows
	// close: in flight becomes dropped.
	for m := 126; m <= 150; m++ {
		before := len(src.Queries())
		c.Set(at(time.Duration(m) * time.Minute))
		rep, err := r.Run(b.ctx, j, v, at(time.Duration(m)*time.Minute), 0)
		require.NoError(t, err)
		for _, q := range src.Queries()[before:] {
			require.Equal(t, [2]time.Time{at(time.Duration(m-1) * time.Minute), at(time.Duration(m) * time.Minute)}, [2]time.Time{q.From, q.To})
		}
		require.Equal(t, rep.Spans, rep.NewSpans)
	}
	st = b.stats(t, "checkout", at(60*time.Minute), at(120*time.Minute))
	require.Equal(t, []int64{5, 4, 1}, reachedOf(st))
	require.Zero(t, st.InFlight)
	require.Equal(t, int64(4), st.Dropped)

	// Exactly what one recount of it all holds.
	other := j
	other.Metadata.Slug = "checkout-once"
	v2 := b.put(t, other)
	b.compute(t, other, v2, rollup.Range{From: at(5 * time.Minute), To: at(150 * time.Minute)}, sessionSpans(), false)
	once := b.stats(t, "checkout-once", at(0), at(150*time.Minute))
	got := b.stats(t, "checkout", at(0), at(150*time.Minute))
	once.Slug, once.Versions = got.Slug, got.Versions
	require.Equal(t, once, got)
}

// lateSource says where late spans are, as the embedded store and Tempo
// can.
type lateSource struct {
	*rolluptest.Source
	mu    sync.Mutex
	first time.Time
	asked []rollup.LateQuery
}

// Cutoff is zero: this source, like Tempo, compares counts.
func (s *lateSource) Cutoff(context.Context) (time.Time, error) { return time.Time{}, nil }

func (s *lateSource) FirstLate(_ context.Context, q rollup.LateQuery) (time.Time, bool, journeys.FetchStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, q)
	cost := journeys.FetchStats{Requests: 1, InspectedBytes: 100}
	if s.first.IsZero() || s.first.Before(q.From) || !s.first.Before(q.To) {
		return time.Time{}, false, cost, nil
	}
	return s.first, true, cost, nil
}

func TestRunnerRecountsLateSpans(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	var onTime, late []rolluptest.Span
	for _, s := range sessionSpans() {
		if s.Name == "s2" && s.Attrs["span.session.id"] == "D" {
			late = append(late, s) // 125m, but arrives at 140m
			continue
		}
		onTime = append(onTime, s)
	}
	src := &lateSource{Source: &rolluptest.Source{}}
	src.Add(onTime...)
	c := &clock{t: at(130 * time.Minute)}
	r := rollup.NewRunner(src, b.rollups, rollup.RunOptions{History: 2 * time.Hour, Now: c.Now, LateEvery: 10 * time.Minute})
	_, err := r.Run(b.ctx, j, v, at(130*time.Minute), 0)
	require.NoError(t, err)
	require.Equal(t, []int64{5, 3, 1}, reachedOf(b.stats(t, "checkout", at(60*time.Minute), at(120*time.Minute))))
	require.Empty(t, src.asked, "what a first run read cannot have arrived late")

	// D's step 2 arrives; the next check (not before ten minutes) finds it
	// and recounts from its minute only.
	src.Add(late...)
	src.mu.Lock()
	src.first = at(125 * time.Minute)
	src.mu.Unlock()
	c.Set(at(135 * time.Minute))
	rep, err := r.Run(b.ctx, j, v, at(135*time.Minute), 0)
	require.NoError(t, err)
	require.Zero(t, rep.RecountSpans)
	require.Empty(t, src.asked)
	c.Set(at(141 * time.Minute))
	before := len(src.Queries())
	rep, err = r.Run(b.ctx, j, v, at(141*time.Minute), 0)
	require.NoError(t, err)
	require.Len(t, src.asked, 1)
	q := src.asked[0]
	// A source that counts gets the lookback and the counts; no arrival
	// times.
	require.Equal(t, [2]time.Time{at(21 * time.Minute), at(141 * time.Minute)}, [2]time.Time{q.From, q.To})
	require.True(t, q.Since.IsZero())
	require.Empty(t, q.Reads)
	require.Equal(t, int64(2), q.Counted(1, at(70*time.Minute))) // A's and C's step 2
	require.Zero(t, q.Counted(1, at(125*time.Minute)))
	recount := src.Queries()[before+3:]
	require.Len(t, recount, 3)
	// From the late minute, with the windows before it for context.
	require.Equal(t, [2]time.Time{at(65 * time.Minute), at(141 * time.Minute)}, [2]time.Time{recount[0].From, recount[0].To})
	require.Equal(t, [2]time.Time{at(95 * time.Minute), at(141 * time.Minute)}, [2]time.Time{recount[1].From, recount[1].To})
	require.Equal(t, int64(8+1+3), rep.RecountSpans)
	require.Equal(t, int64(100), rep.Fetch.InspectedBytes, "the run's cost includes looking for late spans")
	st := b.stats(t, "checkout", at(60*time.Minute), at(120*time.Minute))
	require.Equal(t, []int64{5, 4, 1}, reachedOf(st))
	none, err := b.rollups.Stats(b.ctx, "checkout", at(60*time.Minute), at(150*time.Minute), &rollup.Segment{Key: "span.tier", Value: rollup.NoneValue})
	require.NoError(t, err)
	require.Equal(t, int64(4), none.Steps[1].Spans) // A's two, C's, and D's late one: none carries a tier
}

func TestRunnerWithoutLateFinderRecountsTheLookback(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	src := &rolluptest.Source{}
	src.Add(sessionSpans()...)
	c := &clock{t: at(130 * time.Minute)}
	r := rollup.NewRunner(src, b.rollups, rollup.RunOptions{History: 2 * time.Hour, Now: c.Now, LateEvery: 10 * time.Minute, LateLookback: 30 * time.Minute})
	rep, err := r.Run(b.ctx, j, v, at(120*time.Minute), 0)
	require.NoError(t, err)
	require.Zero(t, rep.RecountSpans)
	c.Set(at(140 * time.Minute))
	rep, err = r.Run(b.ctx, j, v, at(130*time.Minute), 0)
	require.NoError(t, err)
	require.Positive(t, rep.RecountSpans)
	q := src.Queries()
	last := q[len(q)-3:]
	require.Equal(t, at(100*time.Minute-60*time.Minute), last[0].From)
	require.Equal(t, at(130*time.Minute), last[0].To)
	require.Equal(t, []int64{5, 4, 1}, reachedOf(b.stats(t, "checkout", at(60*time.Minute), at(120*time.Minute))))
}

func TestOneRunnerAtATimePerJourney(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	src := &rolluptest.Source{}
	src.Add(sessionSpans()...)
	c := &clock{t: at(130 * time.Minute)}
	_, err := b.runner(src, c).Run(b.ctx, j, v, at(121*time.Minute), 0)
	require.NoError(t, err)
	p, err := b.rollups.Progress(b.ctx, "checkout", true)
	require.NoError(t, err)

	release, ok, err := b.rollups.LockRuns(b.ctx, p.JourneyID)
	require.NoError(t, err)
	require.True(t, ok)
	rep, err := b.runner(src, c).Run(b.ctx, j, v, at(130*time.Minute), 0)
	require.NoError(t, err)
	require.True(t, rep.Skipped, "another worker holds the journey")
	release()
	rep, err = b.runner(src, c).Run(b.ctx, j, v, at(130*time.Minute), 0)
	require.NoError(t, err)
	require.False(t, rep.Skipped)
	require.Equal(t, at(130*time.Minute), rep.To)
}

// gatedSource holds the first fetch until released, as a slow backend.
type gatedSource struct {
	*rolluptest.Source
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (s *gatedSource) FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error) {
	s.once.Do(func() {
		close(s.started)
		<-s.release
	})
	return s.Source.FetchSpans(ctx, q, fn)
}

func TestAJourneyChangeDiscardsTheRunningComputation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	src := &gatedSource{Source: &rolluptest.Source{}, started: make(chan struct{}), release: make(chan struct{})}
	src.Add(sessionSpans()...)
	c := &clock{t: at(130 * time.Minute)}
	_, err := b.rollups.Start(b.ctx, "checkout", v, at(60*time.Minute))
	require.NoError(t, err)
	done := make(chan rollup.RunReport, 1)
	go func() {
		rep, err := b.runner(src, c).Run(b.ctx, j, v, at(130*time.Minute), 0)
		require.NoError(t, err)
		done <- rep
	}()
	<-src.started
	require.NoError(t, pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		_, err := rollup.Rewind(b.ctx, tx, "checkout", at(30*time.Minute), at(130*time.Minute))
		return err
	}))
	close(src.release)
	rep := <-done
	require.True(t, rep.Skipped)
	p, err := b.rollups.Progress(b.ctx, "checkout", false)
	require.NoError(t, err)
	require.Equal(t, at(30*time.Minute), p.Watermark)
	require.Nil(t, p.Open)
	require.Equal(t, int64(2), p.Generation)
	require.Zero(t, b.count(t, "rollup_steps"))
}

// TestRunnerFindsLateArrivalsInTheEmbeddedStore sends a span after the
// rollups read its minute: the next check finds it by its arrival time and
// recounts from its minute only.
func TestRunnerFindsLateArrivalsInTheEmbeddedStore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	spans := spanstore.NewStore(b.pool, nil)
	// Commits here take microseconds; a millisecond of margin keeps the
	// test from waiting the production one.
	spans.SetIngestMargin(time.Millisecond)
	base := time.Now().UTC().Truncate(time.Minute).Add(-3 * time.Hour)
	var onTime, late []rolluptest.Span
	for _, s := range rolluptest.CheckoutSpans(base) {
		if s.Name == "s2" && s.Attrs["span.session.id"] == "D" {
			late = append(late, s) // D's step 2, at 125m
			continue
		}
		onTime = append(onTime, s)
	}
	require.NoError(t, rolluptest.Store(b.ctx, spans, onTime))
	time.Sleep(5 * time.Millisecond)
	c := &clock{t: base.Add(130 * time.Minute)}
	r := rollup.NewRunner(spans, b.rollups, rollup.RunOptions{History: 2 * time.Hour, Now: c.Now, LateEvery: time.Minute})
	_, err := r.Run(b.ctx, j, v, base.Add(130*time.Minute), 0)
	require.NoError(t, err)
	p, err := b.rollups.Progress(b.ctx, "checkout", true)
	require.NoError(t, err)
	require.Len(t, p.Reads, 3, "10m-60m, 60m-120m, 120m-130m")
	require.Equal(t, []int64{5, 3, 1}, reachedOf(b.stats(t, "checkout", base.Add(60*time.Minute), base.Add(120*time.Minute))))

	// Nothing late yet: a minute later the check finds nothing to recount.
	c.Set(base.Add(131 * time.Minute))
	rep, err := r.Run(b.ctx, j, v, base.Add(131*time.Minute), 0)
	require.NoError(t, err)
	require.Zero(t, rep.RecountSpans)

	time.Sleep(10 * time.Millisecond)
	require.NoError(t, rolluptest.Store(b.ctx, spans, late))
	c.Set(base.Add(132 * time.Minute))
	rep, err = r.Run(b.ctx, j, v, base.Add(132*time.Minute), 0)
	require.NoError(t, err)
	// From 125m, with context from two windows before: A's, C's, E's, D's
	// and F's step 1, D's step 2, and the step 3 spans from 95m.
	require.Equal(t, int64(8+1+3), rep.RecountSpans)
	require.Equal(t, []int64{5, 4, 1}, reachedOf(b.stats(t, "checkout", base.Add(60*time.Minute), base.Add(120*time.Minute))))

	// Read again with the recount's cutoff, it is no longer late.
	c.Set(base.Add(133 * time.Minute))
	rep, err = r.Run(b.ctx, j, v, base.Add(133*time.Minute), 0)
	require.NoError(t, err)
	require.Zero(t, rep.RecountSpans)
}

func TestSameRollups(t *testing.T) {
	t.Parallel()
	base := func() journeys.Journey {
		j := rolluptest.Journey("same", journeys.CorrelateByTrace, 0, 2)
		j.Spec.Segments = []string{"span.tier", "resource.host.name"}
		j.Spec.SLOs = []journeys.SLO{{Name: "fast", Kind: journeys.SLOLatency, Threshold: journeys.NewDuration(time.Second), Objective: 0.9}}
		return j
	}
	for _, tc := range []struct {
		name   string
		change func(j *journeys.Journey)
		same   bool
	}{
		{"nothing", func(*journeys.Journey) {}, true},
		{"an objective", func(j *journeys.Journey) { j.Spec.SLOs[0].Objective = 0.99 }, true},
		{"the default window spelled out", func(j *journeys.Journey) {
			j.Spec.Correlation.Window = journeys.NewDuration(rollup.DefaultTraceWindow)
		}, true},
		{"a threshold", func(j *journeys.Journey) { j.Spec.SLOs[0].Threshold = journeys.NewDuration(2 * time.Second) }, false},
		{"a segment", func(j *journeys.Journey) { j.Spec.Segments = j.Spec.Segments[:1] }, false},
		{"a key's attribution", func(j *journeys.Journey) {
			j.Spec.Attribution = map[string]journeys.Attribution{"resource.host.name": journeys.AttributeAtEntry}
		}, false},
		{"the default attribution spelled out", func(j *journeys.Journey) {
			j.Spec.Attribution = map[string]journeys.Attribution{"resource.host.name": journeys.AttributeAtStep}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := base()
			tc.change(&j)
			require.Equal(t, tc.same, rollup.SameRollups(base(), j))
		})
	}
}
