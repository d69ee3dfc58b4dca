package rollup_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

type bundle struct {
	ctx      context.Context
	pool     *pgxpool.Pool
	rollups  *rollup.Store
	journeys *journeystore.Store
}

func setup(t *testing.T) bundle {
	t.Helper()
	pool := pgtest.New(t)
	return bundle{ctx: context.Background(), pool: pool, rollups: rollup.NewStore(pool), journeys: journeystore.New(pool)}
}

// put stores j and returns its version.
func (b bundle) put(t *testing.T, j journeys.Journey) int {
	t.Helper()
	rec, _, err := b.journeys.PutJourney(b.ctx, j, "test")
	require.NoError(t, err)
	return rec.Version
}

// compute aggregates spans for r and writes the result.
func (b bundle) compute(t *testing.T, j journeys.Journey, version int, r rollup.Range, spans []rolluptest.Span, live bool) *rollup.Result {
	t.Helper()
	res := run(t, j, r, spans)
	require.NoError(t, b.rollups.Write(b.ctx, res, rollup.WriteOptions{Version: version, Live: live, Started: time.Now()}))
	return res
}

// advance computes [from, to) as a first run would, then carries on an hour
// at a time to horizon, writing every result as the runs would.
func (b bundle) advance(t *testing.T, j journeys.Journey, version int, from, to, horizon time.Time, spans []rolluptest.Span) []*rollup.Result {
	t.Helper()
	src := &rolluptest.Source{}
	src.Add(spans...)
	_, results, err := rolluptest.Advance(b.ctx, src, j, from, to, horizon, time.Hour)
	require.NoError(t, err)
	for _, res := range results {
		require.NoError(t, b.rollups.Write(b.ctx, res, rollup.WriteOptions{Version: version}))
	}
	return results
}

func (b bundle) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n))
	return n
}

func TestStatsOverRange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := traceJourney()
	v := b.put(t, j)
	b.advance(t, j, v, t0, at(2*time.Minute), at(15*time.Minute), traceSpans())

	st, err := b.rollups.Stats(b.ctx, "shop", t0, at(2*time.Minute), nil)
	require.NoError(t, err)
	require.Equal(t, int64(2), st.Entered)
	require.Equal(t, int64(1), st.Completed)
	require.Equal(t, 0.5, st.Conversion)
	require.Equal(t, int64(1), st.Dropped)
	require.Equal(t, int64(0), st.InFlight)
	require.Equal(t, int64(1), st.Errored)
	require.Equal(t, []int{v}, st.Versions)
	require.Len(t, st.Steps, 3)

	type row struct {
		spans, errors, reached int64
		errRate, conv, sum     float64
		slow, errs             []int
	}
	got := func(s rollup.StepStats) row {
		return row{s.Spans, s.Errors, s.Reached, s.ErrorRate, s.ConversionFromPrevious, s.ValueSum, traceNums(s.Slowest), traceNums(s.Errored)}
	}
	require.Equal(t, row{2, 0, 2, 0, 1, 12.5, []int{2, 1}, []int{}}, got(st.Steps[0]))
	require.Equal(t, row{3, 1, 1, 1.0 / 3, 0.5, 0, []int{3, 1, 2}, []int{3}}, got(st.Steps[1]))
	require.Equal(t, row{1, 1, 1, 1, 1, 7, []int{1}, []int{1}}, got(st.Steps[2]))

	// Nearest rank: p50 of {50ms, 150ms} is 50ms, p95 150ms; within 1%.
	require.InEpsilon(t, 50.0, st.Steps[0].P50, 0.01)
	require.InEpsilon(t, 150.0, st.Steps[0].P95, 0.01)
	require.InEpsilon(t, 150.0, st.Steps[0].P99, 0.01)
	require.InEpsilon(t, 200.0, st.Steps[1].P50, 0.01) // {80, 200, 300}
	require.InEpsilon(t, 10_000.0, st.Steps[1].TimeFromPreviousP50, 0.01)
	require.Zero(t, st.Steps[0].TimeFromPreviousP50)

	// One segment: the gold trace, and the step-2 span of its trace.
	gold, err := b.rollups.Stats(b.ctx, "shop", t0, at(2*time.Minute), &rollup.Segment{Key: "span.tier", Value: "gold"})
	require.NoError(t, err)
	require.Equal(t, int64(1), gold.Entered)
	require.Equal(t, int64(1), gold.Completed)
	require.Equal(t, []int64{1, 1, 1}, []int64{gold.Steps[0].Spans, gold.Steps[1].Spans, gold.Steps[2].Spans})

	// A sub-range is the sum of its buckets only.
	m1, err := b.rollups.Stats(b.ctx, "shop", at(time.Minute), at(2*time.Minute), nil)
	require.NoError(t, err)
	require.Equal(t, []int64{1, 1, 0}, []int64{m1.Steps[0].Spans, m1.Steps[1].Spans, m1.Steps[2].Spans})
	require.Equal(t, int64(1), m1.Entered)
	require.Equal(t, int64(0), m1.Completed)

	// Nothing in range: zeros, still one entry per step.
	empty, err := b.rollups.Stats(b.ctx, "shop", at(time.Hour), at(2*time.Hour), nil)
	require.NoError(t, err)
	require.Len(t, empty.Steps, 3)
	require.Zero(t, empty.Steps[1].Spans)
	require.Zero(t, empty.Conversion)

	_, err = b.rollups.Stats(b.ctx, "nope", t0, at(time.Minute), nil)
	require.ErrorIs(t, err, rollup.ErrNotFound)
}

func TestWriteTwiceNeverDoubleCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	stats := func() rollup.JourneyStats {
		st, err := b.rollups.Stats(b.ctx, "checkout", at(60*time.Minute), at(120*time.Minute), nil)
		require.NoError(t, err)
		clearSketches(&st)
		return st
	}

	// A recount replaces: writing it twice changes nothing.
	r := rollup.Range{From: at(60 * time.Minute), To: at(200 * time.Minute)}
	res := b.compute(t, j, v, r, sessionSpans(), false)
	first := stats()
	require.Equal(t, len(res.Steps), b.count(t, "rollup_steps"))
	require.Equal(t, len(res.Funnels), b.count(t, "rollup_funnels"))
	b.compute(t, j, v, r, sessionSpans(), false)
	require.Equal(t, first, stats())
	require.Equal(t, len(res.Funnels), b.count(t, "rollup_funnels"))
	require.Equal(t, int64(5), first.Entered)
	require.Equal(t, int64(1), first.Completed)
	require.Equal(t, int64(1), first.Errored)
	require.Equal(t, []int64{5, 4, 1}, []int64{first.Steps[0].Reached, first.Steps[1].Reached, first.Steps[2].Reached})
	require.Equal(t, []int64{8, 4, 3}, []int64{first.Steps[0].Spans, first.Steps[1].Spans, first.Steps[2].Spans})

	// Runs carrying state on write under the journey's progress: the same
	// result again is refused, so its changes are never added twice.
	p, err := b.rollups.Start(b.ctx, "checkout", v, at(60*time.Minute))
	require.NoError(t, err)
	src := &rolluptest.Source{}
	src.Add(sessionSpans()...)
	res, err = rollup.Aggregate(b.ctx, src, j, rollup.Range{From: at(60 * time.Minute), To: at(120 * time.Minute)}, p.Open)
	require.NoError(t, err)
	require.NoError(t, b.rollups.Write(b.ctx, res, rollup.WriteOptions{Version: v, Progress: &p}))
	carried, err := rollup.Aggregate(b.ctx, src, j, rollup.Range{From: at(120 * time.Minute), To: at(200 * time.Minute)}, p.Open)
	require.NoError(t, err)
	require.NotEmpty(t, carried.Deltas)
	stale := p
	require.NoError(t, b.rollups.Write(b.ctx, carried, rollup.WriteOptions{Version: v, Progress: &p}))
	require.Equal(t, at(200*time.Minute), p.Watermark)
	require.Equal(t, first, stats())
	err = b.rollups.Write(b.ctx, carried, rollup.WriteOptions{Version: v, Progress: &stale})
	require.ErrorIs(t, err, rollup.ErrSuperseded)
	require.Equal(t, first, stats())
}

