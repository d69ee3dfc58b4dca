package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
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

// RollupArgs advances one journey's rollups to the live edge. Bucket is the
// minute it was scheduled for, which makes it unique per journey and
// minute; the run computes whatever is new when it starts.
type RollupArgs struct {
	Slug   string    `json:"slug" river:"unique"`
	Bucket time.Time `json:"bucket" river:"unique"`
}

// Kind identifies the job.
func (RollupArgs) Kind() string { return "rollup" }

// InsertOpts make a rollup unique per journey and minute, and give up
// quickly: the next minute's run carries on from the watermark anyway.
func (RollupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 2, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// RollupWorker advances a journey's rollups.
type RollupWorker struct {
	river.WorkerDefaults[RollupArgs]
	d *deps
}

// Timeout allows for a slow trace source; a run starts no computation
// after its budget, so it normally ends well before.
func (w *RollupWorker) Timeout(*river.Job[RollupArgs]) time.Duration {
	return w.d.opts.timeout(5 * time.Minute)
}

// NextRetry retries soon: a retry later than the next scheduled run is
// useless.
func (w *RollupWorker) NextRetry(*river.Job[RollupArgs]) time.Time {
	return time.Now().Add(5 * time.Second)
}

// Work advances the journey and records freshness, or the failure.
func (w *RollupWorker) Work(ctx context.Context, job *river.Job[RollupArgs]) error {
	return w.d.advance(ctx, job.Args.Slug, 0)
}

// advance runs the journey slug's rollups up to the live edge, starting no
// computation after budget (0: the runner's default), and records the
// run's cost or its failure for the freshness line.
func (d *deps) advance(ctx context.Context, slug string, budget time.Duration) error {
	rec, err := d.journeys.GetJourney(ctx, slug)
	if errors.Is(err, journeystore.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("journey %q is gone: %w", slug, err))
	}
	if err != nil {
		return fmt.Errorf("get journey %q: %w", slug, err)
	}
	edge := lastBucket(d.opts.Now(), d.opts.Lag).Add(rollup.BucketWidth)
	rep, err := d.runner.Run(ctx, rec.Journey, rec.Version, edge, budget)
	if err != nil {
		if ferr := d.rollups.RecordFailure(context.WithoutCancel(ctx), slug, rec.Version, d.opts.Now(), err); ferr != nil {
			d.log.Error("record rollup failure", "journey", slug, "error", ferr)
		}
		return fmt.Errorf("roll up %q: %w", slug, err)
	}
	if rep.Skipped {
		return nil
	}
	if err := d.rollups.RecordRun(ctx, rep); err != nil {
		return err
	}
	d.log.Debug("rolled up", "journey", slug, "from", rep.From, "to", rep.To, "spans", rep.Spans,
		"new_spans", rep.NewSpans, "recount_spans", rep.RecountSpans, "duration", time.Since(rep.Started))
	return nil
}
