package rollup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// ErrNotFound means no live journey has the slug, or no such backfill
// exists. It is wrapped; test with errors.Is.
var ErrNotFound = errors.New("not found")

// Store keeps rollups in Postgres and answers the queries the UI, the API
// and SLO evaluation make of them. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// querier is what both a pool and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// journeyRef is a live journey as the rollup tables know it.
type journeyRef struct {
	id      int64
	version int
	steps   int
}

func lookup(ctx context.Context, q querier, slug string) (journeyRef, error) {
	var r journeyRef
	err := q.QueryRow(ctx, `
		SELECT id, version, COALESCE(jsonb_array_length(definition->'spec'->'steps'), 0)
		FROM journeys
		WHERE slug = $1 AND deleted_at IS NULL`, slug).Scan(&r.id, &r.version, &r.steps)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("journey %q: %w", slug, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("look up journey %q: %w", slug, err)
	}
	return r, nil
}

// writeLockClass namespaces the advisory locks that serialise writers of one
// journey's rollups.
const writeLockClass = 0x726f6c6c // "roll"

// lockJourney makes concurrent writers of one journey's rollups take turns,
// so that two workers racing on overlapping ranges each replace the other's
// rows instead of colliding on them.
func lockJourney(ctx context.Context, tx pgx.Tx, id int64) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(writeLockClass), int32(id)); err != nil {
		return fmt.Errorf("lock journey rollups: %w", err)
	}
	return nil
}

// WriteOptions say where a Result came from.
type WriteOptions struct {
	// Version is the journey version that was computed.
	Version int
	// Live marks a scheduled run at the live edge, as opposed to a backfill
	// of history: only live runs update freshness.
	Live bool
	// Started is when the run began; its duration is measured from it.
	Started time.Time
}

// Write stores res, replacing in one transaction every step row of the
// journey in [From, To) and every funnel row in [FunnelFrom, To), of any
// width. Writing the same range twice, or two workers racing on it, never
// double counts.
func (s *Store) Write(ctx context.Context, res *Result, opt WriteOptions) error {
	r := res.Range
	if r.FunnelFrom.IsZero() {
		r.FunnelFrom = r.From
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ref, err := lookup(ctx, tx, res.Slug)
		if err != nil {
			return err
		}
		if err := lockJourney(ctx, tx, ref.id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rollup_steps WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3`, ref.id, r.From, r.To); err != nil {
			return fmt.Errorf("delete step rows: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rollup_funnels WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3`, ref.id, r.FunnelFrom, r.To); err != nil {
			return fmt.Errorf("delete funnel rows: %w", err)
		}
		ths := make([][]time.Duration, len(res.Steps))
		for i, r := range res.Steps {
			if r.Step < len(res.Thresholds) {
				ths[i] = res.Thresholds[r.Step]
			}
		}
		if err := copyStepRows(ctx, tx, ref.id, opt.Version, res.Steps, ths); err != nil {
			return err
		}
		if err := copyFunnels(ctx, tx, ref.id, opt.Version, res.Funnels); err != nil {
			return err
		}
		if opt.Live {
			return recordRun(ctx, tx, ref.id, opt, res)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write rollups of %q: %w", res.Slug, err)
	}
	return nil
}

var stepColumns = []string{
	"journey_id", "segment_key", "segment_value", "bucket", "step", "width_s", "journey_version",
	"spans", "errors", "latency", "thresholds_ns", "good", "value_sum", "slowest", "errored",
}

// copyStepRows writes rows; ths[i] are the thresholds rows[i].Good counts.
func copyStepRows(ctx context.Context, tx pgx.Tx, id int64, version int, rows []StepRow, ths [][]time.Duration) error {
	src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := rows[i]
		lat, err := r.Latency.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode sketch: %w", err)
		}
		th := ths[i]
		thNs := make([]int64, len(th))
		for j, d := range th {
			thNs[j] = int64(d)
		}
		good := r.Good
		if len(good) != len(thNs) {
			// A row computed without this step's thresholds.
			thNs, good = []int64{}, []int64{}
		}
		if good == nil {
			good = []int64{}
		}
		slow, err := encodeExemplars(r.Slowest)
		if err != nil {
			return nil, err
		}
		errd, err := encodeExemplars(r.Errored)
		if err != nil {
			return nil, err
		}
		width := r.Width
		if width <= 0 {
			width = BucketWidth
		}
		return []any{
			id, r.Segment.Key, r.Segment.Value, r.Bucket, int16(r.Step), int32(width / time.Second), int32(version),
			r.Spans, r.Errors, lat, thNs, good, r.ValueSum, slow, errd,
		}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"rollup_steps"}, stepColumns, src); err != nil {
		return fmt.Errorf("copy step rows: %w", err)
	}
	return nil
}

