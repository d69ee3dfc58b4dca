package web

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/migrations"
)

// sloT0 is the end of the SLO tests' traffic: an hour of it, [sloT0-1h,
// sloT0).
var sloT0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func sloAt(d time.Duration) time.Time { return sloT0.Add(d) }

// testClock is a settable clock shared by the handler and the alerting
// service.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// sloBundle is a handler with an alerting service, both on the clock.
type sloBundle struct {
	*bundle
	svc   *alerttest.Services
	clock *testClock
	ctx   context.Context
}

// setupSLO is setupWith plus an alerting service whose minimum-traffic
// guard is 10 events, so that an hour of test traffic is enough to judge.
func setupSLO(t testing.TB, edit func(*Options)) *sloBundle {
	t.Helper()
	pool := pgtest.New(t)
	st := journeystore.New(pool)
	logs := &lockedWriter{w: &discard{}}
	clk := &testClock{t: sloT0}
	rollups := rollup.NewStore(pool)
	svc := alerttest.New(pool, rollups, st, alerttest.Options{Options: sloeval.Options{Now: clk.Now, DefaultMinEvents: 10}, CanaryMinEvents: 10})
	opts := Options{
		Store:       st,
		Journeys:    testJourneys(t, pool),
		DB:          st,
		SchemaCheck: func(ctx context.Context) error { return migrations.Check(ctx, pool) },
		Logger:      slog.New(slog.NewJSONHandler(logs, nil)),
		Version:     "v-test",
		Rollups:     rollups,
		Alerting:    svc,
		Now:         clk.Now,
	}
	acc := withAccounts(t, pool, &opts, nil)
	if edit != nil {
		edit(&opts)
	}
	if opts.Auth == nil {
		acc = nil
	}
	b := &bundle{handler: New(offs(opts)), store: st, pool: pool, rollups: rollups, acc: acc}
	return &sloBundle{bundle: b, svc: svc, clock: clk, ctx: context.Background()}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// The SLOs of the shop journey, on 1-day windows: alert pairs page 2m/1m
// ×14.4 and 12m/1m ×6, ticket 48m/4m ×3 and 2h24m/12m ×1.
var (
	paySuccess = journeys.SLO{Name: "pay-success", Step: "s2", Kind: journeys.SLOSuccess,
		Objective: 0.95, Window: journeys.NewDuration(journeys.Day)}
	payLatency = journeys.SLO{Name: "pay-latency", Step: "s2", Kind: journeys.SLOLatency,
		Threshold: journeys.NewDuration(300 * time.Millisecond), Objective: 0.9, Window: journeys.NewDuration(journeys.Day)}
	confirmSuccess = journeys.SLO{Name: "confirm-success", Step: "s3", Kind: journeys.SLOSuccess,
		Objective: 0.99, Window: journeys.NewDuration(journeys.Day)}
)

// sloJourney is three steps s1..s3 of service "shop", one trace each,
// broken down by span.app.version, with the given SLOs.
func sloJourney(slug string, slos ...journeys.SLO) journeys.Journey {
	j := rolluptest.Journey(slug, "trace", 0, 3)
	j.Metadata.Name = "Shop " + slug
	j.Spec.Segments = []string{"span.app.version"}
	j.Spec.SLOs = slos
	return j
}

// sloSpans is an hour of traffic ending at sloT0: every minute ten
// traces, each an s1 span of 50ms and an s2 span of 100ms one second
// later; traces alternate between versions 1.5.0 (even) and 1.4.0 (odd).
// In the last ten minutes the s2 spans of traces 0, 2, 4 and 6 of each
// minute fail: 40 bad of 600, all of version 1.5.0. Nothing reaches s3.
func sloSpans() []rolluptest.Span {
	var out []rolluptest.Span
	n := 0
	for m := 0; m < 60; m++ {
		minute := sloAt(time.Duration(m-60) * time.Minute)
		for i := 0; i < 10; i++ {
			n++
			version := "1.4.0"
			if i%2 == 0 {
				version = "1.5.0"
			}
			attrs := map[string]string{"span.app.version": version}
			start := minute.Add(time.Duration(i) * 5 * time.Second)
			failing := m >= 50 && i%2 == 0 && i < 8
			out = append(out,
				rolluptest.StepSpan(1, n, 2*n, start, 50*time.Millisecond, false, attrs),
				rolluptest.StepSpan(2, n, 2*n+1, start.Add(time.Second), 100*time.Millisecond, failing, attrs))
		}
	}
	return out
}

// seedSLOJourney stores j and rolls up sloSpans over the hour before sloT0
// with the real engine, as a live run that finished at sloT0.
func (b *sloBundle) seedSLOJourney(t testing.TB, j journeys.Journey) {
	t.Helper()
	rec, _, err := b.store.PutJourney(b.ctx, j, "test")
	require.NoError(t, err)
	src := &rolluptest.Source{}
	src.Add(sloSpans()...)
	res, err := rollup.Aggregate(b.ctx, src, j, rollup.Range{From: sloAt(-time.Hour), To: sloT0}, nil)
	require.NoError(t, err)
	require.NoError(t, b.rollups.Write(b.ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: sloT0}))
}

// deploy records a deploy marker through the service.
func (b *sloBundle) deploy(t testing.TB, service, version string, at time.Time) deploy.Deployment {
	t.Helper()
	d, err := b.svc.CreateDeployment(b.ctx, deploy.DeploymentInput{Service: service, Version: version, Environment: "production", At: at})
	require.NoError(t, err)
	return d
}

// evaluate evaluates an SLO at the given instant, as the periodic job
// would, with the clock set there.
func (b *sloBundle) evaluate(t testing.TB, slug, name string, at time.Time) sloeval.Outcome {
	t.Helper()
	b.clock.Set(at)
	out, err := b.svc.EvaluateSLO(b.ctx, slug, name, at, nil)
	require.NoError(t, err)
	return out
}

// seedIncident is the SLO tests' story: the shop journey with three SLOs,
// deploys of shop 1.4.9 (50 minutes before sloT0), of search 7.0.0 (not
// a journey service) and of shop 1.5.0 (15 minutes before), and every
// SLO evaluated at sloT0-20m (before the failures) and at sloT0, when
// pay-success pages.
func (b *sloBundle) seedIncident(t testing.TB) {
	t.Helper()
	b.seedSLOJourney(t, sloJourney("shop", paySuccess, payLatency, confirmSuccess))
	b.deploy(t, "shop", "1.4.9", sloAt(-50*time.Minute))
	b.deploy(t, "search", "7.0.0", sloAt(-12*time.Minute))
	b.deploy(t, "shop", "1.5.0", sloAt(-15*time.Minute))
	for _, at := range []time.Time{sloAt(-20 * time.Minute), sloT0} {
		for _, o := range []journeys.SLO{paySuccess, payLatency, confirmSuccess} {
			b.evaluate(t, "shop", o.Name, at)
		}
	}
}
