package jobs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

// sendTraffic pushes traffic through the embedded store's OTLP/HTTP
// receiver; it returns once every span is committed.
func sendTraffic(t *testing.T, dst *spanstore.Store, tr *demo.Traffic) {
	t.Helper()
	rcv := spanstore.NewReceiver(dst, spanstore.Config{}, nil)
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
}

func shopJourney(t *testing.T) journeys.Journey {
	t.Helper()
	b, err := examples.FS.ReadFile("shop-checkout.yaml")
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	require.Len(t, js, 1)
	return js[0]
}

// truthRow is one step's spans, errors and sessions reached.
type truthRow struct{ spans, errors, reached int64 }

func statsRows(st rollup.JourneyStats) []truthRow {
	out := make([]truthRow, 0, len(st.Steps))
	for _, s := range st.Steps {
		out = append(out, truthRow{s.Spans, s.Errors, s.Reached})
	}
	return out
}

// TestBackfillMatchesTheTruth runs the real River workers over demo traffic
// in the embedded store: a backfill of the traffic's window, computed in
// chunks that cut sessions in two, must show exactly what was sent.
func TestBackfillMatchesTheTruth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	spanStore := spanstore.NewStore(pool, nil)
	// Commits here take microseconds: read what was sent a moment ago.
	spanStore.SetIngestMargin(time.Millisecond)
	js := journeystore.New(pool)
	rollups := rollup.NewStore(pool)

	// 10:45 to 11:15 in 10-minute chunks: sessions entering before a chunk
	// boundary finish after it.
	cfg := demo.DefaultConfig()
	cfg.Seed = 5
	cfg.Start = time.Date(2026, 3, 3, 10, 45, 0, 0, time.UTC)
	cfg.Sessions = 400
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	sendTraffic(t, spanStore, tr)
	from, to := cfg.Start, tr.End()
	now := to.Add(2 * time.Hour)

	client, err := jobs.New(pool, spanStore, js, jobs.Options{
		DisablePeriodic: true,
		Rollups:         rollup.RunOptions{Chunk: 10 * time.Minute},
		Now:             func() time.Time { return now },
	})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		require.NoError(t, jobs.Stop(sctx, client, 5*time.Second))
	}
	t.Cleanup(stop)

	shop := shopJourney(t)
	rec, err := js.CreateJourney(ctx, shop, "test")
	require.NoError(t, err)
	slug := rec.Journey.Metadata.Slug

	var b rollup.Backfill
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var err error
		b, err = jobs.EnqueueBackfill(ctx, client, tx, slug, from, to)
		return err
	}))
	require.Equal(t, rollup.BackfillPending, b.State)
	require.True(t, b.From.Equal(from) && b.To.Equal(to), "backfill [%s, %s)", b.From, b.To)

	deadline := time.Now().Add(60 * time.Second)
	for {
		b, err = rollups.GetBackfill(ctx, b.ID)
		require.NoError(t, err)
		require.NotEqual(t, rollup.BackfillFailed, b.State, b.Error)
		if b.State == rollup.BackfillDone {
			break
		}
		require.True(t, time.Now().Before(deadline), "backfill still %s at %s", b.State, b.DoneThrough)
		time.Sleep(25 * time.Millisecond)
	}
	require.True(t, b.DoneThrough.Equal(to))
	require.Equal(t, 1.0, b.Progress())
	stop()

	want := func(key, value string) []truthRow {
		out := make([]truthRow, demo.NumSteps)
		for i, s := range truth.Steps {
			if key == "" {
				out[i] = truthRow{int64(s.RootSpans), int64(s.Errors), int64(truth.Funnel[i].Sessions)}
				continue
			}
			if g := s.By[strings.TrimPrefix(key, "span.")][value]; g != nil {
				out[i] = truthRow{int64(g.Sessions), int64(g.Errors), int64(g.Sessions)}
			}
		}
		return out
	}
	all, err := rollups.Stats(ctx, slug, from, to, nil)
	require.NoError(t, err)
	require.Equal(t, want("", ""), statsRows(all))
	require.Equal(t, int64(truth.Sessions), all.Entered)
	require.Equal(t, int64(truth.ErrorTraces), all.Errored)
	require.Zero(t, all.InFlight)
	require.Equal(t, []int{rec.Version}, all.Versions)
	for _, key := range shop.Spec.Segments {
		var vals []string
		for v := range truth.SessionsBy[strings.TrimPrefix(key, "span.")] {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		require.GreaterOrEqual(t, len(vals), 2, key)
		for _, v := range vals {
			st, err := rollups.Stats(ctx, slug, from, to, &rollup.Segment{Key: key, Value: v})
			require.NoError(t, err)
			require.Equal(t, want(key, v), statsRows(st), "%s=%s", key, v)
		}
	}

	// Each chunk's minutes hold that chunk's truth: nothing was counted
	// twice where chunks meet.
	for c := from; c.Before(to); c = c.Add(10 * time.Minute) {
		st, err := rollups.Stats(ctx, slug, c, c.Add(10*time.Minute), nil)
		require.NoError(t, err)
		var entered int64
		for _, co := range truth.Cohorts {
			if !co.Minute.Before(c) && co.Minute.Before(c.Add(10*time.Minute)) {
				entered += int64(co.Reached[0])
			}
		}
		require.Equal(t, entered, st.Entered, "chunk at %s", c)
		for k, s := range truth.Steps {
			var n int64
			for _, m := range s.PerMinute {
				if !m.Minute.Before(c) && m.Minute.Before(c.Add(10*time.Minute)) {
					n += int64(m.RootSpans)
				}
			}
			require.Equal(t, n, st.Steps[k].Spans, "chunk at %s step %d", c, k)
		}
	}
}