func encodeExemplars(ex []Exemplar) ([]byte, error) {
	if ex == nil {
		ex = []Exemplar{}
	}
	b, err := json.Marshal(ex)
	if err != nil {
		return nil, fmt.Errorf("encode exemplars: %w", err)
	}
	return b, nil
}

var funnelColumns = []string{
	"journey_id", "segment_key", "segment_value", "bucket", "width_s", "journey_version",
	"reached", "in_flight", "errored", "step_times",
}

func copyFunnels(ctx context.Context, tx pgx.Tx, id int64, version int, rows []FunnelRow) error {
	src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := rows[i]
		times := make([][]byte, len(r.StepTimes))
		for k, sk := range r.StepTimes {
			b, err := sk.MarshalBinary()
			if err != nil {
				return nil, fmt.Errorf("encode sketch: %w", err)
			}
			times[k] = b
		}
		inFlight := r.InFlight
		if inFlight == nil {
			inFlight = make([]int64, len(r.Reached))
		}
		width := r.Width
		if width <= 0 {
			width = BucketWidth
		}
		return []any{
			id, r.Segment.Key, r.Segment.Value, r.Bucket, int32(width / time.Second), int32(version),
			nonNil(r.Reached), nonNil(inFlight), r.Errored, times,
		}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"rollup_funnels"}, funnelColumns, src); err != nil {
		return fmt.Errorf("copy funnel rows: %w", err)
	}
	return nil
}

func nonNil(v []int64) []int64 {
	if v == nil {
		return []int64{}
	}
	return v
}

func recordRun(ctx context.Context, tx pgx.Tx, id int64, opt WriteOptions, res *Result) error {
	fetch, err := json.Marshal(res.Fetch)
	if err != nil {
		return fmt.Errorf("encode fetch stats: %w", err)
	}
	started := opt.Started
	if started.IsZero() {
		started = time.Now()
	}
	r := res.Range
	// A run that reaches the live edge clears the error; one that ends
	// short of it (a slow run finishing after a newer one) leaves it.
	_, err = tx.Exec(ctx, `
		INSERT INTO rollup_freshness AS f (journey_id, journey_version, complete_through, last_run_at,
			last_run_from, last_run_to, last_run_ms, last_spans, last_fetch)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (journey_id) DO UPDATE SET
			journey_version  = EXCLUDED.journey_version,
			complete_through = GREATEST(f.complete_through, EXCLUDED.complete_through),
			last_run_at      = EXCLUDED.last_run_at,
			last_run_from    = EXCLUDED.last_run_from,
			last_run_to      = EXCLUDED.last_run_to,
			last_run_ms      = EXCLUDED.last_run_ms,
			last_spans       = EXCLUDED.last_spans,
			last_fetch       = EXCLUDED.last_fetch,
			last_error       = CASE WHEN f.complete_through IS NULL OR EXCLUDED.complete_through >= f.complete_through THEN '' ELSE f.last_error END,
			failing_since    = CASE WHEN f.complete_through IS NULL OR EXCLUDED.complete_through >= f.complete_through THEN NULL ELSE f.failing_since END`,
		id, opt.Version, r.To, started, r.FunnelFrom, r.To, time.Since(started).Milliseconds(), res.SpansRead, fetch)
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	return nil
}

