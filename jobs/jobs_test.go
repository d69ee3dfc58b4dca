package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// clock is a settable time source for the jobs.
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

type fixture struct {
	ctx      context.Context
	pool     *pgxpool.Pool
	src      *rolluptest.Source
	journeys *journeystore.Store
	rollups  *rollup.Store
	client   *river.Client[pgx.Tx]
	clock    *clock
	events   <-chan *river.Event
	seen     map[int64]*river.Event
}

// setup starts a real River client on a fresh database. Periodic jobs are
// off: each test enqueues the jobs it exercises.
func setup(t *testing.T, opts jobs.Options, src rollup.TraceSource) *fixture {
	t.Helper()
	pool := pgtest.New(t)
	f := &fixture{
		ctx:      context.Background(),
		pool:     pool,
		journeys: journeystore.New(pool),
		rollups:  rollup.NewStore(pool),
		clock:    &clock{t: at(200 * time.Minute)},
		seen:     map[int64]*river.Event{},
	}
	if src == nil {
		f.src = &rolluptest.Source{}
		src = f.src
	}
	opts.Now = f.clock.Now
	opts.DisablePeriodic = true
	client, err := jobs.New(pool, src, f.journeys, opts)
	require.NoError(t, err)
	f.client = client
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	f.events = events
	require.NoError(t, client.Start(f.ctx))
	t.Cleanup(func() {
		cancel()
		ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = jobs.Stop(ctx, client, time.Second)
	})
	return f
}

func (f *fixture) put(t *testing.T, j journeys.Journey) int {
	t.Helper()
	rec, _, err := f.journeys.PutJourney(f.ctx, j, "test")
	require.NoError(t, err)
	return rec.Version
}

// insert enqueues args and returns the job's id.
func (f *fixture) insert(t *testing.T, args river.JobArgs) int64 {
	t.Helper()
	res, err := f.client.Insert(f.ctx, args, nil)
	require.NoError(t, err)
	require.False(t, res.UniqueSkippedAsDuplicate)
	return res.Job.ID
}

// wait returns the event that ended job id's first attempt.
func (f *fixture) wait(t *testing.T, id int64) *river.Event {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if ev, ok := f.seen[id]; ok {
			return ev
		}
		select {
		case ev := <-f.events:
			if _, ok := f.seen[ev.Job.ID]; !ok {
				f.seen[ev.Job.ID] = ev
			}
		case <-timeout:
			t.Fatalf("job %d did not finish", id)
		}
	}
}

func (f *fixture) run(t *testing.T, args river.JobArgs) {
	t.Helper()
	ev := f.wait(t, f.insert(t, args))
	require.Equal(t, river.EventKindJobCompleted, ev.Kind, "job errors: %v", ev.Job.Errors)
}

// backfill enqueues a backfill of [from, to) and waits until it is done.
func (f *fixture) backfill(t *testing.T, from, to time.Time) rollup.Backfill {
	t.Helper()
	var b rollup.Backfill
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		var err error
		b, err = jobs.EnqueueBackfill(f.ctx, f.client, tx, "checkout", from, to)
		return err
	}))
	return f.awaitBackfill(t, b.ID)
}

// awaitBackfill polls the progress a backfill records until it is done.
func (f *fixture) awaitBackfill(t *testing.T, id int64) rollup.Backfill {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := f.rollups.GetBackfill(f.ctx, id)
		require.NoError(t, err)
		if b.State == rollup.BackfillDone {
			return b
		}
		require.NotEqual(t, rollup.BackfillFailed, b.State, b.Error)
		require.True(t, time.Now().Before(deadline), "backfill %d still %s", id, b.State)
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) stats(t *testing.T, from, to time.Time) rollup.JourneyStats {
	t.Helper()
	st, err := f.rollups.Stats(f.ctx, "checkout", from, to, nil)
	require.NoError(t, err)
	for i := range st.Steps {
		st.Steps[i].Latency, st.Steps[i].TimeFromPrevious = nil, nil
	}
	return st
}

func reached(st rollup.JourneyStats) []int64 {
	var out []int64
	for _, s := range st.Steps {
		out = append(out, s.Reached)
	}
	return out
}

func spans(st rollup.JourneyStats) []int64 {
	var out []int64
	for _, s := range st.Steps {
		out = append(out, s.Spans)
	}
	return out
}

// history is how far back a journey never rolled up starts, in these tests.
const history = 3 * time.Hour

