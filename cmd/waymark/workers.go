package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/jobs"
)

// openJobs builds the job client over the shared pool and makes every saved
// journey enqueue its backfill in the saving transaction. It needs the trace
// source, so openSource runs first.
func (d *deps) openJobs() error {
	jobsDB := d.jobsDB()
	jobStore := journeystore.New(jobsDB)
	d.alerting = newAlertServices(d.pool, d.store, d.cfg.PublicURL, d.log)
	jobAlerts := newAlertServices(jobsDB, jobStore, d.cfg.PublicURL, d.log)
	opts := jobs.Options{Logger: d.log, RescueAfter: d.cfg.JobRescueAfter,
		SLOs: jobAlerts.slos, Notify: jobAlerts.notify,
		Rollups: rollup.RunOptions{Source: string(d.cfg.TraceSource), AdjustedCountKey: d.cfg.SampleRateAttribute}}
	if d.cfg.TraceSource == config.SourceTempo {
		// Tempo makes spans searchable only after its ingesters flush.
		opts.Lag = jobs.TempoLag
	} else {
		// The embedded store finds late arrivals by their arrival time, in
		// a scan of the recent rows: cheap enough to look every minute.
		opts.Rollups.LateEvery = time.Minute
	}
	src := d.jobSource
	if src == nil {
		src = d.source
	}
	client, err := jobs.New(jobsDB, src, jobStore, opts)
	if err != nil {
		return fmt.Errorf("set up jobs: %w", err)
	}
	d.jobs = client
	d.journeys = journeyedit.New(d.pool, client, journeyedit.Options{})
	return nil
}

// workersService runs the job workers until ctx ends, then lets running
// jobs finish for a while before cancelling them, so that a deploy does not
// leave half-written rollups (they are replaced in one transaction anyway).
func workersService(client *river.Client[pgx.Tx]) service {
	return service{name: "workers", run: func(ctx context.Context) error {
		if err := client.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("start: %w", err)
		}
		<-ctx.Done()
		return jobs.Stop(context.WithoutCancel(ctx), client, jobs.DefaultSoftStop)
	}}
}

// worker runs the job workers only; several such processes share the queue.
func (a *app) worker(ctx context.Context, args []string) error {
	return a.runWith(ctx, "worker", "Run the background workers only (rollups, backfills, SLO evaluation, notifications, maintenance)", args,
		func(d *deps) error { return runServices(ctx, d, []service{workersService(d.jobs)}) })
}
