package sloeval

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The notifications a transition owes are written in the transaction that
// records it (slo_notifications, one row per channel), so that a
// transition is committed if and only if its notifications are;
// internal/notify sends them and records each attempt.

// Delivery is one notification to send: a transition to a channel.
type Delivery struct {
	TransitionID int64 `json:"transition_id"`
	ChannelID    int64 `json:"channel_id"`
	// Refresh is 0 for the transition's own delivery. A firing alert is
	// re-sent to Alertmanager channels every Options.AlertmanagerResend;
	// such a refresh carries the number of its time slot, so that each
	// slot is sent once.
	Refresh int64 `json:"refresh,omitempty"`
}

// Enqueue queues deliveries inside the transaction that recorded the
// transitions they carry, so that a transition is committed if and only if
// its notifications are. The jobs package passes one that inserts River
// jobs with InsertManyTx.
type Enqueue func(ctx context.Context, tx pgx.Tx, ds []Delivery) error

// channelsFor returns the ids of the enabled channels that take alerts of
// a journey, in id order.
func channelsFor(ctx context.Context, q querier, slug string) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM notification_channels
		WHERE enabled AND (cardinality(journeys) = 0 OR $1 = ANY(journeys))
		ORDER BY id`, slug)
	if err != nil {
		return nil, fmt.Errorf("list channels of %q: %w", slug, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list channels of %q: %w", slug, err)
	}
	return ids, nil
}

// refreshes returns the Alertmanager re-sends due for a firing alert whose
// current transition is id: one per channel that received it more than
// AlertmanagerResend ago.
func (s *Service) refreshes(ctx context.Context, tx pgx.Tx, id int64, now time.Time) ([]Delivery, error) {
	every := s.opts.AlertmanagerResend
	rows, err := tx.Query(ctx, `
		SELECT n.channel_id FROM slo_notifications n JOIN notification_channels c ON c.id = n.channel_id
		WHERE n.transition_id = $1 AND c.kind = 'alertmanager' AND c.enabled
			AND n.delivered_at IS NOT NULL AND n.sent_at <= $2
		ORDER BY n.channel_id`, id, now.Add(-every))
	if err != nil {
		return nil, fmt.Errorf("find alerts to re-send: %w", err)
	}
	chans, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("find alerts to re-send: %w", err)
	}
	slot := now.UnixNano() / int64(every)
	out := make([]Delivery, len(chans))
	for i, ch := range chans {
		out[i] = Delivery{TransitionID: id, ChannelID: ch, Refresh: slot}
	}
	return out, nil
}

// querier is what both a pool and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
