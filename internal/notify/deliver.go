package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/waymarkhq/waymark/internal/fault"
)

// ErrPermanent marks a delivery that retrying cannot fix, such as a
// channel that answers 404 or 400. It is wrapped.
var ErrPermanent = errors.New("permanent delivery failure")

// ErrEarlierPending marks a delivery held back because an earlier
// transition of the same SLO has not reached the channel yet: a channel
// sees an SLO's transitions in the order they happened, so "resolved"
// never arrives before the "firing" it resolves. It is wrapped.
var ErrEarlierPending = errors.New("an earlier transition of the SLO is not delivered yet")

// Complete is run in the transaction that records a successful delivery,
// such as the job queue's completion of the delivery's job: the record
// and the completion commit together, so that a delivery recorded as done
// is never sent again by a rescued job.
type Complete func(ctx context.Context, tx pgx.Tx) error

// Deliver sends one delivery; the notification job runs it and retries it
// with backoff on error. It returns nil without sending when the
// transition was already delivered to the channel (so that each
// transition reaches each channel once), when the channel was disabled,
// and for a refresh whose alert has since changed. It returns an error
// wrapping ErrPermanent or fault.ErrNotFound when retrying cannot help.
func (s *Service) Deliver(ctx context.Context, d Delivery) error {
	return s.DeliverThen(ctx, d, nil)
}