func clearSketches(s *rollup.JourneyStats) {
	for i := range s.Steps {
		s.Steps[i].Latency, s.Steps[i].TimeFromPrevious = nil, nil
	}
}

func TestSessionConversionsStayInEntrySegment(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	b.advance(t, j, v, at(60*time.Minute), at(120*time.Minute), at(200*time.Minute), sessionSpans())
	// B entered silver and its step-2 span says bronze: the conversion
	// stays with silver, the span is counted under bronze.
	silver, err := b.rollups.Stats(b.ctx, "checkout", at(60*time.Minute), at(120*time.Minute), &rollup.Segment{Key: "span.tier", Value: "silver"})
	require.NoError(t, err)
	require.Equal(t, []int64{2, 2, 0}, []int64{silver.Steps[0].Reached, silver.Steps[1].Reached, silver.Steps[2].Reached})
	require.Equal(t, int64(0), silver.Steps[1].Spans)
	bronze, err := b.rollups.Stats(b.ctx, "checkout", at(60*time.Minute), at(120*time.Minute), &rollup.Segment{Key: "span.tier", Value: "bronze"})
	require.NoError(t, err)
	require.Equal(t, int64(0), bronze.Entered)
	require.Equal(t, int64(1), bronze.Steps[1].Spans)

	// Segment breakdowns add up to all traffic.
	values, err := b.rollups.SegmentValues(b.ctx, "checkout", "span.tier", at(60*time.Minute), at(120*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []rollup.SegmentValue{
		{Value: "(none)", Entered: 2, Completed: 0, Spans: 3},
		{Value: "silver", Entered: 2, Completed: 0, Spans: 2},
		{Value: "gold", Entered: 1, Completed: 1, Conversion: 1, Spans: 3},
	}, values)

	// Side by side, in one read, as Stats counts each: silver's B stays
	// silver's past step 2; bronze, only ever met at step 2, entered none.
	reached, err := b.rollups.SegmentReached(b.ctx, "checkout", "span.tier", []string{"silver", "gold", "bronze", "platinum"}, at(60*time.Minute), at(120*time.Minute))
	require.NoError(t, err)
	require.Equal(t, map[string][]int64{"silver": {2, 2, 0}, "gold": {1, 1, 1}}, reached)
}

func TestSeries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := traceJourney()
	v := b.put(t, j)
	b.compute(t, j, v, rollup.Range{From: t0, To: at(2 * time.Minute)}, traceSpans(), false)
	series, err := b.rollups.Series(b.ctx, "shop", t0, at(3*time.Minute), time.Minute, nil)
	require.NoError(t, err)
	require.Len(t, series, 3)
	type pt struct{ spans, errors, reached int64 }
	pts := func(s rollup.StepSeries) []pt {
		var out []pt
		for _, p := range s.Points {
			out = append(out, pt{p.Spans, p.Errors, p.Reached})
		}
		return out
	}
	require.Equal(t, []pt{{1, 0, 1}, {1, 0, 1}, {0, 0, 0}}, pts(series[0]))
	require.Equal(t, []pt{{2, 1, 1}, {1, 0, 0}, {0, 0, 0}}, pts(series[1]))
	require.Equal(t, []pt{{1, 1, 1}, {0, 0, 0}, {0, 0, 0}}, pts(series[2]))
	require.Equal(t, at(2*time.Minute), series[0].Points[2].Start)
	require.InEpsilon(t, 150.0, series[0].Points[1].P50, 0.01)

	// Two-minute points merge sketches.
	wide, err := b.rollups.Series(b.ctx, "shop", t0, at(2*time.Minute), 2*time.Minute, nil)
	require.NoError(t, err)
	require.Len(t, wide[0].Points, 1)
	require.InEpsilon(t, 150.0, wide[0].Points[0].P95, 0.01)

	_, err = b.rollups.Series(b.ctx, "shop", t0, at(time.Hour*1000), time.Second, nil)
	require.Error(t, err)
}

