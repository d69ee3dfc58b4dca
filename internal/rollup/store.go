package rollup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// ErrNotFound means no live journey has the slug, or no such backfill
// exists. It is wrapped; test with errors.Is.
var ErrNotFound = fault.New(fault.ErrNotFound, "not found")

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
	// Live marks a run that advanced the journey's rollups, as opposed to a
	// fixture: only live runs update freshness.
	Live bool
	// Started is when the run began; its duration is measured from it on
	// the wall clock unless Took gives it (a run replayed on another
	// clock, as fixtures are).
	Started time.Time
	Took    time.Duration
	// Progress, when set, is the journey's progress the result was computed
	// from: the write happens only while it still is (else ErrSuperseded),
	// and moves it to the result's end with the result's funnel state.
	Progress *Progress
	// Recount marks a result that recomputed minutes already counted, for
	// the cost the run reports.
	Recount bool
}

// Write stores res in one transaction: it replaces every step row of the
// journey in [From, To) and every funnel row in [FunnelFrom, To), of any
// width, and adds res.Deltas to the cohort rows before FunnelFrom. Writing
// the same result twice replaces, but would add its deltas twice: results
// that carry deltas are written under their Progress, which refuses the
// second write, so that nothing is ever counted twice.
func (s *Store) Write(ctx context.Context, res *Result, opt WriteOptions) error {
	r := res.Range
	ffrom := res.FunnelFrom
	if ffrom.IsZero() {
		ffrom = r.From
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ref, err := lookup(ctx, tx, res.Slug)
		if err != nil {
			return err
		}
		if err := lockJourney(ctx, tx, ref.id); err != nil {
			return err
		}
		if opt.Progress != nil {
			if opt.Progress.JourneyID != ref.id {
				return ErrSuperseded
			}
			if err := advance(ctx, tx, opt.Progress, res, opt.Version); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rollup_steps WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3`, ref.id, r.From, r.To); err != nil {
			return fmt.Errorf("delete step rows: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rollup_funnels WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3`, ref.id, ffrom, r.To); err != nil {
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
		if err := mergeDeltas(ctx, tx, ref.id, opt.Version, res.Deltas, ffrom); err != nil {
			return err
		}
		if opt.Live {
			return recordRun(ctx, tx, ref.id, opt, res)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrSuperseded) {
			return fmt.Errorf("write rollups of %q: %w", res.Slug, ErrSuperseded)
		}
		return fmt.Errorf("write rollups of %q: %w", res.Slug, err)
	}
	return nil
}

// mergeDeltas adds deltas to the cohort rows they change, all before
// before. A cohort downsampled to its hour (only possible for windows over
// two days) takes the change in its hour row.
func mergeDeltas(ctx context.Context, tx pgx.Tx, id int64, version int, deltas []FunnelRow, before time.Time) error {
	if len(deltas) == 0 {
		return nil
	}
	from := deltas[0].Bucket
	for _, d := range deltas {
		if d.Bucket.Before(from) {
			from = d.Bucket
		}
	}
	rows, err := tx.Query(ctx, `
		SELECT segment_key, segment_value, bucket, width_s, journey_version, reached, in_flight, continued, errored, step_times,
			dropped_value, errored_value
		FROM rollup_funnels
		WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3
		FOR UPDATE`, id, from.Truncate(HourWidth), before)
	if err != nil {
		return fmt.Errorf("read cohorts to update: %w", err)
	}
	type key struct {
		seg    Segment
		bucket time.Time
	}
	stored := map[key]*FunnelRow{}
	for rows.Next() {
		var fr FunnelRow
		var width int32
		var times [][]byte
		var v int
		if err := rows.Scan(&fr.Segment.Key, &fr.Segment.Value, &fr.Bucket, &width, &v, &fr.Reached, &fr.InFlight, &fr.Continued, &fr.Errored, &times,
			&fr.DroppedValue, &fr.ErroredValue); err != nil {
			rows.Close()
			return fmt.Errorf("read cohorts to update: %w", err)
		}
		fr.Bucket, fr.Width = fr.Bucket.UTC(), time.Duration(width)*time.Second
		for _, b := range times {
			sk, err := decodeSketch(b)
			if err != nil {
				rows.Close()
				return err
			}
			fr.StepTimes = append(fr.StepTimes, sk)
		}
		stored[key{fr.Segment, fr.Bucket}] = &fr
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read cohorts to update: %w", err)
	}
	changed := map[key]*FunnelRow{}
	for _, d := range deltas {
		k := key{d.Segment, d.Bucket}
		row, ok := stored[k]
		if !ok {
			if h := (key{d.Segment, d.Bucket.Truncate(HourWidth)}); stored[h] != nil && stored[h].Width == HourWidth {
				k, row, ok = h, stored[h], true
			}
		}
		if !ok {
			// The cohort's row is gone (retention): the change stands alone.
			cp := d
			cp.StepTimes = nil
			for _, sk := range d.StepTimes {
				cp.StepTimes = append(cp.StepTimes, sk.Clone())
			}
			cp.Reached, cp.InFlight, cp.Continued = slices.Clone(d.Reached), slices.Clone(d.InFlight), slices.Clone(d.Continued)
			cp.DroppedValue, cp.ErroredValue = slices.Clone(d.DroppedValue), slices.Clone(d.ErroredValue)
			row = &cp
			stored[k] = row
			changed[k] = row
			continue
		}
		addFunnel(row, d)
		changed[k] = row
	}
	out := make([]FunnelRow, 0, len(changed))
	for k, row := range changed {
		for i := range row.InFlight {
			row.InFlight[i] = max(row.InFlight[i], 0)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rollup_funnels WHERE journey_id = $1 AND segment_key = $2 AND segment_value = $3 AND bucket = $4`,
			id, k.seg.Key, k.seg.Value, k.bucket); err != nil {
			return fmt.Errorf("update cohort: %w", err)
		}
		out = append(out, *row)
	}
	return copyFunnels(ctx, tx, id, version, out)
}

// addFloats adds b to a, step by step, growing a as needed.
func addFloats(a, b []float64) []float64 {
	for len(a) < len(b) {
		a = append(a, 0)
	}
	for k, v := range b {
		a[k] += v
	}
	return a
}

// addFunnel adds d to row, step by step.
func addFunnel(row *FunnelRow, d FunnelRow) {
	for len(row.Reached) < len(d.Reached) {
		row.Reached = append(row.Reached, 0)
	}
	for len(row.InFlight) < len(row.Reached) {
		row.InFlight = append(row.InFlight, 0)
	}
	for k, n := range d.Reached {
		row.Reached[k] += n
	}
	for k, n := range d.InFlight {
		row.InFlight[k] += n
	}
	for len(row.Continued) < len(d.Continued) {
		row.Continued = append(row.Continued, 0)
	}
	for k, n := range d.Continued {
		row.Continued[k] += n
	}
	row.Errored += d.Errored
	row.DroppedValue = addFloats(row.DroppedValue, d.DroppedValue)
	row.ErroredValue = addFloats(row.ErroredValue, d.ErroredValue)
	for len(row.StepTimes) < len(d.StepTimes) {
		row.StepTimes = append(row.StepTimes, &sketch.Sketch{})
	}
	for k, sk := range d.StepTimes {
		row.StepTimes[k].Merge(sk)
	}
}

var stepColumns = []string{
	"journey_id", "segment_key", "segment_value", "bucket", "step", "width_s", "journey_version",
	"spans", "errors", "latency", "thresholds_ns", "good", "value_sum", "slowest", "errored", "sampled",
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
			r.Spans, r.Errors, lat, thNs, good, r.ValueSum, slow, errd, sampledOf(r),
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
	"reached", "in_flight", "errored", "step_times", "dropped_value", "errored_value", "continued",
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
			nonNil(r.Reached), nonNil(inFlight), r.Errored, times, floats(r.DroppedValue, len(r.Reached)), floats(r.ErroredValue, len(r.Reached)),
			nonNil(r.Continued),
		}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"rollup_funnels"}, funnelColumns, src); err != nil {
		return fmt.Errorf("copy funnel rows: %w", err)
	}
	return nil
}

// sampledOf is the spans a row was read from: NULL when they are all it
// counts, so that unsampled rows store nothing more.
func sampledOf(r StepRow) *int64 {
	if r.Sampled == 0 || r.Sampled == r.Spans {
		return nil
	}
	return &r.Sampled
}

// floats is v, or n zeros for a row computed without values.
func floats(v []float64, n int) []float64 {
	if v == nil {
		return make([]float64, n)
	}
	return v
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
	took := opt.Took
	if took == 0 {
		took = time.Since(started)
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
		id, opt.Version, r.To, started, r.From, r.To, took.Milliseconds(), res.SpansRead, fetch)
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	return nil
}

// RunReport is what one run advancing a journey's rollups did and cost.
type RunReport struct {
	Slug    string
	Version int
	Started time.Time
	// Skipped is set when the run did nothing because another worker was
	// advancing the journey, or the journey changed meanwhile: the next run
	// does the work.
	Skipped bool
	// From and To bound what the run computed: To is the new watermark.
	From, To time.Time
	// Spans counts every span read, NewSpans those starting in new
	// minutes, RecountSpans those read again to count late arrivals.
	Spans, NewSpans, RecountSpans int64
	Fetch                         journeys.FetchStats
	// Source names the trace source read: "tempo" or "embedded".
	Source string
	// Duration is how long the run took, on the wall clock.
	Duration time.Duration
}

// Amplification is how many spans the run read per new span: 1 when it
// read only what was new. 0 when nothing was new.
func (r RunReport) Amplification() float64 {
	if r.NewSpans == 0 {
		return 0
	}
	return float64(r.Spans) / float64(r.NewSpans)
}

// RecordRun records a successful run for the freshness line: what it
// covered and cost. It clears the failure, if any: the rollups are moving
// again.
func (s *Store) RecordRun(ctx context.Context, r RunReport) error {
	ref, err := lookup(ctx, s.pool, r.Slug)
	if err != nil {
		return err
	}
	fetch, err := json.Marshal(r.Fetch)
	if err != nil {
		return fmt.Errorf("encode fetch stats: %w", err)
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO rollup_freshness AS f (journey_id, journey_version, complete_through, last_run_at,
			last_run_from, last_run_to, last_run_ms, last_spans, last_new_spans, last_recount_spans, last_fetch,
			source, total_runs, total_spans, total_new_spans, total_recount_spans, total_requests, total_inspected_bytes, total_run_ms)
		VALUES ($1, $2, $3, $4, $5, $3, $6, $7, $8, $9, $10, $11, 1, $7, $8, $9, $12, $13, $6)
		ON CONFLICT (journey_id) DO UPDATE SET
			source                = EXCLUDED.source,
			total_runs            = f.total_runs + 1,
			total_spans           = f.total_spans + EXCLUDED.total_spans,
			total_new_spans       = f.total_new_spans + EXCLUDED.total_new_spans,
			total_recount_spans   = f.total_recount_spans + EXCLUDED.total_recount_spans,
			total_requests        = f.total_requests + EXCLUDED.total_requests,
			total_inspected_bytes = f.total_inspected_bytes + EXCLUDED.total_inspected_bytes,
			total_run_ms          = f.total_run_ms + EXCLUDED.total_run_ms,
			journey_version    = EXCLUDED.journey_version,
			complete_through   = EXCLUDED.complete_through,
			last_run_at        = EXCLUDED.last_run_at,
			last_run_from      = EXCLUDED.last_run_from,
			last_run_to        = EXCLUDED.last_run_to,
			last_run_ms        = EXCLUDED.last_run_ms,
			last_spans         = EXCLUDED.last_spans,
			last_new_spans     = EXCLUDED.last_new_spans,
			last_recount_spans = EXCLUDED.last_recount_spans,
			last_fetch         = EXCLUDED.last_fetch,
			last_error         = '',
			failing_since      = NULL`,
		ref.id, r.Version, r.To, r.Started, r.From, r.Duration.Milliseconds(), r.Spans, r.NewSpans, r.RecountSpans, fetch,
		r.Source, r.Fetch.Requests, r.Fetch.InspectedBytes)
	if err != nil {
		return fmt.Errorf("record run of %q: %w", r.Slug, err)
	}
	return nil
}

// stepBucket names one step's all-traffic row in one bucket.
type stepBucket struct {
	step   int
	bucket int64
}

// stepCounts returns the spans of every step's all-traffic rows in
// [from, to), by step and bucket.
func (s *Store) stepCounts(ctx context.Context, id int64, from, to time.Time) (map[stepBucket]int64, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT step, bucket, spans FROM rollup_steps
		WHERE journey_id = $1 AND segment_key = '' AND bucket >= $2 AND bucket < $3`, id, from, to)
	if err != nil {
		return nil, fmt.Errorf("read step counts: %w", err)
	}
	defer rows.Close()
	out := map[stepBucket]int64{}
	for rows.Next() {
		var step int16
		var b time.Time
		var n int64
		if err := rows.Scan(&step, &b, &n); err != nil {
			return nil, fmt.Errorf("read step counts: %w", err)
		}
		out[stepBucket{int(step), b.UnixNano()}] = n
	}
	return out, rows.Err()
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
	CompleteThrough time.Time     `json:"complete_through"`
	LastRunAt       time.Time     `json:"last_run_at"`
	LastRunFrom     time.Time     `json:"last_run_from"`
	LastRunTo       time.Time     `json:"last_run_to"`
	LastRunDuration time.Duration `json:"last_run_duration_ns"`
	// LastSpans counts the spans the last run read, LastNewSpans those in
	// minutes it counted for the first time, LastRecountSpans those it
	// read again for late arrivals.
	LastSpans        int64               `json:"last_spans"`
	LastNewSpans     int64               `json:"last_new_spans"`
	LastRecountSpans int64               `json:"last_recount_spans"`
	LastFetch        journeys.FetchStats `json:"last_fetch"`
	// OpenInstances counts the traces or sessions whose window is still
	// open: the funnel state carried from run to run.
	OpenInstances int `json:"open_instances"`
	// Source is the trace source the runs read; Totals what they cost
	// since the journey was first rolled up.
	Source string    `json:"source,omitempty"`
	Totals RunTotals `json:"totals"`
	// LastError is the message of the last failed run, empty once a run
	// succeeds again; FailingSince is when the current failures began.
	LastError    string    `json:"last_error,omitempty"`
	LastErrorAt  time.Time `json:"last_error_at"`
	FailingSince time.Time `json:"failing_since"`
}

// RunTotals add up the cost of a journey's runs.
type RunTotals struct {
	Runs           int64         `json:"runs"`
	Spans          int64         `json:"spans"`
	NewSpans       int64         `json:"new_spans"`
	RecountSpans   int64         `json:"recount_spans"`
	Requests       int64         `json:"requests"`
	InspectedBytes int64         `json:"inspected_bytes"`
	RunTime        time.Duration `json:"run_time_ns"`
}

// LastAmplification is how many spans the last run read per new span.
func (f Freshness) LastAmplification() float64 {
	if f.LastNewSpans == 0 {
		return 0
	}
	return float64(f.LastSpans) / float64(f.LastNewSpans)
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

// Once a run has succeeded, the watermark of a journey's progress is how far
// its rollups are complete (it moves back when the history is recomputed);
// complete_through is the fallback for rows written without progress.
const freshnessColumns = `j.slug, COALESCE(p.journey_version, f.journey_version),
	CASE WHEN f.last_run_to IS NULL THEN f.complete_through ELSE COALESCE(p.watermark, f.complete_through) END,
	f.last_run_at, f.last_run_from, f.last_run_to,
	f.last_run_ms, f.last_spans, f.last_new_spans, f.last_recount_spans, COALESCE(p.open_instances, 0), f.last_fetch,
	f.last_error, f.last_error_at, f.failing_since, f.source, f.total_runs, f.total_spans, f.total_new_spans,
	f.total_recount_spans, f.total_requests, f.total_inspected_bytes, f.total_run_ms`

const freshnessFrom = `rollup_freshness f JOIN journeys j ON j.id = f.journey_id LEFT JOIN rollup_progress p ON p.journey_id = f.journey_id`

func scanFreshness(row pgx.CollectableRow) (Freshness, error) {
	var f Freshness
	var complete, runAt, runFrom, runTo, errAt, since *time.Time
	var ms int64
	var fetch []byte
	var totalMs int64
	t := &f.Totals
	if err := row.Scan(&f.Slug, &f.Version, &complete, &runAt, &runFrom, &runTo, &ms, &f.LastSpans, &f.LastNewSpans, &f.LastRecountSpans,
		&f.OpenInstances, &fetch, &f.LastError, &errAt, &since, &f.Source, &t.Runs, &t.Spans, &t.NewSpans,
		&t.RecountSpans, &t.Requests, &t.InspectedBytes, &totalMs); err != nil {
		return f, err
	}
	f.CompleteThrough, f.LastRunAt, f.LastRunFrom, f.LastRunTo = deref(complete), deref(runAt), deref(runFrom), deref(runTo)
	f.LastErrorAt, f.FailingSince = deref(errAt), deref(since)
	f.LastRunDuration = time.Duration(ms) * time.Millisecond
	t.RunTime = time.Duration(totalMs) * time.Millisecond
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
	rows, err := s.pool.Query(ctx, `SELECT `+freshnessColumns+` FROM `+freshnessFrom+`
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
	rows, err := s.pool.Query(ctx, `SELECT `+freshnessColumns+` FROM `+freshnessFrom+`
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
