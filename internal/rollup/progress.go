package rollup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Progress is how far a journey's rollups are computed: spans starting
// before Watermark are counted, and Open carries the instances still open
// there to the next computation.
type Progress struct {
	JourneyID int64
	Version   int
	// Generation changes whenever the history is recomputed from an earlier
	// instant; a computation is written only under the generation it
	// started from.
	Generation int64
	Watermark  time.Time
	// Open is nil when there is no state to carry on from (a new or changed
	// journey): the next computation recounts.
	Open          *Open
	OpenInstances int
	// LateChecked is when late spans were last looked for; zero never.
	// LateSince is, for a source that knows arrival times, the arrival
	// from which spans have not been looked at yet.
	LateChecked time.Time
	LateSince   time.Time
	// Reads are the ranges read over the late-span lookback, with the
	// arrival cutoff each was read with.
	Reads []Read
}

// ErrNoProgress means a journey's rollups were never started.
var ErrNoProgress = errors.New("no rollup progress")

// ErrSuperseded means the journey's progress moved while a computation
// ran (a journey change, or another worker): its result was discarded.
var ErrSuperseded = errors.New("rollup progress moved meanwhile")

// Progress returns a journey's progress, with its funnel state unless
// skipOpen (the caller has it already), or an error wrapping ErrNoProgress.
func (s *Store) Progress(ctx context.Context, slug string, skipOpen bool) (Progress, error) {
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{JourneyID: ref.id}
	var late, since *time.Time
	var state, reads []byte
	err = s.pool.QueryRow(ctx, `
		SELECT journey_version, generation, watermark, open_instances, late_checked, late_since, reads,
			CASE WHEN $2 THEN NULL ELSE open_state END
		FROM rollup_progress WHERE journey_id = $1`, ref.id, skipOpen).
		Scan(&p.Version, &p.Generation, &p.Watermark, &p.OpenInstances, &late, &since, &reads, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return Progress{JourneyID: ref.id}, fmt.Errorf("journey %q: %w", slug, ErrNoProgress)
	}
	if err != nil {
		return Progress{}, fmt.Errorf("read rollup progress of %q: %w", slug, err)
	}
	p.Watermark, p.LateChecked, p.LateSince = p.Watermark.UTC(), deref(late), deref(since)
	if err := json.Unmarshal(reads, &p.Reads); err != nil {
		return Progress{}, fmt.Errorf("read rollup progress of %q: decode reads: %w", slug, err)
	}
	if state != nil {
		p.Open, err = DecodeOpen(state)
		switch {
		case errors.Is(err, ErrOpenFormat):
			// Written by another version: recount from the watermark.
			p.Open = nil
		case err != nil:
			return Progress{}, fmt.Errorf("read rollup progress of %q: %w", slug, err)
		}
	}
	return p, nil
}

// Start records the progress of a journey never rolled up, from watermark,
// unless a concurrent start won; it returns the journey's progress.
func (s *Store) Start(ctx context.Context, slug string, version int, watermark time.Time) (Progress, error) {
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return Progress{}, err
	}
	watermark = watermark.UTC().Truncate(BucketWidth)
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO rollup_progress (journey_id, journey_version, watermark) VALUES ($1, $2, $3)
		ON CONFLICT (journey_id) DO NOTHING`, ref.id, version, watermark); err != nil {
		return Progress{}, fmt.Errorf("start rollups of %q: %w", slug, err)
	}
	return s.Progress(ctx, slug, false)
}

// Rewind makes the journey's rollups start over from from, in tx (the
// transaction of the change that needs it): a new generation at the
// journey's current version,
// with no funnel state, so that the next computation recounts from there
// and every later one carries on. Computations of the old generation still
// running are discarded when they try to write. It also records the
// recompute of [from, to) as a Backfill, whose progress follows the
// watermark.
func Rewind(ctx context.Context, tx pgx.Tx, slug string, from, to time.Time) (Backfill, error) {
	from = from.UTC().Truncate(BucketWidth)
	b, err := CreateBackfill(ctx, tx, slug, from, to)
	if err != nil {
		return b, err
	}
	ref, err := lookup(ctx, tx, slug)
	if err != nil {
		return b, err
	}
	if err := lockJourney(ctx, tx, ref.id); err != nil {
		return b, err
	}
	version := ref.version
	_, err = tx.Exec(ctx, `
		INSERT INTO rollup_progress AS p (journey_id, journey_version, watermark) VALUES ($1, $2, $3)
		ON CONFLICT (journey_id) DO UPDATE SET
			journey_version = EXCLUDED.journey_version, generation = p.generation + 1,
			watermark = LEAST(p.watermark, EXCLUDED.watermark), open_state = NULL, open_instances = 0,
			late_checked = NULL, late_since = NULL, reads = '[]', updated_at = now()`, ref.id, version, from)
	if err != nil {
		return b, fmt.Errorf("rewind rollups of %q: %w", slug, err)
	}
	return b, nil
}

// SetVersion records, in tx, that the journey's current version computes the same
// rollups as the one being computed (only its name, description or SLO
// objectives changed), so that nothing is recomputed.
func SetVersion(ctx context.Context, tx pgx.Tx, slug string) error {
	ref, err := lookup(ctx, tx, slug)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE rollup_progress SET journey_version = $2, updated_at = now() WHERE journey_id = $1`, ref.id, ref.version); err != nil {
		return fmt.Errorf("record version of %q: %w", slug, err)
	}
	return nil
}