// RecordFailure notes that a live run of the journey failed at the given
// time, so that the UI can say since when data is delayed and why.
func (s *Store) RecordFailure(ctx context.Context, slug string, version int, at time.Time, runErr error) error {
	msg := "unknown error"
	if runErr != nil {
		msg = runErr.Error()
	}
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO rollup_freshness AS f (journey_id, journey_version, last_run_at, last_error, last_error_at, failing_since)
		VALUES ($1, $2, $3, $4, $3, $3)
		ON CONFLICT (journey_id) DO UPDATE SET
			last_run_at   = EXCLUDED.last_run_at,
			last_error    = EXCLUDED.last_error,
			last_error_at = EXCLUDED.last_error_at,
			failing_since = COALESCE(f.failing_since, EXCLUDED.failing_since)`,
		ref.id, version, at, msg)
	if err != nil {
		return fmt.Errorf("record failure of %q: %w", slug, err)
	}
	return nil
}

// Freshness is how up to date a journey's rollups are.
type Freshness struct {
	Slug    string `json:"slug"`
	Version int    `json:"version"`
	// CompleteThrough is the end of the last complete bucket: rollups
	// before it are final up to late spans. Zero before the first run.
	CompleteThrough time.Time           `json:"complete_through"`
	LastRunAt       time.Time           `json:"last_run_at"`
	LastRunFrom     time.Time           `json:"last_run_from"`
	LastRunTo       time.Time           `json:"last_run_to"`
	LastRunDuration time.Duration       `json:"last_run_duration_ns"`
	LastSpans       int64               `json:"last_spans"`
	LastFetch       journeys.FetchStats `json:"last_fetch"`
	// LastError is the message of the last failed run, empty once a run
	// succeeds again; FailingSince is when the current failures began.
	LastError    string    `json:"last_error,omitempty"`
	LastErrorAt  time.Time `json:"last_error_at"`
	FailingSince time.Time `json:"failing_since"`
}

// LastCompleteBucket is the start of the last complete bucket, or zero.
func (f Freshness) LastCompleteBucket() time.Time {
	if f.CompleteThrough.IsZero() {
		return time.Time{}
	}
	return f.CompleteThrough.Add(-BucketWidth)
}

// Failing reports whether the latest runs failed.
func (f Freshness) Failing() bool { return !f.FailingSince.IsZero() }

const freshnessColumns = `j.slug, f.journey_version, f.complete_through, f.last_run_at, f.last_run_from, f.last_run_to,
	f.last_run_ms, f.last_spans, f.last_fetch, f.last_error, f.last_error_at, f.failing_since`

func scanFreshness(row pgx.CollectableRow) (Freshness, error) {
	var f Freshness
	var complete, runAt, runFrom, runTo, errAt, since *time.Time
	var ms int64
	var fetch []byte
	if err := row.Scan(&f.Slug, &f.Version, &complete, &runAt, &runFrom, &runTo, &ms, &f.LastSpans, &fetch, &f.LastError, &errAt, &since); err != nil {
		return f, err
	}
	f.CompleteThrough, f.LastRunAt, f.LastRunFrom, f.LastRunTo = deref(complete), deref(runAt), deref(runFrom), deref(runTo)
	f.LastErrorAt, f.FailingSince = deref(errAt), deref(since)
	f.LastRunDuration = time.Duration(ms) * time.Millisecond
	if len(fetch) > 0 {
		if err := json.Unmarshal(fetch, &f.LastFetch); err != nil {
			return f, fmt.Errorf("decode fetch stats: %w", err)
		}
	}
	return f, nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// Freshness returns the freshness of one journey. A journey that was never
// rolled up has a zero Freshness with its slug and version.
func (s *Store) Freshness(ctx context.Context, slug string) (Freshness, error) {
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return Freshness{}, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+freshnessColumns+`
		FROM rollup_freshness f JOIN journeys j ON j.id = f.journey_id
		WHERE f.journey_id = $1`, ref.id)
	if err != nil {
		return Freshness{}, fmt.Errorf("read freshness of %q: %w", slug, err)
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFreshness)
	if errors.Is(err, pgx.ErrNoRows) {
		return Freshness{Slug: slug, Version: ref.version}, nil
	}
	if err != nil {
		return Freshness{}, fmt.Errorf("read freshness of %q: %w", slug, err)
	}
	return f, nil
}

// AllFreshness returns the freshness of every live journey that was rolled
// up at least once, by slug.
func (s *Store) AllFreshness(ctx context.Context) ([]Freshness, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+freshnessColumns+`
		FROM rollup_freshness f JOIN journeys j ON j.id = f.journey_id
		WHERE j.deleted_at IS NULL
		ORDER BY j.slug COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("read freshness: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanFreshness)
	if err != nil {
		return nil, fmt.Errorf("read freshness: %w", err)
	}
	return out, nil
}

func decodeSketch(b []byte) (*sketch.Sketch, error) {
	sk, err := sketch.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("decode stored sketch: %w", err)
	}
	return sk, nil
}
