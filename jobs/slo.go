package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/waymarkhq/waymark/internal/sloeval"
)

// DefaultEvaluateEvery is how often every SLO is evaluated.
const DefaultEvaluateEvery = time.Minute

// SLOEvaluateArgs is the periodic job that evaluates every SLO, stores the
// evaluations and alert transitions, and queues their notifications.
type SLOEvaluateArgs struct{}

// Kind identifies the job.
func (SLOEvaluateArgs) Kind() string { return "slo_evaluate" }

// InsertOpts keep at most one evaluation queued or running, so that a slow
// round is not followed by a pile of late ones, and never retry it: the
// next minute's evaluation reads the same rollups anyway.
func (SLOEvaluateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

// SLOEvaluateWorker evaluates every SLO of every journey.
type SLOEvaluateWorker struct {
	river.WorkerDefaults[SLOEvaluateArgs]
	d *deps
}

// Timeout bounds one round of evaluations; a round reads only rollups.
func (w *SLOEvaluateWorker) Timeout(*river.Job[SLOEvaluateArgs]) time.Duration {
	return w.d.opts.timeout(2 * time.Minute)
}

// Work evaluates every SLO at the job's clock.
func (w *SLOEvaluateWorker) Work(ctx context.Context, job *river.Job[SLOEvaluateArgs]) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("get job client: %w", err)
	}
	outs, err := w.d.slos.EvaluateAll(ctx, w.d.opts.Now(), NotifyEnqueuer(client))
	for _, o := range outs {
		if o.Transition != nil {
			w.d.log.Info("SLO alert state changed", "journey", o.Journey, "slo", o.SLO,
				"from", o.Transition.From, "to", o.Transition.To, "reason", o.Transition.Reason,
				"notifications", len(o.Deliveries))
		}
	}
	if err != nil {
		return fmt.Errorf("evaluate SLOs: %w", err)
	}
	return nil
}

// NotifyEnqueuer returns an sloeval.Enqueue that inserts one NotifyArgs
// job per delivery in the transaction that recorded the transition.
func NotifyEnqueuer(client *river.Client[pgx.Tx]) sloeval.Enqueue {
	return func(ctx context.Context, tx pgx.Tx, ds []sloeval.Delivery) error {
		if len(ds) == 0 {
			return nil
		}
		params := make([]river.InsertManyParams, len(ds))
		for i, d := range ds {
			params[i] = river.InsertManyParams{Args: NotifyArgs{TransitionID: d.TransitionID, ChannelID: d.ChannelID, Refresh: d.Refresh}}
		}
		if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("insert notification jobs: %w", err)
		}
		return nil
	}
}
