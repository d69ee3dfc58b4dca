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

// ScheduleArgs is the periodic job that enqueues one rollup per journey.
type ScheduleArgs struct{}

// Kind identifies the job.
func (ScheduleArgs) Kind() string { return "rollup_schedule" }

// ScheduleWorker enqueues a RollupArgs for the last complete bucket of
// every journey.
type ScheduleWorker struct {
	river.WorkerDefaults[ScheduleArgs]
	d *deps
}

// Work lists the journeys and enqueues their rollups in one batch.
func (w *ScheduleWorker) Work(ctx context.Context, job *river.Job[ScheduleArgs]) error {
	recs, err := w.d.journeys.ListJourneys(ctx)
	if err != nil {
		return fmt.Errorf("list journeys: %w", err)
	}
	if len(recs) == 0 {
		return nil
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("get job client: %w", err)
	}
	bucket := lastBucket(w.d.opts.Now(), w.d.opts.Lag)
	params := make([]river.InsertManyParams, len(recs))
	for i, rec := range recs {
		params[i] = river.InsertManyParams{Args: RollupArgs{Slug: rec.Journey.Metadata.Slug, Bucket: bucket}}
	}
	// Unique per journey and bucket: a scheduler that runs twice in a
	// minute enqueues nothing more.
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("enqueue rollups: %w", err)
	}
	return nil
}

// RollupArgs computes one journey's rollups up to and including Bucket,
// recomputing the trailing minutes before it.
type RollupArgs struct {
	Slug string `json:"slug" river:"unique"`
	// Bucket is the start of the newest minute to compute.
	Bucket time.Time `json:"bucket" river:"unique"`
}

// Kind identifies the job.
func (RollupArgs) Kind() string { return "rollup" }

// InsertOpts make a rollup unique per journey and bucket, and give up
// quickly: the next minute's run recomputes the same buckets anyway.
func (RollupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 2, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// RollupWorker computes a journey's recent rollups.
type RollupWorker struct {
	river.WorkerDefaults[RollupArgs]
	d *deps
}

// Timeout allows for a slow trace source; the next runs wait meanwhile.
func (w *RollupWorker) Timeout(*river.Job[RollupArgs]) time.Duration { return 5 * time.Minute }

// NextRetry retries soon: a retry later than the next scheduled run is
// useless.
func (w *RollupWorker) NextRetry(*river.Job[RollupArgs]) time.Time {
	return time.Now().Add(5 * time.Second)
}

// Work computes the rollups and records freshness, or the failure.
func (w *RollupWorker) Work(ctx context.Context, job *river.Job[RollupArgs]) error {
	rec, err := w.d.journeys.GetJourney(ctx, job.Args.Slug)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("journey %q is gone: %w", job.Args.Slug, err))
	}
	if err != nil {
		return fmt.Errorf("get journey %q: %w", job.Args.Slug, err)
	}
	r := w.d.liveRange(job.Args.Bucket, rollup.Window(rec.Journey))
	started := time.Now()
	res, err := rollup.Aggregate(ctx, w.d.src, rec.Journey, r)
	if err == nil {
		err = w.d.rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: started})
	}
	if err != nil {
		if ferr := w.d.rollups.RecordFailure(context.WithoutCancel(ctx), job.Args.Slug, rec.Version, w.d.opts.Now(), err); ferr != nil {
			w.d.log.Error("record rollup failure", "journey", job.Args.Slug, "error", ferr)
		}
		return fmt.Errorf("roll up %q: %w", job.Args.Slug, err)
	}
	w.d.log.Debug("rolled up", "journey", job.Args.Slug, "from", r.From, "to", r.To,
		"spans", res.SpansRead, "rows", len(res.Steps)+len(res.Funnels), "duration", time.Since(started))
	return nil
}

// liveRange is what a scheduled run for bucket recomputes: the trailing
// minutes for step rows (the lookback on the hour), and for funnels every
// cohort whose window may have moved since (up to the lookback, except on
// the hour).
func (d *deps) liveRange(bucket time.Time, window time.Duration) rollup.Range {
	bucket = bucket.UTC().Truncate(rollup.BucketWidth)
	to := bucket.Add(rollup.BucketWidth)
	from := to.Add(-d.opts.Trailing).Truncate(rollup.BucketWidth)
	if !from.Before(to) {
		from = bucket
	}
	// Once an hour step rows are recounted over the lookback too, so that
	// spans arriving later than the trailing minutes (a collector's retry
	// queue, an ingester catching up, history sent in bulk) still count.
	if bucket.Minute() == 0 {
		if f := to.Add(-d.opts.FunnelLookback).Truncate(rollup.BucketWidth); f.Before(from) {
			from = f
		}
	}
	back := window
	if back > d.opts.FunnelLookback && bucket.Minute() != 0 {
		back = d.opts.FunnelLookback
	}
	horizon := d.opts.Now().Add(-d.opts.Lag)
	if horizon.Before(to) {
		horizon = to
	}
	return rollup.Range{
		From:       from,
		To:         to,
		FunnelFrom: from.Add(-back).Truncate(rollup.BucketWidth),
		Horizon:    horizon,
	}
}
