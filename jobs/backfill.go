package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/store"
)

// BackfillArgs recomputes a journey's history over the range recorded in
// backfill BackfillID, chunk by chunk, recording progress as it goes.
type BackfillArgs struct {
	BackfillID int64  `json:"backfill_id" river:"unique"`
	Slug       string `json:"slug"`
}

// Kind identifies the job.
func (BackfillArgs) Kind() string { return "rollup_backfill" }

// InsertOpts make a backfill unique; it resumes where it stopped when
// retried.
func (BackfillArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, Priority: 2, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EnqueueBackfill records a backfill of slug over [from, to) (minute
// aligned outwards) and inserts its job, both in tx, so that the journey
// change that made it necessary commits with it.
func EnqueueBackfill(ctx context.Context, client *river.Client[pgx.Tx], tx pgx.Tx, slug string, from, to time.Time) (rollup.Backfill, error) {
	from = from.UTC().Truncate(rollup.BucketWidth)
	if t := to.UTC().Truncate(rollup.BucketWidth); t.Before(to) {
		to = t.Add(rollup.BucketWidth)
	} else {
		to = t
	}
	b, err := rollup.CreateBackfill(ctx, tx, slug, from, to)
	if err != nil {
		return b, err
	}
	if _, err := client.InsertTx(ctx, tx, BackfillArgs{BackfillID: b.ID, Slug: slug}, nil); err != nil {
		return b, fmt.Errorf("enqueue backfill of %q: %w", slug, err)
	}
	return b, nil
}

// BackfillWorker works backfills.
type BackfillWorker struct {
	river.WorkerDefaults[BackfillArgs]
	d *deps
}

// Timeout is long: a backfill of a day is many chunks. Each chunk is
// committed with its progress, so a cancelled backfill resumes.
func (w *BackfillWorker) Timeout(*river.Job[BackfillArgs]) time.Duration { return 2 * time.Hour }

// Work computes the remaining chunks, oldest first.
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
	rec, err := w.d.journeys.GetJourney(ctx, b.Slug)
	if errors.Is(err, store.ErrNotFound) {
		_ = w.d.rollups.UpdateBackfill(context.WithoutCancel(ctx), b.ID, b.DoneThrough, rollup.BackfillFailed, "journey deleted")
		return river.JobCancel(fmt.Errorf("journey %q is gone: %w", b.Slug, err))
	}
	if err != nil {
		return fmt.Errorf("get journey %q: %w", b.Slug, err)
	}
	// Never compute past what the trace source holds completely.
	end := b.To
	if edge := lastBucket(w.d.opts.Now(), w.d.opts.Lag).Add(rollup.BucketWidth); edge.Before(end) {
		end = edge
	}
	done := b.DoneThrough
	for done.Before(end) {
		next := chunkEnd(done, end, w.d.opts.BackfillChunk)
		if err := w.d.rollups.UpdateBackfill(ctx, b.ID, done, rollup.BackfillRunning, ""); err != nil {
			return err
		}
		r := rollup.Range{From: done, To: next, Horizon: w.d.opts.Now().Add(-w.d.opts.Lag)}
		if r.Horizon.Before(next) {
			r.Horizon = next
		}
		res, err := rollup.Aggregate(ctx, w.d.src, rec.Journey, r)
		if err == nil {
			err = w.d.rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version})
		}
		if err != nil {
			_ = w.d.rollups.UpdateBackfill(context.WithoutCancel(ctx), b.ID, done, rollup.BackfillFailed, err.Error())
			return fmt.Errorf("backfill %q [%s, %s): %w", b.Slug, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), err)
		}
		done = next
	}
	// Anything after end is the live runs' to compute.
	return w.d.rollups.UpdateBackfill(ctx, b.ID, b.To, rollup.BackfillDone, "")
}

// chunkEnd is where the chunk starting at from ends: at most chunk later,
// on a chunk boundary when possible so that chunks line up with
// downsampled hours, and never past end.
func chunkEnd(from, end time.Time, chunk time.Duration) time.Time {
	next := from.Truncate(chunk).Add(chunk)
	if next.After(end) {
		next = end
	}
	return next
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
func (w *MaintainWorker) Timeout(*river.Job[MaintainArgs]) time.Duration { return time.Hour }

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