func TestSLI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := traceJourney()
	v := b.put(t, j)
	b.advance(t, j, v, t0, at(2*time.Minute), at(15*time.Minute), traceSpans())
	ms := time.Millisecond
	cases := []struct {
		name string
		q    rollup.SLIQuery
		want rollup.SLICounts
	}{
		{"latency step, counted", rollup.SLIQuery{Kind: journeys.SLOLatency, Step: 0, Threshold: 100 * ms}, rollup.SLICounts{Good: 1, Total: 2}},
		{"latency journey, counted", rollup.SLIQuery{Kind: journeys.SLOLatency, Step: -1, Threshold: 500 * ms}, rollup.SLICounts{Good: 5, Total: 6}},
		{"latency, threshold not counted", rollup.SLIQuery{Kind: journeys.SLOLatency, Step: 0, Threshold: 200 * ms}, rollup.SLICounts{Good: 2, Total: 2, Approximate: true}},
		{"success step", rollup.SLIQuery{Kind: journeys.SLOSuccess, Step: 1}, rollup.SLICounts{Good: 2, Total: 3}},
		{"success journey", rollup.SLIQuery{Kind: journeys.SLOSuccess, Step: -1}, rollup.SLICounts{Good: 1, Total: 2}},
	}
	for _, tc := range cases {
		q := tc.q
		q.Slug, q.From, q.To = "shop", t0, at(2*time.Minute)
		got, err := b.rollups.SLI(b.ctx, q)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
	_, err := b.rollups.SLI(b.ctx, rollup.SLIQuery{Slug: "shop", Kind: "nope"})
	require.Error(t, err)
}

func TestFreshness(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := traceJourney()
	v := b.put(t, j)

	f, err := b.rollups.Freshness(b.ctx, "shop")
	require.NoError(t, err)
	require.Equal(t, rollup.Freshness{Slug: "shop", Version: v}, f)

	res := b.compute(t, j, v, rollup.Range{From: t0, To: at(2 * time.Minute)}, traceSpans(), true)
	f, err = b.rollups.Freshness(b.ctx, "shop")
	require.NoError(t, err)
	require.Equal(t, at(2*time.Minute), f.CompleteThrough)
	require.Equal(t, at(time.Minute), f.LastCompleteBucket())
	require.Equal(t, res.Fetch, f.LastFetch)
	require.Equal(t, int64(6), f.LastFetch.Spans)
	require.Equal(t, int64(6), f.LastSpans)
	require.Equal(t, t0, f.LastRunFrom)
	require.False(t, f.Failing())

	// Two failures: the first one dates the delay, the last one explains it.
	fail1, fail2 := at(3*time.Minute), at(4*time.Minute)
	require.NoError(t, b.rollups.RecordFailure(b.ctx, "shop", v, fail1, errors.New("tempo returned 503")))
	require.NoError(t, b.rollups.RecordFailure(b.ctx, "shop", v, fail2, errors.New("tempo returned 504")))
	f, err = b.rollups.Freshness(b.ctx, "shop")
	require.NoError(t, err)
	require.True(t, f.Failing())
	require.Equal(t, fail1, f.FailingSince)
	require.Equal(t, fail2, f.LastErrorAt)
	require.Equal(t, "tempo returned 504", f.LastError)
	require.Equal(t, at(2*time.Minute), f.CompleteThrough)

	// A backfill of history neither advances nor heals freshness.
	b.compute(t, j, v, rollup.Range{From: t0, To: at(time.Minute)}, traceSpans(), false)
	f, err = b.rollups.Freshness(b.ctx, "shop")
	require.NoError(t, err)
	require.True(t, f.Failing())

	// A live run reaching the edge again heals it.
	b.compute(t, j, v, rollup.Range{From: at(time.Minute), To: at(3 * time.Minute)}, traceSpans(), true)
	f, err = b.rollups.Freshness(b.ctx, "shop")
	require.NoError(t, err)
	require.False(t, f.Failing())
	require.Empty(t, f.LastError)
	require.Equal(t, at(3*time.Minute), f.CompleteThrough)

	all, err := b.rollups.AllFreshness(b.ctx)
	require.NoError(t, err)
	require.Len(t, all, 1)
	require.Equal(t, f, all[0])
}