func TestRollupJob(t *testing.T) {
	t.Parallel()
	f := setup(t, jobs.Options{Rollups: rollup.RunOptions{History: history}}, nil)
	f.put(t, rolluptest.CheckoutJourney())
	f.src.Add(rolluptest.CheckoutSpans(t0)...)

	// The first run of a journey computes its recent history, up to the
	// last minute complete with the lag: 199m at 200m.
	f.run(t, jobs.RollupArgs{Slug: "checkout", Bucket: at(198 * time.Minute)})
	st := f.stats(t, at(60*time.Minute), at(120*time.Minute))
	require.Equal(t, int64(5), st.Entered)
	require.Equal(t, []int64{5, 4, 1}, reached(st))
	require.Equal(t, []int64{8, 4, 3}, spans(st))
	require.Equal(t, int64(1), st.Errored)
	require.Zero(t, st.InFlight)
	all := f.stats(t, t0, at(120*time.Minute))
	require.Equal(t, []int64{6, 5, 1}, reached(all)) // A's first entry at 50m

	fr, err := f.rollups.Freshness(f.ctx, "checkout")
	require.NoError(t, err)
	require.Equal(t, at(199*time.Minute), fr.CompleteThrough)
	require.Equal(t, at(199*time.Minute-history), fr.LastRunFrom)
	require.Equal(t, int64(len(rolluptest.CheckoutSpans(t0))), fr.LastNewSpans)
	require.Zero(t, fr.OpenInstances)
	require.False(t, fr.Failing())

	// A run for the same journey and minute is not enqueued twice.
	dup, err := f.client.Insert(f.ctx, jobs.RollupArgs{Slug: "checkout", Bucket: at(198 * time.Minute)}, nil)
	require.NoError(t, err)
	require.True(t, dup.UniqueSkippedAsDuplicate)

	// The next minute's run reads that minute only and changes nothing
	// before it.
	var before int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM rollup_steps`).Scan(&before))
	queries := len(f.src.Queries())
	f.clock.Set(at(201 * time.Minute))
	f.run(t, jobs.RollupArgs{Slug: "checkout", Bucket: at(199 * time.Minute)})
	require.Equal(t, st, f.stats(t, at(60*time.Minute), at(120*time.Minute)))
	require.Equal(t, all, f.stats(t, t0, at(120*time.Minute)))
	var after int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM rollup_steps`).Scan(&after))
	require.Equal(t, before, after)
	for _, q := range f.src.Queries()[queries:] {
		require.Equal(t, [2]time.Time{at(199 * time.Minute), at(200 * time.Minute)}, [2]time.Time{q.From, q.To})
	}
}

func TestLateSpansCountedByLaterRun(t *testing.T) {
	t.Parallel()
	f := setup(t, jobs.Options{Rollups: rollup.RunOptions{History: history}}, nil)
	f.put(t, rolluptest.CheckoutJourney())
	var late rolluptest.Span
	for _, s := range rolluptest.CheckoutSpans(t0) {
		if s.Name == "s2" && s.Attrs["span.session.id"] == "D" {
			late = s // D's step 2 at 125m
			continue
		}
		f.src.Add(s)
	}
	f.clock.Set(at(126 * time.Minute))
	f.run(t, jobs.RollupArgs{Slug: "checkout", Bucket: at(125 * time.Minute)})
	st := f.stats(t, at(110*time.Minute), at(111*time.Minute))
	require.Equal(t, []int64{1, 0, 0}, reached(st))
	require.Equal(t, int64(1), st.InFlight)

	// The span shows up late. The source cannot say which minutes changed,
	// so every ten minutes the last two hours are recounted: D's cohort
	// with it.
	f.src.Add(late)
	f.clock.Set(at(137 * time.Minute))
	f.run(t, jobs.RollupArgs{Slug: "checkout", Bucket: at(136 * time.Minute)})
	st = f.stats(t, at(110*time.Minute), at(111*time.Minute))
	require.Equal(t, []int64{1, 1, 0}, reached(st))
	require.Equal(t, int64(1), st.InFlight)
	seg := rollup.Segment{Key: "span.tier", Value: rollup.NoneValue}
	none, err := f.rollups.Stats(f.ctx, "checkout", at(110*time.Minute), at(111*time.Minute), &seg)
	require.NoError(t, err)
	require.Equal(t, int64(1), none.Steps[1].Reached)
	at125, err := f.rollups.Stats(f.ctx, "checkout", at(125*time.Minute), at(126*time.Minute), nil)
	require.NoError(t, err)
	require.Equal(t, int64(1), at125.Steps[1].Spans)
	fr, err := f.rollups.Freshness(f.ctx, "checkout")
	require.NoError(t, err)
	require.Positive(t, fr.LastRecountSpans)
}

