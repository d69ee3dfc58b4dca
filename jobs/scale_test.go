package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
)

// slowSource answers as rolluptest.Source does, after a delay per fetch,
// as a remote Tempo would.
type slowSource struct {
	rolluptest.Source
	delay time.Duration
}

func (s *slowSource) FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return journeys.FetchStats{}, ctx.Err()
	}
	return s.Source.FetchSpans(ctx, q, fn)
}

// workers starts n job clients (processes, in production) on pool, each
// working one job at a time.
func workers(t testing.TB, pool *pgxpool.Pool, n int, src rollup.TraceSource, now func() time.Time) []*river.Client[pgx.Tx] {
	t.Helper()
	var out []*river.Client[pgx.Tx]
	for range n {
		c, err := jobs.New(pool, src, journeystore.New(pool), jobs.Options{
			DisablePeriodic: true, Workers: 1, Now: now,
			Rollups: rollup.RunOptions{History: 3 * time.Hour, LateEvery: 24 * time.Hour},
		})
		require.NoError(t, err)
		require.NoError(t, c.Start(context.Background()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = jobs.Stop(ctx, c, time.Second)
		})
		out = append(out, c)
	}
	return out
}

// rollUpAll enqueues, for every journey, copies rollup jobs (for different
// minutes, so that each is its own job and workers race on the journey),
// and waits until every journey's rollups are complete through edge.
func rollUpAll(t testing.TB, pool *pgxpool.Pool, client *river.Client[pgx.Tx], slugs []string, copies int, edge time.Time) {
	t.Helper()
	ctx := context.Background()
	var params []river.InsertManyParams
	for c := range copies {
		for _, s := range slugs {
			params = append(params, river.InsertManyParams{Args: jobs.RollupArgs{Slug: s, Bucket: edge.Add(time.Duration(-c) * time.Minute)}})
		}
	}
	_, err := client.InsertMany(ctx, params)
	require.NoError(t, err)
	rollups := rollup.NewStore(pool)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		done := 0
		for _, s := range slugs {
			fr, err := rollups.Freshness(ctx, s)
			require.NoError(t, err)
			if fr.CompleteThrough.Equal(edge) {
				done++
			}
		}
		if done == len(slugs) {
			return
		}
		require.True(t, time.Now().Before(deadline), "%d of %d journeys rolled up", done, len(slugs))
		time.Sleep(20 * time.Millisecond)
	}
}

func seedJourneys(t testing.TB, pool *pgxpool.Pool, n int) []string {
	t.Helper()
	js := journeystore.New(pool)
	var slugs []string
	for i := range n {
		j := rolluptest.CheckoutJourney()
		j.Metadata.Slug = fmt.Sprintf("checkout-%d", i)
		_, _, err := js.PutJourney(context.Background(), j, "test")
		require.NoError(t, err)
		slugs = append(slugs, j.Metadata.Slug)
	}
	return slugs
}

// TestTwoWorkersShareJourneysAndNeverDoubleCount races two workers over
// the same journeys, each journey's run enqueued several times: both
// work, each journey is advanced by one at a time, and the numbers are
// exactly those of the traffic.
func TestTwoWorkersShareJourneysAndNeverDoubleCount(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	slugs := seedJourneys(t, pool, 6)
	src := &slowSource{delay: 20 * time.Millisecond}
	src.Add(rolluptest.CheckoutSpans(t0)...)
	now := func() time.Time { return at(200 * time.Minute) }
	ws := workers(t, pool, 2, src, now)
	rollUpAll(t, pool, ws[0], slugs, 4, at(199*time.Minute))

	rollups := rollup.NewStore(pool)
	for _, s := range slugs {
		st, err := rollups.Stats(context.Background(), s, t0, at(200*time.Minute), nil)
		require.NoError(t, err)
		require.Equal(t, []int64{6, 5, 1}, reached(st), s)
		require.Equal(t, []int64{10, 5, 3}, spans(st), s)
		require.Zero(t, st.InFlight, s)
	}
	// Every journey's progress moved once per minute of history: no run
	// wrote twice.
	rows, err := pool.Query(context.Background(), `SELECT DISTINCT unnest(attempted_by) FROM river_job WHERE kind = 'rollup' AND state = 'completed'`)
	require.NoError(t, err)
	by, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Len(t, by, 2, "both workers worked")
}

// BenchmarkWorkersShareJourneys rolls up 16 journeys from a source that
// takes 30ms per fetch, with one and with two workers on one database.
//
//	go test ./jobs/ -run '^$' -bench WorkersShareJourneys -benchtime 3x
func BenchmarkWorkersShareJourneys(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				pool := pgtest.New(b)
				slugs := seedJourneys(b, pool, 16)
				src := &slowSource{delay: 30 * time.Millisecond}
				src.Add(rolluptest.CheckoutSpans(t0)...)
				var mu sync.Mutex
				edge := at(121 * time.Minute)
				now := func() time.Time { mu.Lock(); defer mu.Unlock(); return edge.Add(31 * time.Second) }
				ws := workers(b, pool, n, src, now)
				b.StartTimer()
				start := time.Now()
				rollUpAll(b, pool, ws[0], slugs, 1, edge)
				elapsed += time.Since(start)
			}
			b.ReportMetric(16*float64(b.N)/elapsed.Seconds(), "journeys/s")
		})
	}
}