func TestRacingWritersNeverDoubleCount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	r := rollup.Range{From: at(60 * time.Minute), To: at(200 * time.Minute)}
	res := run(t, j, r, sessionSpans())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- b.rollups.Write(b.ctx, res, rollup.WriteOptions{Version: v})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, len(res.Steps), b.count(t, "rollup_steps"))
	st, err := b.rollups.Stats(b.ctx, "checkout", at(60*time.Minute), at(120*time.Minute), nil)
	require.NoError(t, err)
	require.Equal(t, int64(5), st.Entered)

	// Writers carrying state on race under one progress: one wins.
	p, err := b.rollups.Start(b.ctx, "checkout", v, at(200*time.Minute))
	require.NoError(t, err)
	p.Open = res.Open
	require.NoError(t, b.pool.QueryRow(b.ctx, `UPDATE rollup_progress SET open_state = $1 RETURNING generation`, res.Open.Encode()).Scan(&p.Generation))
	src := &rolluptest.Source{}
	src.Add(sessionSpans()...)
	next, err := rollup.Aggregate(b.ctx, src, j, rollup.Range{From: at(200 * time.Minute), To: at(260 * time.Minute)}, res.Open)
	require.NoError(t, err)
	results := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := p
			results <- b.rollups.Write(b.ctx, next, rollup.WriteOptions{Version: v, Progress: &mine})
		}()
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		if err == nil {
			won++
			continue
		}
		require.ErrorIs(t, err, rollup.ErrSuperseded)
	}
	require.Equal(t, 1, won)
}