func TestScheduleEnqueuesEveryJourney(t *testing.T) {
	t.Parallel()
	f := setup(t, jobs.Options{Lag: 2 * time.Minute}, nil)
	f.put(t, rolluptest.CheckoutJourney())
	f.put(t, rolluptest.Journey("browse", journeys.CorrelateByTrace, 0, 2))
	f.clock.Set(at(200*time.Minute + 30*time.Second))
	f.run(t, jobs.ScheduleArgs{})

	// now - lag is 198m30s: the last complete bucket starts at 197m.
	res, err := f.client.JobList(f.ctx, river.NewJobListParams().Kinds(jobs.RollupArgs{}.Kind()).First(10))
	require.NoError(t, err)
	var got []jobs.RollupArgs
	for _, j := range res.Jobs {
		var a jobs.RollupArgs
		require.NoError(t, json.Unmarshal(j.EncodedArgs, &a))
		got = append(got, a)
	}
	require.ElementsMatch(t, []jobs.RollupArgs{
		{Slug: "browse", Bucket: at(197 * time.Minute)},
		{Slug: "checkout", Bucket: at(197 * time.Minute)},
	}, got)
	for _, j := range res.Jobs {
		require.Equal(t, river.EventKindJobCompleted, f.wait(t, j.ID).Kind)
	}
	for _, slug := range []string{"browse", "checkout"} {
		fr, err := f.rollups.Freshness(f.ctx, slug)
		require.NoError(t, err)
		require.Equal(t, at(198*time.Minute), fr.CompleteThrough, slug)
	}

	// Scheduling again within the minute enqueues nothing new.
	f.run(t, jobs.ScheduleArgs{})
	res, err = f.client.JobList(f.ctx, river.NewJobListParams().Kinds(jobs.RollupArgs{}.Kind()).First(10))
	require.NoError(t, err)
	require.Len(t, res.Jobs, 2)
}

func TestFailureIsRecordedAndHealed(t *testing.T) {
	t.Parallel()
	f := setup(t, jobs.Options{}, nil)
	f.put(t, rolluptest.CheckoutJourney())
	f.src.Add(rolluptest.CheckoutSpans(t0)...)
	f.src.SetError(errors.New("tempo returned 503"))
	f.clock.Set(at(130 * time.Minute))
	ev := f.wait(t, f.insert(t, jobs.RollupArgs{Slug: "checkout", Bucket: at(128 * time.Minute)}))
	require.Equal(t, river.EventKindJobFailed, ev.Kind)
	fr, err := f.rollups.Freshness(f.ctx, "checkout")
	require.NoError(t, err)
	require.True(t, fr.Failing())
	require.Equal(t, at(130*time.Minute), fr.FailingSince)
	require.Contains(t, fr.LastError, "tempo returned 503")
	require.True(t, fr.CompleteThrough.IsZero(), "nothing was computed yet")

	f.src.SetError(nil)
	f.clock.Set(at(131 * time.Minute))
	f.run(t, jobs.RollupArgs{Slug: "checkout", Bucket: at(129 * time.Minute)})
	fr, err = f.rollups.Freshness(f.ctx, "checkout")
	require.NoError(t, err)
	require.False(t, fr.Failing())
	require.Empty(t, fr.LastError)
	require.Equal(t, at(130*time.Minute), fr.CompleteThrough)
}

func TestRollupOfDeletedJourneyIsCancelled(t *testing.T) {
	t.Parallel()
	f := setup(t, jobs.Options{}, nil)
	ev := f.wait(t, f.insert(t, jobs.RollupArgs{Slug: "gone", Bucket: at(100 * time.Minute)}))
	require.Equal(t, river.EventKindJobCancelled, ev.Kind)
}

func TestBackfill(t *testing.T) {
	t.Parallel()
	f := setup(t, jobs.Options{}, nil)
	f.src.Add(rolluptest.CheckoutSpans(t0)...)
	f.clock.Set(at(5 * time.Hour))
	// Backfills follow journey changes, in the same transaction.
	svc := journeyedit.New(f.pool, f.client, journeyedit.Options{Backfill: 5 * time.Hour, Now: f.clock.Now})
	_, err := svc.Put(f.ctx, auth.System, rolluptest.CheckoutJourney())
	require.NoError(t, err)

	list, err := f.rollups.Backfills(f.ctx, "checkout", 10)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, t0, list[0].From)
	require.Equal(t, at(5*time.Hour), list[0].To)
	b := f.awaitBackfill(t, list[0].ID)
	require.Equal(t, 1.0, b.Progress())

	// Computed hour by hour, the history matches the traffic: six entries
	// (A twice), F's second step-1 span inside its window.
	st := f.stats(t, t0, at(5*time.Hour))
	require.Equal(t, []int64{6, 5, 1}, reached(st))
	require.Equal(t, []int64{10, 5, 3}, spans(st))
	require.Equal(t, int64(0), st.InFlight)

	// Enqueued by hand for a range, it covers that range, minute aligned
	// outwards, and recomputes it to the same numbers.
	bf := f.backfill(t, at(90*time.Minute+10*time.Second), at(100*time.Minute+1))
	require.Equal(t, at(90*time.Minute), bf.From)
	require.Equal(t, at(101*time.Minute), bf.To)
	require.Equal(t, st, f.stats(t, t0, at(5*time.Hour)))
}