// DeliverThen is Deliver, running complete (when not nil) in the
// transaction that records the successful send. It returns an error
// wrapping ErrEarlierPending, without sending, while an earlier
// transition of the same SLO is still to be delivered to the channel.
func (s *Service) DeliverThen(ctx context.Context, d Delivery, complete Complete) error {
	t, err := s.evals.Transition(ctx, d.TransitionID)
	if err != nil {
		return err
	}
	ch, err := getChannel(ctx, s.pool, d.ChannelID)
	if err != nil {
		return err
	}
	var delivered *time.Time
	err = s.pool.QueryRow(ctx, `SELECT delivered_at FROM slo_notifications WHERE transition_id = $1 AND channel_id = $2`,
		d.TransitionID, d.ChannelID).Scan(&delivered)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("notification of transition %d to channel %d: %w", d.TransitionID, d.ChannelID, fault.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read notification: %w", err)
	}
	switch {
	case !ch.Enabled:
		_, err := s.pool.Exec(ctx, `UPDATE slo_notifications SET gave_up_at = $3, last_error = 'channel disabled'
			WHERE transition_id = $1 AND channel_id = $2 AND delivered_at IS NULL`, d.TransitionID, d.ChannelID, s.now().UTC())
		if err != nil {
			return fmt.Errorf("record skipped notification: %w", err)
		}
		return nil
	case d.Refresh == 0 && delivered != nil:
		return nil
	case d.Refresh == 0:
		var earlier bool
		err := s.pool.QueryRow(ctx, `
			SELECT EXISTS (SELECT 1 FROM slo_transitions t
				JOIN slo_transitions e ON e.journey_id = t.journey_id AND e.slo_name = t.slo_name AND e.id < t.id
				JOIN slo_notifications n ON n.transition_id = e.id AND n.channel_id = $2
				WHERE t.id = $1 AND n.delivered_at IS NULL AND n.gave_up_at IS NULL)`, d.TransitionID, d.ChannelID).Scan(&earlier)
		if err != nil {
			return fmt.Errorf("check earlier notifications: %w", err)
		}
		if earlier {
			return fmt.Errorf("notification of transition %d to channel %d: %w", d.TransitionID, d.ChannelID, ErrEarlierPending)
		}
	case d.Refresh != 0:
		current, err := s.isCurrentAlert(ctx, t)
		if err != nil {
			return err
		}
		if !current || ch.Kind != ChannelAlertmanager || delivered == nil {
			return nil
		}
	}

	sentAt := s.now()
	body, err := s.Payload(ch.Kind, t, ch.ID, d.Refresh != 0, sentAt)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	target := ch.URL
	if ch.Kind == ChannelAlertmanager {
		target = alertmanagerURL(ch.URL)
	}
	sendErr := s.post(ctx, target, body)
	if sendErr != nil {
		sendErr = fmt.Errorf("send to channel %q (%s): %w", ch.Name, ch.RedactedURL(), sendErr)
	}
	if sendErr == nil && complete != nil {
		// What went out is recorded even if the job's context ends now.
		rctx := context.WithoutCancel(ctx)
		return pgx.BeginFunc(rctx, s.pool, func(tx pgx.Tx) error {
			if err := s.recordAttempt(rctx, tx, d, sentAt, nil); err != nil {
				return err
			}
			if err := complete(rctx, tx); err != nil {
				return fmt.Errorf("complete delivery: %w", err)
			}
			return nil
		})
	}
	if err := s.recordAttempt(context.WithoutCancel(ctx), s.pool, d, sentAt, sendErr); err != nil {
		return err
	}
	return sendErr
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// isCurrentAlert reports whether t is the transition that put its SLO in
// the alert state it is still in.
func (s *Service) isCurrentAlert(ctx context.Context, t Transition) (bool, error) {
	var current bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM slo_states st JOIN slo_transitions t ON t.journey_id = st.journey_id AND t.slo_name = st.slo_name
			WHERE t.id = $1 AND st.last_transition_id = $1 AND st.state IN ('ticket', 'page'))`, t.ID).Scan(&current)
	if err != nil {
		return false, fmt.Errorf("check current alert: %w", err)
	}
	return current, nil
}

func (s *Service) recordAttempt(ctx context.Context, db execer, d Delivery, at time.Time, sendErr error) error {
	var err error
	if sendErr == nil {
		_, err = db.Exec(ctx, `UPDATE slo_notifications SET attempts = attempts + 1, last_attempt_at = $3,
				last_error = '', delivered_at = COALESCE(delivered_at, $3), sent_at = $3
			WHERE transition_id = $1 AND channel_id = $2`, d.TransitionID, d.ChannelID, at.UTC())
	} else {
		msg := sendErr.Error()
		if len(msg) > 2000 {
			msg = msg[:2000]
		}
		var gaveUp *time.Time
		if errors.Is(sendErr, ErrPermanent) {
			t := at.UTC()
			gaveUp = &t
		}
		_, err = db.Exec(ctx, `UPDATE slo_notifications SET attempts = attempts + 1, last_attempt_at = $3,
				last_error = $4, gave_up_at = COALESCE($5, gave_up_at)
			WHERE transition_id = $1 AND channel_id = $2`, d.TransitionID, d.ChannelID, at.UTC(), msg, gaveUp)
	}
	if err != nil {
		return fmt.Errorf("record notification attempt: %w", err)
	}
	return nil
}

// GiveUp records that a delivery will not be retried again, so that the
// channel's page can show it.
func (s *Service) GiveUp(ctx context.Context, d Delivery, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE slo_notifications SET gave_up_at = $3,
			last_error = CASE WHEN last_error = '' THEN $4 ELSE last_error END
		WHERE transition_id = $1 AND channel_id = $2 AND delivered_at IS NULL`, d.TransitionID, d.ChannelID, s.now().UTC(), reason)
	if err != nil {
		return fmt.Errorf("record given-up notification: %w", err)
	}
	return nil
}

// alertmanagerURL is where alerts are posted: {url}/api/v2/alerts, unless
// the channel's URL already names that path.
func alertmanagerURL(base string) string {
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(base, "/api/v2/alerts") {
		return base
	}
	return base + "/api/v2/alerts"
}

// post sends body as JSON. 2xx is success; 408, 425, 429 and 5xx are
// worth retrying; any other status is permanent.
func (s *Service) post(ctx context.Context, target string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: build request: %w", ErrPermanent, stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Waymark")
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return stripURL(err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet)))
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return err
	}
	if resp.StatusCode >= 500 {
		return err
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// stripURL drops the URL from a client error: a Slack webhook URL is a
// secret and must not reach logs or pages.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
