package alerting

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// MinEvents returns an SLO's minimum-traffic guard: its own when set with
// SetMinEvents, else the service default.
func (s *Service) MinEvents(ctx context.Context, slug, name string) (int64, error) {
	j, err := s.journey(ctx, slug)
	if err != nil {
		return 0, err
	}
	if _, err := sloDef(j.rec.Journey, name); err != nil {
		return 0, err
	}
	return s.minEvents(ctx, s.pool, j.id, name)
}

func (s *Service) minEvents(ctx context.Context, q querier, journeyID int64, name string) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT min_events FROM slo_settings WHERE journey_id = $1 AND slo_name = $2`, journeyID, name).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.opts.DefaultMinEvents, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read minimum events of SLO %q: %w", name, err)
	}
	return n, nil
}

// SetMinEvents sets an SLO's minimum-traffic guard: an alert window pair
// whose long window holds fewer events cannot fire, and a gate cannot
// decide on fewer. 0 turns the guard off for the SLO.
func (s *Service) SetMinEvents(ctx context.Context, slug, name string, n int64) error {
	if n < 0 {
		return &ValidationError{Fields: map[string]string{"min_events": "must not be negative"}}
	}
	j, err := s.journey(ctx, slug)
	if err != nil {
		return err
	}
	if _, err := sloDef(j.rec.Journey, name); err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO slo_settings (journey_id, slo_name, min_events, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (journey_id, slo_name) DO UPDATE SET min_events = EXCLUDED.min_events, updated_at = EXCLUDED.updated_at`,
		j.id, name, n, s.now().UTC())
	if err != nil {
		return fmt.Errorf("set minimum events of SLO %q: %w", name, err)
	}
	return nil
}

// ResetMinEvents makes an SLO use the default guard again.
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
