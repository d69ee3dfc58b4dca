package sloeval

import (
	"context"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// What the deployment gate (internal/deploy/gate) judges with: the same
// freshness rule, guard and event series as the evaluations, so that a
// gate and an alert never disagree on the numbers.

// DataEnd is the end of the complete rollups of a journey at now and, when
// they are older than Options.StaleAfter, that they are stale and why. A
// journey never rolled up is an error wrapping fault.ErrNotFound.
func (s *Service) DataEnd(ctx context.Context, slug string, now time.Time) (end time.Time, stale bool, reason string, err error) {
	fr, err := s.rollups.Freshness(ctx, slug)
	if err != nil {
		return time.Time{}, false, "", rollupErr(err)
	}
	end, stale, reason = s.dataEnd(fr, now)
	return end, stale, reason, nil
}

// Guard is the minimum-traffic guard of an SLO of a live journey (see
// MinEvents).
func (s *Service) Guard(ctx context.Context, j LiveJourney, def journeys.SLO) (int64, error) {
	g, err := s.guard(ctx, s.pool, j.ID, def)
	return g.n, err
}

// Series reads an SLO's events over each of lengths ending at end, as the
// evaluations do; step is StepIndex's.
func (s *Service) Series(ctx context.Context, slug string, def journeys.SLO, step int, end time.Time, lengths []time.Duration) (slo.Series, error) {
	series, _, err := s.series(ctx, slug, def, step, end, lengths)
	return series, err
}

// Stats reads a journey's per-step figures over [from, to) for one
// segment, with the errors of a missing journey worded as the other reads.
func (s *Service) Stats(ctx context.Context, slug string, from, to time.Time, seg *rollup.Segment) (rollup.JourneyStats, error) {
	st, err := s.rollups.Stats(ctx, slug, from, to, seg)
	if err != nil {
		return rollup.JourneyStats{}, rollupErr(err)
	}
	return st, nil
}