func TestMaintainDownsamplesAndExpires(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	f := setup(t, jobs.Options{Retention: 9 * day}, nil)
	f.put(t, rolluptest.CheckoutJourney())
	old, recent := t0, t0.Add(5*day)
	f.src.Add(rolluptest.CheckoutSpans(old)...)
	f.src.Add(rolluptest.CheckoutSpans(recent)...)
	f.clock.Set(t0.Add(6 * day))
	f.backfill(t, old, old.Add(3*time.Hour))
	require.Equal(t, []int64{6, 5, 1}, reached(f.stats(t, old, old.Add(3*time.Hour))))
	before := f.stats(t, recent, recent.Add(3*time.Hour))
	require.Equal(t, []int64{6, 5, 1}, reached(before))

	f.clock.Set(t0.Add(10 * day))
	f.run(t, jobs.MaintainArgs{})
	rows, err := f.pool.Query(f.ctx, `SELECT DISTINCT width_s FROM rollup_steps`)
	require.NoError(t, err)
	widths, err := pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	require.Equal(t, []int{3600}, widths)
	gone := f.stats(t, old, old.Add(3*time.Hour))
	require.Zero(t, gone.Entered)
	require.Zero(t, gone.Steps[0].Spans)
	require.Equal(t, before, f.stats(t, recent, recent.Add(3*time.Hour)))
}

// blockingSource never answers until its context is cancelled, as a hung
// backend would.
type blockingSource struct {
	rolluptest.Source
	started chan struct{}
	once    sync.Once
}

func (s *blockingSource) FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error) {
	s.once.Do(func() { close(s.started) })
	<-ctx.Done()
	return journeys.FetchStats{}, ctx.Err()
}

func TestStopCancelsAfterSoftTimeout(t *testing.T) {
	t.Parallel()
	src := &blockingSource{started: make(chan struct{})}
	pool := pgtest.New(t)
	js := journeystore.New(pool)
	_, _, err := js.PutJourney(context.Background(), rolluptest.CheckoutJourney(), "test")
	require.NoError(t, err)
	client, err := jobs.New(pool, src, js, jobs.Options{DisablePeriodic: true, Now: func() time.Time { return at(200 * time.Minute) }})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, client.Start(ctx))
	_, err = client.Insert(ctx, jobs.RollupArgs{Slug: "checkout", Bucket: at(100 * time.Minute)}, nil)
	require.NoError(t, err)
	select {
	case <-src.started:
	case <-time.After(30 * time.Second):
		t.Fatal("job did not start")
	}
	stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, jobs.Stop(stopCtx, client, 200*time.Millisecond))
	require.Less(t, time.Since(start), 10*time.Second)
	fr, err := rollup.NewStore(pool).Freshness(ctx, "checkout")
	require.NoError(t, err)
	require.Contains(t, fr.LastError, "context canceled")
}

func TestPeriodicJobsKeepJourneysFresh(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	js := journeystore.New(pool)
	_, _, err := js.PutJourney(context.Background(), rolluptest.CheckoutJourney(), "test")
	require.NoError(t, err)
	src := &rolluptest.Source{}
	src.Add(rolluptest.CheckoutSpans(t0)...)
	now := at(130*time.Minute + 40*time.Second)
	client, err := jobs.New(pool, src, js, jobs.Options{Now: func() time.Time { return now }})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = jobs.Stop(stopCtx, client, time.Second)
	})
	// Once elected, the leader schedules on start: the rollup of the last
	// complete bucket (129m with a 30s lag) follows.
	rollups := rollup.NewStore(pool)
	deadline := time.Now().Add(30 * time.Second)
	for {
		fr, err := rollups.Freshness(ctx, "checkout")
		require.NoError(t, err)
		if !fr.CompleteThrough.IsZero() {
			require.Equal(t, at(130*time.Minute), fr.CompleteThrough)
			break
		}
		require.True(t, time.Now().Before(deadline), "no scheduled rollup ran")
		time.Sleep(50 * time.Millisecond)
	}
}