// runLockClass namespaces the session locks that let one worker at a time
// advance a journey's rollups.
const runLockClass = 0x72756e73 // "runs"

// LockRuns makes the caller the only one advancing the journey's rollups
// until release is called (or its connection dies with its process). ok is
// false when another worker holds it; that worker is advancing them.
func (s *Store) LockRuns(ctx context.Context, journeyID int64) (release func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock rollup runs: %w", err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, int32(runLockClass), int32(journeyID)).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("lock rollup runs: %w", err)
	}
	if !ok {
		conn.Release()
		return func() {}, false, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, int32(runLockClass), int32(journeyID)); err != nil {
			// A connection that cannot unlock is closed, which unlocks.
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}, true, nil
}

// MarkLateChecked records that late spans were looked for at at, among
// the arrivals up to since (zero for a source that counts instead).
func (s *Store) MarkLateChecked(ctx context.Context, p Progress, at, since time.Time) error {
	var sinceArg *time.Time
	if !since.IsZero() {
		sinceArg = &since
	}
	_, err := s.pool.Exec(ctx, `UPDATE rollup_progress SET late_checked = $3, late_since = COALESCE($4, late_since) WHERE journey_id = $1 AND generation = $2`,
		p.JourneyID, p.Generation, at, sinceArg)
	if err != nil {
		return fmt.Errorf("record late-span check: %w", err)
	}
	return nil
}

// readsKept is how long the reads are remembered: longer than any
// late-span lookback a run uses.
const readsKept = 6 * time.Hour

