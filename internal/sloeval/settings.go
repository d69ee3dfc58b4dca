package sloeval

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/journeys"
)

// Where an SLO's minimum-traffic guard comes from.
const (
	// GuardFromJourney: the SLO's own minEvents.
	GuardFromJourney = "journey"
	// GuardFromLegacySetting: a guard set with SetMinEvents before
	// minEvents was part of the SLO, for an SLO that sets none.
	GuardFromLegacySetting = "legacy_setting"
	// GuardFromDefault: the server's default (Options.DefaultMinEvents).
	GuardFromDefault = "default"
)

// guard is an SLO's minimum-traffic guard and where it comes from.
type guard struct {
	n      int64
	source string
}

// MinEvents returns an SLO's minimum-traffic guard: its own minEvents,
// else one set with SetMinEvents before minEvents existed, else the
// service default.
func (s *Service) MinEvents(ctx context.Context, slug, name string) (int64, error) {
	j, err := s.Journey(ctx, slug)
	if err != nil {
		return 0, err
	}
	def, err := sloDef(j.Record.Journey, name)
	if err != nil {
		return 0, err
	}
	g, err := s.guard(ctx, s.pool, j.ID, def)
	return g.n, err
}

// guard resolves an SLO's guard. The journey wins: minEvents is part of
// the SLO, versioned and exported with it. The slo_settings table is read
// only for an SLO without minEvents, so that a guard lowered before
// minEvents existed does not jump back to the default on upgrade and
// turn a small shop's SLOs to insufficient_traffic without a word.
func (s *Service) guard(ctx context.Context, q querier, journeyID int64, def journeys.SLO) (guard, error) {
	if def.MinEvents.Set {
		return guard{n: def.MinEvents.N, source: GuardFromJourney}, nil
	}
	var n int64
	err := q.QueryRow(ctx, `SELECT min_events FROM slo_settings WHERE journey_id = $1 AND slo_name = $2`, journeyID, def.Name).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return guard{n: s.opts.DefaultMinEvents, source: GuardFromDefault}, nil
	}
	if err != nil {
		return guard{}, fmt.Errorf("read minimum events of SLO %q: %w", def.Name, err)
	}
	return guard{n: n, source: GuardFromLegacySetting}, nil
}

// SetMinEvents stores a minimum-traffic guard for an SLO outside its
// definition, which applies while the SLO sets no minEvents.
//
// Deprecated: set minEvents on the SLO in the journey, where it is
// validated, versioned and exported with the rest of the SLO. Nothing in
// Waymark calls this any more; guards it stored are still read.
func (s *Service) SetMinEvents(ctx context.Context, slug, name string, n int64) error {
	if n < 0 {
		return &fault.Invalid{What: "input", Fields: map[string]string{"min_events": "must not be negative"}}
	}
	j, err := s.Journey(ctx, slug)
	if err != nil {
		return err
	}
	if _, err := sloDef(j.Record.Journey, name); err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO slo_settings (journey_id, slo_name, min_events, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (journey_id, slo_name) DO UPDATE SET min_events = EXCLUDED.min_events, updated_at = EXCLUDED.updated_at`,
		j.ID, name, n, s.now().UTC())
	if err != nil {
		return fmt.Errorf("set minimum events of SLO %q: %w", name, err)
	}
	return nil
}

// ResetMinEvents drops a guard stored with SetMinEvents: the SLO takes
// its own minEvents, or the default, again.
func (s *Service) ResetMinEvents(ctx context.Context, slug, name string) error {
	id, err := s.journeyID(ctx, slug)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM slo_settings WHERE journey_id = $1 AND slo_name = $2`, id, name); err != nil {
		return fmt.Errorf("reset minimum events of SLO %q: %w", name, err)
	}
	return nil
}