func TestDownsampleKeepsTheNumbers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := sessionJourney()
	v := b.put(t, j)
	b.advance(t, j, v, at(60*time.Minute), at(120*time.Minute), at(200*time.Minute), sessionSpans())
	before, err := b.rollups.Stats(b.ctx, "checkout", at(60*time.Minute), at(120*time.Minute), nil)
	require.NoError(t, err)
	// Conversion counts cohorts when their 30m window closes: the minutes
	// of [60m, 120m) close in (91m, 150m], the hour they merge into at
	// 150m.
	closed := rollup.SLIQuery{Slug: "checkout", Kind: journeys.SLOConversion, Step: -1, From: at(90 * time.Minute), To: at(150 * time.Minute)}
	beforeSLI, err := b.rollups.SLI(b.ctx, closed)
	require.NoError(t, err)

	// Only whole hours before the cut are merged: [0, 60m) holds A's first
	// cohort, [60m, 120m) the rest, [120m, 180m) F's and D's last spans.
	n, err := b.rollups.Downsample(b.ctx, at(190*time.Minute))
	require.NoError(t, err)
	require.Equal(t, 3, n)
	rows, err := b.pool.Query(b.ctx, `SELECT DISTINCT width_s FROM rollup_steps UNION SELECT DISTINCT width_s FROM rollup_funnels`)
	require.NoError(t, err)
	widths, err := pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	require.Equal(t, []int{3600}, widths)
	// One hour row per step and segment: in [60m, 120m) all traffic plus
	// the tiers each step saw (3, 2 and 1); in [120m, 180m) steps 1 and 2
	// in all traffic and (none). Cohorts: all and gold at 0, all and three
	// tiers at 60m.
	require.Equal(t, 3+3+2+1+4, b.count(t, "rollup_steps"))
	require.Equal(t, 2+4, b.count(t, "rollup_funnels"))

	after, err := b.rollups.Stats(b.ctx, "checkout", at(60*time.Minute), at(120*time.Minute), nil)
	require.NoError(t, err)
	for i := range before.Steps {
		require.True(t, before.Steps[i].Latency.Equal(after.Steps[i].Latency), "step %d", i)
		if before.Steps[i].TimeFromPrevious != nil {
			require.True(t, before.Steps[i].TimeFromPrevious.Equal(after.Steps[i].TimeFromPrevious), "step %d", i)
		}
	}
	clearSketches(&before)
	clearSketches(&after)
	require.Equal(t, before, after)
	afterSLI, err := b.rollups.SLI(b.ctx, closed)
	require.NoError(t, err)
	require.Equal(t, rollup.SLICounts{Good: 1, Total: 5}, beforeSLI)
	require.Equal(t, beforeSLI, afterSLI)

	// Running it again finds nothing to do.
	n, err = b.rollups.Downsample(b.ctx, at(190*time.Minute))
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestDeleteBefore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := traceJourney()
	v := b.put(t, j)
	res := b.compute(t, j, v, rollup.Range{From: t0, To: at(2 * time.Minute)}, traceSpans(), false)
	var minute0 int
	for _, r := range res.Steps {
		if r.Bucket.Equal(t0) {
			minute0++
		}
	}
	for _, r := range res.Funnels {
		if r.Bucket.Equal(t0) {
			minute0++
		}
	}
	n, err := b.rollups.DeleteBefore(b.ctx, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, int64(minute0), n)
	st, err := b.rollups.Stats(b.ctx, "shop", t0, at(2*time.Minute), nil)
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Entered)
}

func TestBackfillProgress(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, traceJourney())
	var bf rollup.Backfill
	err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		var err error
		bf, err = rollup.CreateBackfill(b.ctx, tx, "shop", t0, at(4*time.Hour))
		return err
	})
	require.NoError(t, err)
	require.Equal(t, rollup.BackfillPending, bf.State)
	require.Zero(t, bf.Progress())

	require.NoError(t, b.rollups.UpdateBackfill(b.ctx, bf.ID, at(time.Hour), rollup.BackfillRunning, "ignored"))
	got, err := b.rollups.GetBackfill(b.ctx, bf.ID)
	require.NoError(t, err)
	require.Equal(t, 0.25, got.Progress())
	require.Equal(t, rollup.BackfillRunning, got.State)
	require.Empty(t, got.Error)
	require.Equal(t, "shop", got.Slug)

	require.NoError(t, b.rollups.UpdateBackfill(b.ctx, bf.ID, at(2*time.Hour), rollup.BackfillFailed, "tempo returned 503"))
	list, err := b.rollups.Backfills(b.ctx, "shop", 10)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "tempo returned 503", list[0].Error)
	require.Equal(t, at(2*time.Hour), list[0].DoneThrough)

	_, err = b.rollups.GetBackfill(b.ctx, 999)
	require.ErrorIs(t, err, rollup.ErrNotFound)
	require.ErrorIs(t, b.rollups.UpdateBackfill(b.ctx, 999, t0, rollup.BackfillDone, ""), rollup.ErrNotFound)
	err = pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		_, err := rollup.CreateBackfill(b.ctx, tx, "nope", t0, at(time.Hour))
		return err
	})
	require.ErrorIs(t, err, rollup.ErrNotFound)
}

func TestWriteUnknownJourney(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := run(t, traceJourney(), rollup.Range{From: t0, To: at(time.Minute)}, traceSpans())
	err := b.rollups.Write(b.ctx, res, rollup.WriteOptions{Version: 1})
	require.ErrorIs(t, err, rollup.ErrNotFound)
}