// recordRead adds r to reads, replacing what it read again (a recount),
// and forgets reads that ended before keepFrom.
func recordRead(reads []Read, r Read, keepFrom time.Time) []Read {
	out := make([]Read, 0, len(reads)+1)
	for _, x := range reads {
		if !x.To.After(keepFrom) {
			continue
		}
		// The part of x outside r stays as it was read.
		if x.From.Before(r.From) {
			out = append(out, Read{From: x.From, To: minTime(x.To, r.From), Before: x.Before})
		}
		if x.To.After(r.To) {
			out = append(out, Read{From: maxTime(x.From, r.To), To: x.To, Before: x.Before})
		}
	}
	out = append(out, r)
	slices.SortFunc(out, func(a, b Read) int { return a.From.Compare(b.From) })
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// finishBackfills marks done the backfills of a journey caught up with the
// live edge.
func (s *Store) finishBackfills(ctx context.Context, journeyID int64, edge time.Time) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE rollup_backfills SET done_through = range_to, state = 'done', error = '', updated_at = now()
		WHERE journey_id = $1 AND state <> 'done' AND range_from <= $2`, journeyID, edge)
	if err != nil {
		return fmt.Errorf("finish backfills: %w", err)
	}
	return nil
}

// advance moves the progress p was read as to res's end in tx, with its
// funnel state, or fails with ErrSuperseded when it moved meanwhile.
func advance(ctx context.Context, tx pgx.Tx, p *Progress, res *Result, version int) error {
	var gen int64
	var wm time.Time
	err := tx.QueryRow(ctx, `SELECT generation, watermark FROM rollup_progress WHERE journey_id = $1 FOR UPDATE`, p.JourneyID).Scan(&gen, &wm)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrSuperseded
	}
	if err != nil {
		return fmt.Errorf("read rollup progress: %w", err)
	}
	if gen != p.Generation || !wm.Equal(p.Watermark) || !res.Range.From.Before(res.Range.To) ||
		res.Range.To.Before(p.Watermark) || res.Range.From.After(p.Watermark) {
		return ErrSuperseded
	}
	state := res.Open.Encode()
	reads := p.Reads
	if !res.Range.ReceivedBefore.IsZero() {
		reads = recordRead(reads, Read{From: res.Range.From, To: res.Range.To, Before: res.Range.ReceivedBefore}, res.Range.To.Add(-readsKept))
	}
	readsJSON, err := json.Marshal(reads)
	if err != nil {
		return fmt.Errorf("encode reads: %w", err)
	}
	// The first read with a cutoff starts what late checks must look at.
	var cutoff *time.Time
	if !res.Range.ReceivedBefore.IsZero() {
		cutoff = &res.Range.ReceivedBefore
	}
	if _, err := tx.Exec(ctx, `
		UPDATE rollup_progress SET watermark = $2, open_state = $3, open_instances = $4, journey_version = $5, reads = $6,
			late_since = COALESCE(late_since, $7), updated_at = now()
		WHERE journey_id = $1`, p.JourneyID, res.Range.To, state, res.Open.Len(), version, readsJSON, cutoff); err != nil {
		return fmt.Errorf("record rollup progress: %w", err)
	}
	p.Reads = reads
	if p.LateSince.IsZero() && cutoff != nil {
		p.LateSince = *cutoff
	}
	// Backfills follow the watermark; one is done once the journey has
	// caught up with the live edge (finishBackfills), when the cohorts of
	// its range have closed too.
	if _, err := tx.Exec(ctx, `
		UPDATE rollup_backfills
		SET done_through = GREATEST(range_from, LEAST(range_to, $2)), state = 'running', error = '', updated_at = now()
		WHERE journey_id = $1 AND state IN ('pending', 'running', 'failed') AND range_from <= $2`,
		p.JourneyID, res.Range.To); err != nil {
		return fmt.Errorf("record backfill progress: %w", err)
	}
	p.Watermark, p.Open, p.OpenInstances, p.Version = res.Range.To, res.Open, res.Open.Len(), version
	return nil
}

// Backfill states.
const (
	BackfillPending = "pending"
	BackfillRunning = "running"
	BackfillDone    = "done"
	BackfillFailed  = "failed"
)

// Backfill is the progress of recomputing a journey's history.
type Backfill struct {
	ID          int64     `json:"id"`
	Slug        string    `json:"slug"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	DoneThrough time.Time `json:"done_through"`
	State       string    `json:"state"`
	Error       string    `json:"error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Progress is the fraction of the range done, 0 to 1.
func (b Backfill) Progress() float64 {
	total := b.To.Sub(b.From)
	if total <= 0 {
		return 1
	}
	return min(max(float64(b.DoneThrough.Sub(b.From))/float64(total), 0), 1)
}

// CreateBackfill records a pending backfill of slug over [from, to) in tx,
// so that the job doing it can be inserted in the same transaction.
func CreateBackfill(ctx context.Context, tx pgx.Tx, slug string, from, to time.Time) (Backfill, error) {
	if !from.Before(to) {
		return Backfill{}, fmt.Errorf("backfill of %q: empty range", slug)
	}
	ref, err := lookup(ctx, tx, slug)
	if err != nil {
		return Backfill{}, err
	}
	b := Backfill{Slug: slug, From: from.UTC(), To: to.UTC(), DoneThrough: from.UTC(), State: BackfillPending}
	err = tx.QueryRow(ctx, `
		INSERT INTO rollup_backfills (journey_id, range_from, range_to, done_through, state)
		VALUES ($1, $2, $3, $2, $4)
		RETURNING id, created_at, updated_at`, ref.id, b.From, b.To, b.State).Scan(&b.ID, &b.CreatedAt, &b.UpdatedAt)
	if err != nil {
		return Backfill{}, fmt.Errorf("create backfill of %q: %w", slug, err)
	}
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, nil
}

const backfillColumns = `b.id, j.slug, b.range_from, b.range_to, b.done_through, b.state, b.error, b.created_at, b.updated_at`

func scanBackfill(row pgx.CollectableRow) (Backfill, error) {
	var b Backfill
	err := row.Scan(&b.ID, &b.Slug, &b.From, &b.To, &b.DoneThrough, &b.State, &b.Error, &b.CreatedAt, &b.UpdatedAt)
	b.From, b.To, b.DoneThrough = b.From.UTC(), b.To.UTC(), b.DoneThrough.UTC()
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, err
}

// GetBackfill returns one backfill, or an error wrapping ErrNotFound.
func (s *Store) GetBackfill(ctx context.Context, id int64) (Backfill, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+backfillColumns+`
		FROM rollup_backfills b JOIN journeys j ON j.id = b.journey_id
		WHERE b.id = $1`, id)
	if err != nil {
		return Backfill{}, fmt.Errorf("read backfill %d: %w", id, err)
	}
	b, err := pgx.CollectExactlyOneRow(rows, scanBackfill)
	if errors.Is(err, pgx.ErrNoRows) {
		return Backfill{}, fmt.Errorf("backfill %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Backfill{}, fmt.Errorf("read backfill %d: %w", id, err)
	}
	return b, nil
}

// Backfills lists a journey's backfills, newest first, at most limit.
func (s *Store) Backfills(ctx context.Context, slug string, limit int) ([]Backfill, error) {
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+backfillColumns+`
		FROM rollup_backfills b JOIN journeys j ON j.id = b.journey_id
		WHERE b.journey_id = $1
		ORDER BY b.created_at DESC, b.id DESC
		LIMIT $2`, ref.id, limit)
	if err != nil {
		return nil, fmt.Errorf("list backfills of %q: %w", slug, err)
	}
	out, err := pgx.CollectRows(rows, scanBackfill)
	if err != nil {
		return nil, fmt.Errorf("list backfills of %q: %w", slug, err)
	}
	return out, nil
}

// UpdateBackfill records a backfill's progress and state. errMsg is kept
// only for the failed state.
func (s *Store) UpdateBackfill(ctx context.Context, id int64, doneThrough time.Time, state, errMsg string) error {
	if state != BackfillFailed {
		errMsg = ""
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE rollup_backfills SET done_through = $2, state = $3, error = $4, updated_at = now()
		WHERE id = $1`, id, doneThrough, state, errMsg)
	if err != nil {
		return fmt.Errorf("update backfill %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("backfill %d: %w", id, ErrNotFound)
	}
	return nil
}
