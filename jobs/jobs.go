// Package jobs runs Waymark's background work on River: the periodic
// scheduler that keeps every journey's rollups fresh, rollup runs,
// backfills of history, and downsampling with retention. All processes
// (`waymark serve`, any number of `waymark worker`) share one River queue in
// Postgres; periodic jobs are enqueued by River's elected leader only.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sloeval"
)

// Defaults of Options.
const (
	// DefaultLag is how far behind now rollups read from the embedded
	// store, whose spans are committed when acknowledged.
	DefaultLag = 30 * time.Second
	// TempoLag is the lag to use with Tempo, which makes spans searchable
	// only after its ingesters flush them.
	TempoLag = 2 * time.Minute
	// DefaultBackfill is how much history a new or edited journey gets.
	DefaultBackfill = rollup.DefaultHistory
	// DefaultDownsampleAfter is the age after which minute rows are merged
	// into hour rows.
	DefaultDownsampleAfter = 48 * time.Hour
	// DefaultRetention is how long rollups are kept.
	DefaultRetention = 400 * 24 * time.Hour
	// DefaultMaintainEvery is how often downsampling and retention run.
	DefaultMaintainEvery = time.Hour
	// DefaultWorkers is how many jobs one process works at once.
	DefaultWorkers = 4
	// DefaultSoftStop is how long Stop lets running jobs finish before
	// cancelling them.
	DefaultSoftStop = 10 * time.Second
	// DefaultRescueAfter is how long a job may run before it is taken for
	// the job of a crashed process and run again. River's default is an
	// hour, which makes a crash mid-notification page an hour late, or
	// leave a backfill stuck for as long.
	DefaultRescueAfter = 5 * time.Minute
)

// Journeys is where jobs read journey definitions; *journeystore.Store is one.
type Journeys interface {
	ListJourneys(ctx context.Context) ([]journeystore.JourneyRecord, error)
	// GetJourney returns an error wrapping journeystore.ErrNotFound for a journey
	// that no longer exists.
	GetJourney(ctx context.Context, slug string) (journeystore.JourneyRecord, error)
}

// Options configure the jobs. Zero values take the defaults above.
type Options struct {
	Logger *slog.Logger
	// Lag: DefaultLag for the embedded store, TempoLag for Tempo.
	Lag      time.Duration
	Interval time.Duration // between scheduled rollups, 1 minute
	// Rollups configure how runs advance journeys (chunk, budget, late
	// spans); its clock is Now.
	Rollups         rollup.RunOptions
	DownsampleAfter time.Duration
	// Retention is how long rollups are kept; negative keeps them forever.
	Retention     time.Duration
	MaintainEvery time.Duration
	Workers       int
	// SoftStop is how long a stop lets running jobs finish before
	// cancelling them.
	SoftStop time.Duration
	// RescueAfter is how long a job may run before River takes it for a
	// crashed worker's and runs it again, DefaultRescueAfter when zero.
	// Every job's timeout is shorter, so that a live job is never run
	// twice at once.
	RescueAfter time.Duration
	// NotifyRetry is the delay before a failed delivery's first retry,
	// doubled on each further one; DefaultNotifyRetry when zero.
	NotifyRetry time.Duration
	// DisablePeriodic leaves out the periodic jobs (scheduling and
	// maintenance), for a process that should only work queued jobs.
	DisablePeriodic bool
	// Now is the clock; tests set it.
	Now func() time.Time
	// SLOs evaluates SLOs for the evaluation job; nil builds one with
	// default options (relative links in notifications).
	SLOs *sloeval.Service
	// Notify delivers the notifications the evaluations owe, for the
	// notification job; nil builds one over SLOs with default options.
	Notify *notify.Service
	// EvaluateEvery is how often SLOs are evaluated, DefaultEvaluateEvery
	// when zero.
	EvaluateEvery time.Duration
	// Configure, when set, may add workers, queues or periodic jobs of
	// other packages (such as SLO evaluation) to the one River client.
	Configure func(*river.Config)
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Lag, DefaultLag)
	def(&o.Interval, time.Minute)
	def(&o.DownsampleAfter, DefaultDownsampleAfter)
	def(&o.Retention, DefaultRetention)
	def(&o.MaintainEvery, DefaultMaintainEvery)
	def(&o.SoftStop, DefaultSoftStop)
	def(&o.EvaluateEvery, DefaultEvaluateEvery)
	def(&o.RescueAfter, DefaultRescueAfter)
	def(&o.NotifyRetry, DefaultNotifyRetry)
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Rollups.Now = o.Now
	return o
}

