package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
)

// TestApplyFromTheCommandLineBackfillsForARunningServer applies the
// example journeys with `waymark journeys apply` against a database whose
// workers belong to another process (a running serve, here its job client):
// the history the command queued is computed there and equals what was
// sent, and every change is in the audit log under the command's actor.
func TestApplyFromTheCommandLineBackfillsForARunningServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, dbURL := pgtest.NewWithURL(t)
	spans := spanstore.NewStore(pool, nil)
	// Commits here take microseconds: read what was sent a moment ago.
	spans.SetIngestMargin(time.Millisecond)

	// Half an hour of shop traffic that ended an hour ago, inside the day
	// of history a new journey is backfilled over.
	cfg := demo.DefaultConfig()
	cfg.Seed = 11
	cfg.Start = time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Hour)
	cfg.Duration = 30 * time.Minute
	cfg.Sessions = 300
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	rcv := spanstore.NewReceiver(spans, spanstore.Config{}, nil)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rcv.Run(rctx) }()
	mux := http.NewServeMux()
	mux.Handle(spanstore.TracesPath, rcv)
	srv := httptest.NewServer(mux)
	require.NoError(t, tr.Send(ctx, srv.URL))
	srv.Close()
	require.NoError(t, rcv.Close())
	cancel()
	require.NoError(t, <-done)

	// The server's workers: no periodic runs, so what they compute is the
	// backfill the command queued.
	client, err := jobs.New(pool, spans, journeystore.New(pool), jobs.Options{DisablePeriodic: true})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		require.NoError(t, jobs.Stop(sctx, client, 5*time.Second))
	})

	dir := t.TempDir()
	checkout := example(t, "shop-checkout.yaml")
	writeFile(t, dir, "shop-checkout.yaml", checkout)
	r := waymark(t, "journeys", "apply", "-database-url", dbURL, dir)
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `^created shop-checkout \(version 1\); backfill queued over `+backfillRange+"\n$", r.stdout)

	rollups := rollup.NewStore(pool)
	list, err := rollups.Backfills(ctx, "shop-checkout", 10)
	require.NoError(t, err)
	require.Len(t, list, 1)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, err := rollups.GetBackfill(ctx, list[0].ID)
		require.NoError(t, err)
		require.NotEqual(t, rollup.BackfillFailed, b.State, b.Error)
		if b.State == rollup.BackfillDone {
			break
		}
		require.True(t, time.Now().Before(deadline), "backfill still %s at %s", b.State, b.DoneThrough)
		time.Sleep(50 * time.Millisecond)
	}

	st, err := rollups.Stats(ctx, "shop-checkout", tr.Truth().WindowStart, tr.End().Add(time.Hour), nil)
	require.NoError(t, err)
	require.Equal(t, int64(truth.Sessions), st.Entered)
	require.Zero(t, st.InFlight)
	for k, s := range truth.Steps {
		require.Equal(t, int64(s.RootSpans), st.Steps[k].Spans, "spans of step %d", k)
		require.Equal(t, int64(s.Errors), st.Steps[k].Errors, "errors of step %d", k)
		require.Equal(t, int64(truth.Funnel[k].Sessions), st.Steps[k].Reached, "sessions reaching step %d", k)
	}
	for v, n := range truth.SessionsBy["user.tier"] {
		seg, err := rollups.Stats(ctx, "shop-checkout", truth.WindowStart, tr.End().Add(time.Hour), &rollup.Segment{Key: "span.user.tier", Value: v})
		require.NoError(t, err)
		require.Equal(t, int64(n), seg.Entered, "sessions of tier %s", v)
	}

	// Applying the same file again changes nothing and queues nothing.
	r = waymark(t, "journeys", "apply", "-database-url", dbURL, filepath.Join(dir, "shop-checkout.yaml"))
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "unchanged shop-checkout (version 1)\n", r.stdout)

	// An edit is recorded; its dry run first changes nothing. A new name
	// computes the same rollups, so nothing is queued.
	edited := strings.Replace(checkout, "name: Shop checkout", "name: Checkout", 1)
	require.NotEqual(t, checkout, edited)
	writeFile(t, dir, "shop-checkout.yaml", edited)
	r = waymark(t, "journeys", "apply", "-database-url", dbURL, "-dry-run", dir)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "would update shop-checkout (version 1)\n--- shop-checkout (version 1)\n+++ shop-checkout (applied)\n")
	require.Contains(t, r.stdout, "\n-  name: Shop checkout\n+  name: Checkout\n")
	r = waymark(t, "journeys", "apply", "-database-url", dbURL, dir)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "updated shop-checkout (version 2); same steps, correlation, segments and thresholds: history kept\n", r.stdout)

	rows, err := pool.Query(ctx, `SELECT actor, actor_kind, action FROM audit_log WHERE object = 'journey' ORDER BY id`)
	require.NoError(t, err)
	type entry struct{ actor, kind, action string }
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (entry, error) {
		var e entry
		return e, r.Scan(&e.actor, &e.kind, &e.action)
	})
	require.NoError(t, err)
	actor := "cli"
	if u := os.Getenv("USER"); u != "" {
		actor = "cli:" + u
	}
	require.Equal(t, []entry{{actor, "system", "journey.create"}, {actor, "system", "journey.update"}}, entries)
	list, err = rollups.Backfills(ctx, "shop-checkout", 10)
	require.NoError(t, err)
	require.Len(t, list, 1)
	fr, err := rollups.Freshness(ctx, "shop-checkout")
	require.NoError(t, err)
	require.Equal(t, 2, fr.Version)
}
