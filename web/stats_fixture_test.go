package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// st0 is the start of the shop's traffic in these tests.
var st0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func sat(d time.Duration) time.Time { return st0.Add(d) }

// shopJourney is three steps s1 → s2 → s3 of one session, within a minute
// of entering, broken down by tier and region.
func shopJourney() journeys.Journey {
	j := rolluptest.Journey("shop", "span.session.id", time.Minute, 3)
	j.Metadata.Name = "Shop"
	j.Spec.Segments = []string{"span.tier", "span.region"}
	return j
}

// shopSpans is four sessions over three minutes:
//
//	1 gold   s1 +10s 50ms, s2 +20s 200ms, s3 +30s 600ms error  → completes
//	2 silver s1 +70s 150ms, s2 +75s 300ms                       → dropped (window ends +130s)
//	3 gold   s1 +130s 100ms error                               → in flight at +180s
//	4 silver s1 +140s 250ms, s2 +150s 400ms, s3 +160s 700ms     → completes
func shopSpans() []rolluptest.Span {
	ms := time.Millisecond
	sp := func(step, session, n int, at time.Duration, d time.Duration, isErr bool, tier string) rolluptest.Span {
		return rolluptest.StepSpan(step, session, n, sat(at), d*ms, isErr,
			map[string]string{"span.session.id": fmt.Sprintf("sess-%d", session), "span.tier": tier, "span.region": "eu"})
	}
	return []rolluptest.Span{
		sp(1, 1, 1, 10*time.Second, 50, false, "gold"),
		sp(2, 1, 2, 20*time.Second, 200, false, "gold"),
		sp(3, 1, 3, 30*time.Second, 600, true, "gold"),
		sp(1, 2, 4, 70*time.Second, 150, false, "silver"),
		sp(2, 2, 5, 75*time.Second, 300, false, "silver"),
		sp(1, 3, 6, 130*time.Second, 100, true, "gold"),
		sp(1, 4, 7, 140*time.Second, 250, false, "silver"),
		sp(2, 4, 8, 150*time.Second, 400, false, "silver"),
		sp(3, 4, 9, 160*time.Second, 700, false, "silver"),
	}
}

// shopNow is the tests' clock: half a minute past the computed range, so
// that the default range is [st0+2m, st0+3m).
var shopNow = sat(3*time.Minute + 30*time.Second)

// seedShop stores the shop journey and rolls up its traffic over
// [st0, st0+3m) with the real engine, as a live run started at started
// that took 850ms.
func (b *bundle) seedShop(t testing.TB, started time.Time) journeys.Journey {
	t.Helper()
	ctx := context.Background()
	j := shopJourney()
	rec, _, err := b.store.PutJourney(ctx, j, "test")
	require.NoError(t, err)
	src := &rolluptest.Source{}
	src.Add(shopSpans()...)
	res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: st0, To: sat(3 * time.Minute)}, nil)
	require.NoError(t, err)
	require.NoError(t, b.rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: started, Took: 850 * time.Millisecond}))
	return j
}

// sk is what the latency sketches report for a duration: within 1% of it.
func sk(t testing.TB, ms float64) float64 {
	t.Helper()
	s := sketch.New()
	s.Add(time.Duration(ms * float64(time.Millisecond)))
	got := s.QuantileNanos(0.5) / float64(time.Millisecond)
	require.InEpsilon(t, ms, got, 0.01)
	return got
}

// traceMap is a trace source of hand-built traces.
type traceMap map[string]journeys.Trace

func (m traceMap) Trace(_ context.Context, id string) (journeys.Trace, error) {
	t, ok := m[id]
	if !ok {
		return journeys.Trace{}, fmt.Errorf("trace %s: %w", id, journeys.ErrTraceNotFound)
	}
	return t, nil
}

// Both real trace sources and the in-memory one serve the waterfall.
var (
	_ journeyhttp.Traces = (*tempo.Source)(nil)
	_ journeyhttp.Traces = (*spanstore.Store)(nil)
	_ journeyhttp.Traces = (*rolluptest.Source)(nil)
)