// deps is what every worker needs.
type deps struct {
	opts     Options
	src      rollup.TraceSource
	journeys Journeys
	rollups  *rollup.Store
	runner   *rollup.Runner
	slos     *sloeval.Service
	notify   *notify.Service
	log      *slog.Logger
}

// New returns a River client that works Waymark's jobs and schedules the
// periodic ones, on pool. Start it with Start; stop it with Stop.
func New(pool *pgxpool.Pool, src rollup.TraceSource, js Journeys, opts Options) (*river.Client[pgx.Tx], error) {
	if pool == nil || src == nil || js == nil {
		return nil, errors.New("jobs: pool, trace source and journeys are required")
	}
	opts = opts.withDefaults()
	d := &deps{opts: opts, src: src, journeys: js, rollups: rollup.NewStore(pool), slos: opts.SLOs, notify: opts.Notify, log: opts.Logger}
	d.runner = rollup.NewRunner(src, d.rollups, opts.Rollups)
	if d.slos == nil {
		d.slos = sloeval.NewService(pool, d.rollups, js, sloeval.Options{Logger: opts.Logger, Now: opts.Now})
	}
	if d.notify == nil {
		d.notify = notify.NewService(pool, d.slos, notify.Options{Logger: opts.Logger, Now: opts.Now})
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &ScheduleWorker{d: d})
	river.AddWorker(workers, &RollupWorker{d: d})
	river.AddWorker(workers, &BackfillWorker{d: d})
	river.AddWorker(workers, &MaintainWorker{d: d})
	river.AddWorker(workers, &SLOEvaluateWorker{d: d})
	river.AddWorker(workers, &NotifyWorker{d: d})

	cfg := &river.Config{
		Logger:          opts.Logger,
		Queues:          map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}},
		Workers:         workers,
		SoftStopTimeout: opts.SoftStop,
		// Job timeouts stay under it (see timeout), River's default
		// JobTimeout of a minute too when the window is shorter.
		RescueStuckJobsAfter: opts.RescueAfter,
		JobTimeout:           opts.timeout(time.Minute),
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(opts.Interval),
				func() (river.JobArgs, *river.InsertOpts) { return ScheduleArgs{}, nil },
				&river.PeriodicJobOpts{ID: ScheduleArgs{}.Kind(), RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(opts.MaintainEvery),
				func() (river.JobArgs, *river.InsertOpts) { return MaintainArgs{}, nil },
				&river.PeriodicJobOpts{ID: MaintainArgs{}.Kind(), RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(opts.EvaluateEvery),
				func() (river.JobArgs, *river.InsertOpts) { return SLOEvaluateArgs{}, nil },
				&river.PeriodicJobOpts{ID: SLOEvaluateArgs{}.Kind()}),
		},
	}
	if opts.DisablePeriodic {
		cfg.PeriodicJobs = nil
	}
	if opts.Configure != nil {
		opts.Configure(cfg)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("create job client: %w", err)
	}
	return client, nil
}

// Stop stops client gracefully: it stops fetching jobs and lets running
// ones finish for up to soft, then cancels them and waits for them to
// return, until ctx is done.
func Stop(ctx context.Context, client *river.Client[pgx.Tx], soft time.Duration) error {
	softCtx, cancel := context.WithTimeout(ctx, soft)
	defer cancel()
	err := client.Stop(softCtx)
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	if err := client.StopAndCancel(ctx); err != nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}

// timeout is a job's timeout: want, or less when the rescue window is
// short, since a job still running past the window would be run again
// beside itself.
func (o Options) timeout(want time.Duration) time.Duration {
	return min(want, o.RescueAfter/2)
}

// lastBucket is the start of the newest bucket complete at now with lag.
func lastBucket(now time.Time, lag time.Duration) time.Time {
	return now.Add(-lag).UTC().Truncate(rollup.BucketWidth).Add(-rollup.BucketWidth)
}

// NewInserter returns a River client that only inserts jobs, for a process
// that runs no workers (the journeys command): the workers of any `waymark
// serve` or `waymark worker` on the same database work them.
func NewInserter(pool *pgxpool.Pool, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("create job client: %w", err)
	}
	return client, nil
}
