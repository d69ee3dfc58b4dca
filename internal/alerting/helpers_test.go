package alerting_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/journeys"
)

var update = flag.Bool("update", false, "rewrite golden files")

// t0 is a Monday at midnight; scripted traffic is laid out around it.
var t0 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const day = journeys.Day

// clock is a settable time source.
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
	journeys *store.Store
	rollups  *rollup.Store
	svc      *alerting.Service
	clock    *clock
	j        journeys.Journey
	version  int
	queued   *recorder
}

// recorder is an alerting.Enqueue that keeps what it was given.
type recorder struct {
	mu sync.Mutex
	ds []alerting.Delivery
}

func (r *recorder) enqueue(_ context.Context, _ pgx.Tx, ds []alerting.Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ds = append(r.ds, ds...)
	return nil
}

func (r *recorder) take() []alerting.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	ds := r.ds
	r.ds = nil
	return ds
}

// shopJourney is three steps s1..s3 of service "shop", correlated by trace,
// with a span.app.version segment and the given SLOs.
func shopJourney(slos ...journeys.SLO) journeys.Journey {
	j := rolluptest.Journey("shop", "trace", 0, 3)
	j.Metadata.Name = "Shop checkout"
	j.Spec.Segments = []string{"span.app.version"}
	j.Spec.SLOs = slos
	return j
}

func dur(d time.Duration) journeys.Duration { return journeys.NewDuration(d) }

// setup stores j on a fresh database and returns a service on it whose
// clock starts at t0.
func setup(t *testing.T, j journeys.Journey, opts alerting.Options) *fixture {
	t.Helper()
	pool := pgtest.New(t)
	f := &fixture{
		ctx:      context.Background(),
		pool:     pool,
		journeys: store.New(pool),
		rollups:  rollup.NewStore(pool),
		clock:    &clock{t: t0},
		j:        j,
		queued:   &recorder{},
	}
	rec, err := f.journeys.CreateJourney(f.ctx, j, "test")
	require.NoError(t, err)
	f.version = rec.Version
	opts.Now = f.clock.Now
	if opts.PublicURL == "" {
		opts.PublicURL = "https://waymark.example.com"
	}
	f.svc = alerting.NewService(pool, f.rollups, f.journeys, opts)
	return f
}

// rows returns one all-traffic row of step k (0-based) per bucket of
// width in [from, to), each with spans spans and errs errors, latencies
// all d.
func rows(k int, from, to time.Time, width time.Duration, spans, errs int64) []rollup.StepRow {
	var out []rollup.StepRow
	for b := from; b.Before(to); b = b.Add(width) {
		out = append(out, rollup.StepRow{Step: k, Bucket: b, Width: width, Spans: spans, Errors: errs, Latency: &sketch.Sketch{}})
	}
	return out
}

// write stores rows and funnels as one live rollup run over [from, to):
// freshness then says the rollups are complete through to.
func (f *fixture) write(t *testing.T, from, to time.Time, steps []rollup.StepRow, funnels []rollup.FunnelRow) {
	t.Helper()
	res := &rollup.Result{
		Slug:       f.j.Metadata.Slug,
		Range:      rollup.Range{From: from, To: to},
		Thresholds: rollup.Thresholds(f.j),
		Steps:      steps,
		Funnels:    funnels,
	}
	require.NoError(t, f.rollups.Write(f.ctx, res, rollup.WriteOptions{Version: f.version, Live: true, Started: to}))
}

// evaluate evaluates one SLO at the clock's time.
func (f *fixture) evaluate(t *testing.T, name string) alerting.Outcome {
	t.Helper()
	out, err := f.svc.EvaluateSLO(f.ctx, f.j.Metadata.Slug, name, f.clock.Now(), f.queued.enqueue)
	require.NoError(t, err)
	return out
}

// lastEvaluation returns the newest stored evaluation of an SLO.
func (f *fixture) lastEvaluation(t *testing.T, name string) alerting.EvaluationRecord {
	t.Helper()
	evs, err := f.svc.Evaluations(f.ctx, f.j.Metadata.Slug, name, time.Time{}, at(365*day), 0)
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	return evs[len(evs)-1]
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}
