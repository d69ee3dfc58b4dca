package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/waymarkhq/waymark/internal/rollup"
)

// BackfillArgs catches a journey's rollups up after their history was
// rewound (a journey change, or a recompute asked for): it advances the
// journey with a long budget, so that the history fills in at once
// instead of an hour per scheduled minute.
type BackfillArgs struct {
	BackfillID int64  `json:"backfill_id" river:"unique"`
	Slug       string `json:"slug"`
}

// Kind identifies the job.
func (BackfillArgs) Kind() string { return "rollup_backfill" }

// InsertOpts make a backfill unique.
func (BackfillArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, Priority: 2, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EnqueueBackfill rewinds slug's rollups to from, records the recompute of
// [from, to) (minute aligned outwards), and inserts the job that catches
// up, all in tx, so that the change that made it necessary commits with
// it. Scheduled runs carry on from the watermark too, so a crash mid-way
// delays nothing beyond the next minute.
func EnqueueBackfill(ctx context.Context, client *river.Client[pgx.Tx], tx pgx.Tx, slug string, from, to time.Time) (rollup.Backfill, error) {
	from = from.UTC().Truncate(rollup.BucketWidth)
	if t := to.UTC().Truncate(rollup.BucketWidth); t.Before(to) {
		to = t.Add(rollup.BucketWidth)
	} else {
		to = t
	}
	b, err := rollup.Rewind(ctx, tx, slug, from, to)
	if err != nil {
		return b, err
	}
	if _, err := client.InsertTx(ctx, tx, BackfillArgs{BackfillID: b.ID, Slug: slug}, nil); err != nil {
		return b, fmt.Errorf("enqueue backfill of %q: %w", slug, err)
	}
	return b, nil
}

// backfillSlice is how long one backfill job runs at most before it
// hands over to the next: a backfill that a crash interrupted is rescued
// within the rescue window, so it runs in slices shorter than that.
const backfillSlice = 10 * time.Minute

// BackfillWorker works backfills.
type BackfillWorker struct {
	river.WorkerDefaults[BackfillArgs]
	d *deps
}

// Timeout is one slice of the backfill; each chunk is committed with the
// watermark, so a cancelled backfill loses nothing.
func (w *BackfillWorker) Timeout(*river.Job[BackfillArgs]) time.Duration {
	return w.d.opts.timeout(backfillSlice)
}

// NextRetry retries a failed or rescued backfill after 5 seconds,
// doubling with each failure up to 10 minutes. It counts failures, not
// attempts, which snoozes between slices add to.
func (w *BackfillWorker) NextRetry(job *river.Job[BackfillArgs]) time.Time {
	return time.Now().Add(notifyBackoff(5*time.Second, len(job.Errors)))
}

// Work advances the journey towards the live edge for half of the job's
// timeout, and snoozes the job to carry on at once while the backfill is
// not done.
func (w *BackfillWorker) Work(ctx context.Context, job *river.Job[BackfillArgs]) error {
	b, err := w.d.rollups.GetBackfill(ctx, job.Args.BackfillID)
	if errors.Is(err, rollup.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if b.State == rollup.BackfillDone {
		return nil
	}
	err = w.d.advance(ctx, b.Slug, w.Timeout(job)/2)
	if err != nil && (ctx.Err() == nil || !errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	// A slice that ran out of time committed what it computed: while it
	// made progress it hands over to the next rather than failing.
	after, gerr := w.d.rollups.GetBackfill(context.WithoutCancel(ctx), job.Args.BackfillID)
	if gerr != nil {
		return gerr
	}
	if after.State == rollup.BackfillDone {
		return nil
	}
	if err != nil && !after.DoneThrough.After(b.DoneThrough) {
		return err
	}
	return river.JobSnooze(time.Second)
}

// MaintainArgs is the periodic job that downsamples old rollups and drops
// expired ones.
type MaintainArgs struct{}

// Kind identifies the job.
func (MaintainArgs) Kind() string { return "rollup_maintain" }

// InsertOpts keep one maintenance run at a time.
func (MaintainArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: 3, UniqueOpts: river.UniqueOpts{ByPeriod: time.Minute}}
}

// MaintainWorker downsamples and applies retention.
type MaintainWorker struct {
	river.WorkerDefaults[MaintainArgs]
	d *deps
}

// Timeout allows for a first run over a large history.
func (w *MaintainWorker) Timeout(*river.Job[MaintainArgs]) time.Duration {
	return w.d.opts.timeout(time.Hour)
}

// Work merges minute rows older than DownsampleAfter into hour rows and
// deletes rows older than Retention.
func (w *MaintainWorker) Work(ctx context.Context, job *river.Job[MaintainArgs]) error {
	now := w.d.opts.Now()
	hours, err := w.d.rollups.Downsample(ctx, now.Add(-w.d.opts.DownsampleAfter))
	if err != nil {
		return err
	}
	var deleted int64
	if w.d.opts.Retention > 0 {
		if deleted, err = w.d.rollups.DeleteBefore(ctx, now.Add(-w.d.opts.Retention)); err != nil {
			return err
		}
	}
	w.d.log.Info("maintained rollups", "downsampled_hours", hours, "deleted_rows", deleted)
	return nil
}
