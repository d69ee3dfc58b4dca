package sloeval_test

import (
	"context"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

// benchFixture holds 28 days of one step's rollups as the rollup jobs
// leave them: hour rows for 26 days, minute rows for the last two, each
// with a 100-span latency sketch, for a 28-day latency SLO and a success
// SLO on that step.
func benchFixture(b *testing.B) (*alerttest.Services, time.Time) {
	b.Helper()
	ctx := context.Background()
	pool := pgtest.New(b)
	js := journeystore.New(pool)
	lat := journeys.SLO{Name: "lat", Step: "s2", Kind: journeys.SLOLatency, Threshold: dur(300 * time.Millisecond), Objective: 0.995}
	suc := journeys.SLO{Name: "suc", Step: "s2", Kind: journeys.SLOSuccess, Objective: 0.999}
	j := shopJourney(lat, suc)
	rec, err := js.CreateJourney(ctx, j, "bench")
	if err != nil {
		b.Fatal(err)
	}
	rollups := rollup.NewStore(pool)
	now := t0
	steps := append(rows(1, now.Add(-28*day), now.Add(-2*day), time.Hour, 6000, 6),
		rows(1, now.Add(-2*day), now, time.Minute, 100, 1)...)
	for i := range steps {
		for k := 0; k < 100; k++ {
			steps[i].Latency.Add(time.Duration(50+k*5) * time.Millisecond)
		}
		steps[i].Good = []int64{steps[i].Spans * 51 / 100}
	}
	res := &rollup.Result{Slug: "shop", Range: rollup.Range{From: now.Add(-28 * day), To: now}, Thresholds: rollup.Thresholds(j), Steps: steps}
	if err := rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: now}); err != nil {
		b.Fatal(err)
	}
	return alerttest.New(pool, rollups, js, alerttest.Options{Options: sloeval.Options{Now: func() time.Time { return now }}}), now
}

// BenchmarkEvaluateSLO is one minute's evaluation of one SLO: its SLI over
// the budget window and every alert window, stored with its numbers.
func BenchmarkEvaluateSLO(b *testing.B) {
	svc, now := benchFixture(b)
	ctx := context.Background()
	for _, name := range []string{"lat", "suc"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.EvaluateSLO(ctx, "shop", name, now, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSLOStatus is the SLO page's read: numbers, 60-point burn-down,
// transitions and exemplars.
func BenchmarkSLOStatus(b *testing.B) {
	svc, now := benchFixture(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := svc.SLOStatus(ctx, "shop", "lat", now); err != nil {
			b.Fatal(err)
		}
	}
}
