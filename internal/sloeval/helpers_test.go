package sloeval_test

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/internal/sloeval"
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
	journeys *journeystore.Store
	rollups  *rollup.Store
	svc      *alerttest.Services
	clock    *clock
	j        journeys.Journey
	version  int
	queued   *recorder
}

// recorder is an sloeval.Enqueue that keeps what it was given.
type recorder struct {
	mu sync.Mutex
	ds []sloeval.Delivery
}

func (r *recorder) enqueue(_ context.Context, _ pgx.Tx, ds []sloeval.Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ds = append(r.ds, ds...)
	return nil
}

func (r *recorder) take() []sloeval.Delivery {
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
func setup(t *testing.T, j journeys.Journey, opts alerttest.Options) *fixture {
	t.Helper()
	pool := pgtest.New(t)
	f := &fixture{
		ctx:      context.Background(),
		pool:     pool,
		journeys: journeystore.New(pool),
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
	f.svc = alerttest.New(pool, f.rollups, f.journeys, opts)
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
func (f *fixture) evaluate(t *testing.T, name string) sloeval.Outcome {
	t.Helper()
	out, err := f.svc.EvaluateSLO(f.ctx, f.j.Metadata.Slug, name, f.clock.Now(), f.queued.enqueue)
	require.NoError(t, err)
	return out
}

// lastEvaluation returns the newest stored evaluation of an SLO.
func (f *fixture) lastEvaluation(t *testing.T, name string) sloeval.EvaluationRecord {
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

// paySLO is a success SLO on step s2 (index 1) over 30 days, the window
// the SRE workbook's alert table is written for, so that its pairs are
// the workbook's: page 1h/5m ×14.4 and 6h/30m ×6, ticket 1d/2h ×3 and
// 3d/6h ×1.
var paySLO = journeys.SLO{Name: "pay-success", Step: "s2", Kind: journeys.SLOSuccess, Objective: 0.99, Window: dur(30 * day)}

// burstSLO has a one-day window, so its alert windows are minutes long:
// page 2m/1m ×14.4 and 12m/1m ×6, ticket 48m/4m ×3 and 2h24m/12m ×1. Its
// traffic guard is 10 and it resolves at once (resolveAfter: 0s), so that
// tests of notifications need no quarter of an hour of clean traffic; the
// hold has tests of its own.
var burstSLO = journeys.SLO{Name: "pay-burst", Step: "s2", Kind: journeys.SLOSuccess, Objective: 0.99, Window: dur(day),
	MinEvents: journeys.NewCount(10), ResolveAfter: journeys.NewDuration(0)}

// burst writes 30 minutes of 100 payments a minute before t0, every one
// failing in the last five: at t0 the SLO pages.
func burst(t *testing.T, f *fixture) {
	t.Helper()
	rs := append(rows(1, at(-30*time.Minute), at(-5*time.Minute), time.Minute, 100, 0),
		rows(1, at(-5*time.Minute), t0, time.Minute, 100, 100)...)
	f.write(t, at(-30*time.Minute), t0, rs, nil)
}

// receiver is an HTTP endpoint that answers with scripted statuses (200
// once they run out) and keeps every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	reqs     []request
}

type request struct {
	path, contentType string
	body              []byte
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, request{req.URL.Path, req.Header.Get("Content-Type"), b})
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func (f *fixture) channel(t *testing.T, in notify.ChannelInput) notify.Channel {
	t.Helper()
	ch, err := f.svc.CreateChannel(f.ctx, in)
	require.NoError(t, err)
	return ch
}

type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
}
