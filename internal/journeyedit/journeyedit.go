// Package journeyedit is the one owner of journey changes. Every writer
// (the editor form, YAML import, the JSON/YAML API, `waymark journeys
// apply`, the demo) calls its Service, which in one transaction locks the
// journey, writes the new version, records the audit entry with who made
// the change, and queues the recompute of the journey's history as a River
// job. So a journey applied from a shell gets exactly what one saved in the
// browser gets, and a change never commits without its consequences, nor
// they without it.
package journeyedit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
)

// Outcome says what a change did.
type Outcome string

// Outcomes.
const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	Deleted   Outcome = "deleted"
)

// Audit actions of journey changes.
const (
	ActionCreate = "journey.create"
	ActionUpdate = "journey.update"
	ActionDelete = "journey.delete"
)

// Result is what one change did.
type Result struct {
	Outcome Outcome
	// Record is the journey as it is now; for a delete, as it was.
	Record journeystore.JourneyRecord
	// Before is the journey as it was, nil when it was created.
	Before *journeystore.JourneyRecord
	// Backfill is the recompute of history queued with the change, nil when
	// none was needed (unchanged, deleted, or a change of names and
	// objectives only, which computes the same rollups).
	Backfill *rollup.Backfill
}

// Options configure a Service.
type Options struct {
	// Backfill is how much history a created or changed journey is
	// recomputed over, jobs.DefaultBackfill when zero.
	Backfill time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Service changes journeys. It is safe for concurrent use.
type Service struct {
	pool     *pgxpool.Pool
	store    *journeystore.Store
	jobs     *river.Client[pgx.Tx]
	backfill time.Duration
	now      func() time.Time
}

// New returns a Service writing to pool and queueing recomputes with
// client, which may be an insert-only River client (jobs.NewInserter): the
// workers of any process on the database pick the jobs up.
func New(pool *pgxpool.Pool, client *river.Client[pgx.Tx], opts Options) *Service {
	if opts.Backfill <= 0 {
		opts.Backfill = jobs.DefaultBackfill
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{pool: pool, store: journeystore.New(pool), jobs: client, backfill: opts.Backfill, now: opts.Now}
}

// Create stores a new journey. A live journey with its slug is an error
// wrapping journeystore.ErrConflict; an invalid one a *journeys.ValidationError.
func (s *Service) Create(ctx context.Context, who auth.Principal, j journeys.Journey) (Result, error) {
	return s.change(ctx, func(tx pgx.Tx) (Result, error) {
		rec, err := s.store.Create(ctx, tx, j, who.Name)
		return Result{Outcome: Created, Record: rec}, err
	}, who)
}

// Update replaces the journey at slug with j (j's slug may differ, to
// rename it). A definition identical to the stored one changes nothing. A
// missing journey is an error wrapping journeystore.ErrNotFound.
func (s *Service) Update(ctx context.Context, who auth.Principal, slug string, j journeys.Journey) (Result, error) {
	if slug == j.Metadata.Slug {
		if res, ok, err := s.unchanged(ctx, j); err != nil || ok {
			return res, err
		}
	}
	return s.change(ctx, func(tx pgx.Tx) (Result, error) {
		before, after, err := s.store.Update(ctx, tx, slug, j, who.Name)
		return Result{Outcome: Updated, Record: after, Before: &before}, err
	}, who)
}

// Put creates the journey j.Metadata.Slug or replaces its definition; an
// identical definition changes nothing and queues nothing. This is what
// journeys as code do on every apply.
func (s *Service) Put(ctx context.Context, who auth.Principal, j journeys.Journey) (Result, error) {
	if res, ok, err := s.unchanged(ctx, j); err != nil || ok {
		return res, err
	}
	put := func(tx pgx.Tx) (Result, error) {
		before, after, err := s.store.Put(ctx, tx, j, who.Name)
		res := Result{Outcome: Created, Record: after, Before: before}
		switch {
		case before == nil:
		case before.Version == after.Version:
			res.Outcome = Unchanged
		default:
			res.Outcome = Updated
		}
		return res, err
	}
	res, err := s.change(ctx, put, who)
	// Two concurrent puts of a new slug both find nothing and both create;
	// the loser, retried once, updates the winner's row.
	if err != nil && journeystore.RetryConflict(err) {
		res, err = s.change(ctx, put, who)
	}
	return res, err
}

// Delete deletes the journey at slug, keeping its history and its audit
// trail. A missing journey is an error wrapping journeystore.ErrNotFound.
func (s *Service) Delete(ctx context.Context, who auth.Principal, slug string) (Result, error) {
	return s.change(ctx, func(tx pgx.Tx) (Result, error) {
		before, err := s.store.Delete(ctx, tx, slug, who.Name)
		return Result{Outcome: Deleted, Record: before, Before: &before}, err
	}, who)
}

func (s *Service) unchanged(ctx context.Context, j journeys.Journey) (Result, bool, error) {
	if err := j.Validate(); err != nil {
		return Result{}, false, err
	}
	rec, ok, err := s.store.Unchanged(ctx, j)
	if err != nil || !ok {
		return Result{}, false, err
	}
	return Result{Outcome: Unchanged, Record: rec, Before: &rec}, true, nil
}

// change runs write and what it causes in one transaction.
func (s *Service) change(ctx context.Context, write func(pgx.Tx) (Result, error), who auth.Principal) (Result, error) {
	if who.Name == "" || !who.Kind.Valid() {
		return Result{}, errors.New("change journey: the change has no actor")
	}
	var res Result
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if res, err = write(tx); err != nil || res.Outcome == Unchanged {
			return err
		}
		if err := auth.Record(ctx, tx, entry(who, res)); err != nil {
			return err
		}
		if res.Outcome == Deleted {
			return nil
		}
		slug := res.Record.Journey.Metadata.Slug
		if res.Before != nil && rollup.SameRollups(res.Before.Journey, res.Record.Journey) {
			// Only names, descriptions or objectives changed: the rollups
			// stand.
			return rollup.SetVersion(ctx, tx, slug)
		}
		to := s.now()
		b, err := jobs.EnqueueBackfill(ctx, s.jobs, tx, slug, to.Add(-s.backfill), to)
		if err != nil {
			return err
		}
		res.Backfill = &b
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// entry is the audit entry of a change: the journey before and after, as
// the API's JSON form with its version.
func entry(who auth.Principal, res Result) auth.Entry {
	action, slug := ActionUpdate, res.Record.Journey.Metadata.Slug
	switch res.Outcome {
	case Created:
		action = ActionCreate
	case Deleted:
		action = ActionDelete
	}
	e := who.Entry(action, "journey", slug)
	if res.Before != nil {
		e.Before = doc(*res.Before)
	}
	if res.Outcome != Deleted {
		e.After = doc(res.Record)
	}
	return e
}

func doc(rec journeystore.JourneyRecord) json.RawMessage {
	j := rec.Journey
	j.Normalize()
	b, err := json.Marshal(struct {
		Version int              `json:"version"`
		Journey journeys.Journey `json:"journey"`
	}{rec.Version, j})
	if err != nil {
		// A journey that validated always encodes; an entry without the
		// document still says who changed what.
		return nil
	}
	return b
}

// String describes the queued recompute for people: "backfill queued over
// 2026-03-01 10:00 – 2026-03-02 10:00 UTC".
func (r Result) String() string {
	s := fmt.Sprintf("%s %s (version %d)", r.Outcome, r.Record.Journey.Metadata.Slug, r.Record.Version)
	switch b := r.Backfill; {
	case b != nil:
		s += fmt.Sprintf("; backfill queued over %s – %s UTC",
			b.From.UTC().Format("2006-01-02 15:04"), b.To.UTC().Format("2006-01-02 15:04"))
	case r.Outcome == Updated:
		s += "; same steps, correlation, segments and thresholds: history kept"
	}
	return s
}
