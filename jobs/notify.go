package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/sloeval"
)

// NotifyArgs delivers one SLO alert transition to one channel.
type NotifyArgs struct {
	TransitionID int64 `json:"transition_id" river:"unique"`
	ChannelID    int64 `json:"channel_id" river:"unique"`
	// Refresh is the time slot of a re-send of a firing alert to
	// Alertmanager, 0 for the transition's own delivery.
	Refresh int64 `json:"refresh,omitempty" river:"unique"`
}

// Kind identifies the job.
func (NotifyArgs) Kind() string { return "slo_notify" }

// NotifyMaxAttempts bounds the retries of a delivery: with
// NotifyWorker.NextRetry they span about two hours.
const NotifyMaxAttempts = 20

// InsertOpts make a delivery unique per transition, channel and refresh
// slot while queued. The slo_notifications row keeps it unique for good.
func (NotifyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: NotifyMaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// NotifyWorker sends notifications.
type NotifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	d *deps
}

// Timeout bounds one attempt; the HTTP client has its own, shorter one.
// Short, with a rescue window of minutes, so that a delivery a crash
// interrupted is retried minutes later, not an hour.
func (w *NotifyWorker) Timeout(*river.Job[NotifyArgs]) time.Duration {
	return w.d.opts.timeout(30 * time.Second)
}

// DefaultNotifyRetry is the first retry's delay of a failed delivery.
const DefaultNotifyRetry = 5 * time.Second

// NextRetry backs off exponentially from Options.NotifyRetry (5 seconds)
// to at most 120 times that (10 minutes): an alert is worth little hours
// late.
func (w *NotifyWorker) NextRetry(job *river.Job[NotifyArgs]) time.Time {
	base := DefaultNotifyRetry
	if w.d != nil {
		base = w.d.opts.NotifyRetry
	}
	return time.Now().Add(notifyBackoff(base, job.Attempt))
}

func notifyBackoff(base time.Duration, attempt int) time.Duration {
	limit := 120 * base
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Work delivers; a channel that rejects the request for good, or a
// transition or channel that is gone, cancels the job instead of retrying.
func (w *NotifyWorker) Work(ctx context.Context, job *river.Job[NotifyArgs]) error {
	d := sloeval.Delivery{TransitionID: job.Args.TransitionID, ChannelID: job.Args.ChannelID, Refresh: job.Args.Refresh}
	err := w.d.notify.DeliverThen(ctx, d, func(ctx context.Context, tx pgx.Tx) error {
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, notify.ErrEarlierPending):
		// Not an attempt: wait for the earlier one, as often as it is
		// retried at first.
		return river.JobSnooze(w.d.opts.NotifyRetry)
	case errors.Is(err, notify.ErrPermanent), errors.Is(err, fault.ErrNotFound):
		w.d.log.Warn("notification dropped", "transition", d.TransitionID, "channel", d.ChannelID, "error", err)
		return river.JobCancel(err)
	}
	if job.Attempt >= job.MaxAttempts {
		if gerr := w.d.notify.GiveUp(context.WithoutCancel(ctx), d, err.Error()); gerr != nil {
			w.d.log.Error("record given-up notification", "error", gerr)
		}
	}
	return fmt.Errorf("deliver notification: %w", err)
}
