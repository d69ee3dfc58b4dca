// Package journeystore keeps journey definitions in Postgres, at their current
// version and with a history of every save and delete.
//
// A journey is identified by its slug. Versions count up per slug and never
// repeat: a delete takes a version of its own, and re-creating a deleted slug
// revives that journey, so numbering carries on where it stopped and the old
// history stays visible. A rename (UpdateJourney with a new slug) carries the
// journey's history along; its next version is above every version ever
// recorded under the new slug.
package journeystore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/pgrow"
	"github.com/waymarkhq/waymark/journeys"
)

// ErrNotFound means no live journey has the slug. It is wrapped with the
// slug; test with errors.Is.
var ErrNotFound = fault.New(fault.ErrNotFound, "not found")

// ErrConflict means the write would give two live journeys one slug. It is
// wrapped with the slug; test with errors.Is.
var ErrConflict = fault.New(fault.ErrConflict, "conflict")

// Actions recorded in a journey's history.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionDeleted = "deleted"
)

// JourneyRecord is a stored journey at its current version.
type JourneyRecord struct {
	Journey   journeys.Journey
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// JourneyVersion is one entry of a journey's history (every save, and the
// delete).
type JourneyVersion struct {
	Version int
	Journey journeys.Journey
	// Action is ActionCreated, ActionUpdated or ActionDeleted. A delete
	// entry carries the definition the journey had when it was deleted.
	Action    string
	ChangedAt time.Time
	ChangedBy string
}

// Store reads and writes journeys. It is safe for concurrent use.
//
// Its writes only write journeys. What a change causes besides (the audit
// entry, the recompute of the journey's history) belongs to the journey
// change service, internal/journeyedit, which runs the write primitives
// (Create, Update, Put, Delete) inside its own transaction. Application
// code changes journeys through that service; the pool-level wrappers
// (CreateJourney and friends) are for fixtures and tests.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// ListJourneys returns every live journey, ordered by slug (byte order).
func (s *Store) ListJourneys(ctx context.Context) ([]JourneyRecord, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT source, version, created_at, updated_at, updated_by
		FROM journeys
		WHERE deleted_at IS NULL
		ORDER BY slug COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	recs, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	return recs, nil
}

// GetJourney returns the live journey with slug, or an error wrapping
// ErrNotFound.
func (s *Store) GetJourney(ctx context.Context, slug string) (JourneyRecord, error) {
	return pgrow.One(ctx, s.pool, scanRecord, ErrNotFound, fmt.Sprintf("journey %q", slug), `
		SELECT source, version, created_at, updated_at, updated_by
		FROM journeys
		WHERE slug = $1 AND deleted_at IS NULL`, slug)
}

// Create stores a new journey under j.Metadata.Slug in tx. It returns an
// error wrapping ErrConflict when a live journey has that slug, and a
// *journeys.ValidationError, unwrapped, when j is invalid.
func (s *Store) Create(ctx context.Context, tx pgx.Tx, j journeys.Journey, actor string) (JourneyRecord, error) {
	def, err := encode(j)
	if err != nil {
		return JourneyRecord{}, err
	}
	rec, err := s.create(ctx, tx, j, def, actor)
	if err != nil {
		return JourneyRecord{}, classify(err, "create", j.Metadata.Slug)
	}
	return rec, nil
}

// Update locks the live journey with slug in tx and records j as its new
// version, even when nothing changed (an explicit save is kept in the
// history). It returns the journey as it was and as it is now.
// j.Metadata.Slug may differ from slug to rename the journey; renaming onto
// another live journey's slug returns an error wrapping ErrConflict. A
// missing journey returns an error wrapping ErrNotFound.
func (s *Store) Update(ctx context.Context, tx pgx.Tx, slug string, j journeys.Journey, actor string) (before, after JourneyRecord, err error) {
	def, err := encode(j)
	if err != nil {
		return before, after, err
	}
	cur, err := lockLive(ctx, tx, slug)
	if err == nil {
		before, err = cur.record()
	}
	if err == nil {
		after, err = s.update(ctx, tx, cur, j, def, actor)
	}
	if err != nil {
		return before, after, classify(err, "update", j.Metadata.Slug)
	}
	return before, after, nil
}

// Put creates the journey j.Metadata.Slug in tx or replaces its
// definition. before is nil when it was created; a definition identical to
// the stored one changes nothing (no new version, no history entry) and
// returns after equal to *before.
func (s *Store) Put(ctx context.Context, tx pgx.Tx, j journeys.Journey, actor string) (before *JourneyRecord, after JourneyRecord, err error) {
	def, err := encode(j)
	if err != nil {
		return nil, after, err
	}
	slug := j.Metadata.Slug
	cur, err := lockLive(ctx, tx, slug)
	switch {
	case errors.Is(err, ErrNotFound):
		after, err = s.create(ctx, tx, j, def, actor)
	case err != nil:
	default:
		var old JourneyRecord
		if old, err = cur.record(); err != nil {
			break
		}
		before = &old
		if cur.def.source == def.source {
			return before, old, nil
		}
		after, err = s.update(ctx, tx, cur, j, def, actor)
	}
	if err != nil {
		return nil, JourneyRecord{}, classify(err, "put", slug)
	}
	return before, after, nil
}

// Delete deletes the live journey with slug in tx, recording the delete as
// a version of its own; its history is kept. It returns the journey as it
// was. A missing journey returns an error wrapping ErrNotFound.
func (s *Store) Delete(ctx context.Context, tx pgx.Tx, slug string, actor string) (JourneyRecord, error) {
	cur, err := lockLive(ctx, tx, slug)
	if err != nil {
		return JourneyRecord{}, classify(err, "delete", slug)
	}
	before, err := cur.record()
	if err != nil {
		return JourneyRecord{}, classify(err, "delete", slug)
	}
	version := cur.version + 1
	_, err = tx.Exec(ctx, `
		UPDATE journeys
		SET version = $2, deleted_at = now(), updated_at = now(), updated_by = $3
		WHERE id = $1`, cur.id, version, actor)
	if err != nil {
		return JourneyRecord{}, classify(fmt.Errorf("mark deleted: %w", err), "delete", slug)
	}
	if err := addHistory(ctx, tx, cur.id, version, slug, ActionDeleted, cur.def, actor); err != nil {
		return JourneyRecord{}, classify(err, "delete", slug)
	}
	return before, nil
}

// Unchanged returns the live journey j.Metadata.Slug when its stored
// definition is exactly j's, without locking: most puts (journeys applied
// from CI on every run) change nothing and are answered with this one
// read. ok is false when the journey is missing or differs; j must be
// valid.
func (s *Store) Unchanged(ctx context.Context, j journeys.Journey) (rec JourneyRecord, ok bool, err error) {
	def, err := encode(j)
	if err != nil {
		return JourneyRecord{}, false, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT source, version, created_at, updated_at, updated_by
		FROM journeys
		WHERE slug = $1 AND deleted_at IS NULL AND source = $2`, j.Metadata.Slug, def.source)
	if err != nil {
		return JourneyRecord{}, false, fmt.Errorf("read journey %q: %w", j.Metadata.Slug, err)
	}
	recs, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return JourneyRecord{}, false, fmt.Errorf("read journey %q: %w", j.Metadata.Slug, err)
	}
	if len(recs) != 1 {
		return JourneyRecord{}, false, nil
	}
	return recs[0], true, nil
}

// Source returns the canonical YAML a journey is stored as: what export
// prints and what an unchanged definition is compared by.
func Source(j journeys.Journey) (string, error) {
	def, err := encode(j)
	if err != nil {
		return "", err
	}
	return def.source, nil
}

// RetryConflict reports whether a write that failed with err is worth one
// retry: two concurrent creates of one slug both find nothing and both
// insert, and the loser, retried, finds the winner's row.
func RetryConflict(err error) bool {
	return isUniqueViolation(err) || errors.Is(err, ErrConflict)
}

// CreateJourney runs Create in a transaction of its own, for fixtures and
// tests: it records no audit entry and recomputes nothing.
func (s *Store) CreateJourney(ctx context.Context, j journeys.Journey, actor string) (rec JourneyRecord, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		rec, err = s.Create(ctx, tx, j, actor)
		return err
	})
	return rec, err
}

// UpdateJourney runs Update in a transaction of its own, for fixtures and
// tests.
func (s *Store) UpdateJourney(ctx context.Context, slug string, j journeys.Journey, actor string) (rec JourneyRecord, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		_, rec, err = s.Update(ctx, tx, slug, j, actor)
		return err
	})
	return rec, err
}

// PutJourney runs Put in a transaction of its own, retrying once when a
// concurrent create of the same slug won, for fixtures and tests. created
// reports whether the journey is new.
func (s *Store) PutJourney(ctx context.Context, j journeys.Journey, actor string) (rec JourneyRecord, created bool, err error) {
	if err := j.Validate(); err != nil {
		return JourneyRecord{}, false, err
	}
	if rec, ok, err := s.Unchanged(ctx, j); err != nil || ok {
		return rec, false, err
	}
	for attempt := 0; ; attempt++ {
		var before *JourneyRecord
		err = s.inTx(ctx, func(tx pgx.Tx) error {
			before, rec, err = s.Put(ctx, tx, j, actor)
			return err
		})
		created = err == nil && before == nil
		if err == nil || attempt > 0 || !RetryConflict(err) {
			return rec, created, err
		}
	}
}

// DeleteJourney runs Delete in a transaction of its own, for fixtures and
// tests.
func (s *Store) DeleteJourney(ctx context.Context, slug string, actor string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := s.Delete(ctx, tx, slug, actor)
		return err
	})
}

// JourneyHistory returns every version of the journey with slug, newest
// first, including its delete. When the slug has no live journey it is the
// history of the journey most recently deleted under it; an error wrapping
// ErrNotFound when there is none (as for the old slug of a renamed journey,
// whose history moved with it).
func (s *Store) JourneyHistory(ctx context.Context, slug string) ([]JourneyVersion, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT v.version, v.source, v.action, v.changed_at, v.changed_by
		FROM journey_versions v
		WHERE v.journey_id = (
			SELECT id FROM journeys
			WHERE slug = $1
			ORDER BY deleted_at DESC NULLS FIRST, id DESC
			LIMIT 1)
		ORDER BY v.version DESC`, slug)
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", slug, err)
	}
	hist, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (JourneyVersion, error) {
		var v JourneyVersion
		var src string
		if err := row.Scan(&v.Version, &src, &v.Action, &v.ChangedAt, &v.ChangedBy); err != nil {
			return v, err
		}
		j, err := decode(src)
		v.Journey = j
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", slug, err)
	}
	if len(hist) == 0 {
		return nil, fmt.Errorf("journey %q: %w", slug, ErrNotFound)
	}
	return hist, nil
}

// create inserts j, or revives the journey last deleted under its slug.
func (s *Store) create(ctx context.Context, tx pgx.Tx, j journeys.Journey, def document, actor string) (JourneyRecord, error) {
	slug := j.Metadata.Slug
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM journeys WHERE slug = $1 AND deleted_at IS NULL)`, slug).Scan(&exists); err != nil {
		return JourneyRecord{}, fmt.Errorf("look up slug: %w", err)
	}
	if exists {
		return JourneyRecord{}, fmt.Errorf("journey %q already exists: %w", slug, ErrConflict)
	}
	next, err := nextVersion(ctx, tx, slug, 0)
	if err != nil {
		return JourneyRecord{}, err
	}
	// A concurrent create may revive or insert the same slug between the
	// check above and the write below; the partial unique index on live
	// slugs then fails this write, which classify turns into ErrConflict.
	var id int64
	var rec JourneyRecord
	err = tx.QueryRow(ctx, `
		WITH revived AS (
			UPDATE journeys
			SET version = $2, definition = $3, source = $4, created_at = now(),
				updated_at = now(), updated_by = $5, deleted_at = NULL
			WHERE id = (
				SELECT id FROM journeys
				WHERE slug = $1 AND deleted_at IS NOT NULL
				ORDER BY deleted_at DESC, id DESC
				LIMIT 1
				FOR UPDATE)
			RETURNING id, created_at, updated_at
		), inserted AS (
			INSERT INTO journeys (slug, version, definition, source, updated_by)
			SELECT $1, $2, $3, $4, $5
			WHERE NOT EXISTS (SELECT 1 FROM revived)
			RETURNING id, created_at, updated_at
		)
		SELECT id, created_at, updated_at FROM revived
		UNION ALL
		SELECT id, created_at, updated_at FROM inserted`, slug, next, def.json, def.source, actor).Scan(&id, &rec.CreatedAt, &rec.UpdatedAt)
	if err != nil {
		return JourneyRecord{}, fmt.Errorf("insert journey: %w", err)
	}
	if err := addHistory(ctx, tx, id, next, slug, ActionCreated, def, actor); err != nil {
		return JourneyRecord{}, err
	}
	rec.Journey, rec.Version, rec.UpdatedBy = j, next, actor
	return rec, nil
}

// update writes a new version of the locked journey cur.
func (s *Store) update(ctx context.Context, tx pgx.Tx, cur liveRow, j journeys.Journey, def document, actor string) (JourneyRecord, error) {
	slug := j.Metadata.Slug
	if slug != cur.slug {
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM journeys WHERE slug = $1 AND deleted_at IS NULL)`, slug).Scan(&taken); err != nil {
			return JourneyRecord{}, fmt.Errorf("look up slug: %w", err)
		}
		if taken {
			return JourneyRecord{}, fmt.Errorf("journey %q already exists: %w", slug, ErrConflict)
		}
	}
	next, err := nextVersion(ctx, tx, slug, cur.version)
	if err != nil {
		return JourneyRecord{}, err
	}
	rec := JourneyRecord{Journey: j, Version: next, CreatedAt: cur.createdAt, UpdatedBy: actor}
	err = tx.QueryRow(ctx, `
		UPDATE journeys
		SET slug = $2, version = $3, definition = $4, source = $5, updated_at = now(), updated_by = $6
		WHERE id = $1
		RETURNING updated_at`, cur.id, slug, next, def.json, def.source, actor).Scan(&rec.UpdatedAt)
	if err != nil {
		return JourneyRecord{}, fmt.Errorf("update journey: %w", err)
	}
	if err := addHistory(ctx, tx, cur.id, next, slug, ActionUpdated, def, actor); err != nil {
		return JourneyRecord{}, err
	}
	return rec, nil
}

func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// liveRow is a live journey's row, locked for the rest of the transaction.
type liveRow struct {
	id        int64
	slug      string
	version   int
	def       document
	createdAt time.Time
	updatedAt time.Time
	updatedBy string
}

func (r liveRow) record() (JourneyRecord, error) {
	j, err := decode(r.def.source)
	if err != nil {
		return JourneyRecord{}, err
	}
	return JourneyRecord{Journey: j, Version: r.version, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt, UpdatedBy: r.updatedBy}, nil
}

func lockLive(ctx context.Context, tx pgx.Tx, slug string) (liveRow, error) {
	r := liveRow{slug: slug}
	err := tx.QueryRow(ctx, `
		SELECT id, version, definition, source, created_at, updated_at, updated_by
		FROM journeys
		WHERE slug = $1 AND deleted_at IS NULL
		FOR UPDATE`, slug).Scan(&r.id, &r.version, &r.def.json, &r.def.source, &r.createdAt, &r.updatedAt, &r.updatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("journey %q: %w", slug, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("lock journey: %w", err)
	}
	return r, nil
}

// nextVersion is the version a journey at version cur takes when it is next
// saved under slug: above its own and above every version ever recorded
// under slug, so that versions per slug never repeat.
func nextVersion(ctx context.Context, tx pgx.Tx, slug string, cur int) (int, error) {
	var max int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM journey_versions WHERE slug = $1`, slug).Scan(&max); err != nil {
		return 0, fmt.Errorf("read latest version: %w", err)
	}
	if cur > max {
		max = cur
	}
	return max + 1, nil
}

func addHistory(ctx context.Context, tx pgx.Tx, id int64, version int, slug, action string, def document, actor string) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO journey_versions (journey_id, version, slug, action, definition, source, changed_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, version, slug, action, def.json, def.source, actor)
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	return nil
}

func scanRecord(row pgx.CollectableRow) (JourneyRecord, error) {
	var rec JourneyRecord
	var src string
	if err := row.Scan(&src, &rec.Version, &rec.CreatedAt, &rec.UpdatedAt, &rec.UpdatedBy); err != nil {
		return rec, err
	}
	j, err := decode(src)
	rec.Journey = j
	return rec, err
}

// document is a journey as stored. json, the API's JSON form, is for
// looking into definitions with SQL. source, the canonical YAML, is what
// reads decode: jsonb normalises numbers (1e3 becomes 1000, turning a float
// literal into an int) and JSON has no room for YAML spellings, while the
// YAML form keeps every literal and duration as the user wrote it, so an
// export gives back the applied file byte for byte.
type document struct {
	json   []byte
	source string
}

// encode validates j and returns its stored forms. A validation error is
// returned as is, so that callers can show it field by field.
func encode(j journeys.Journey) (document, error) {
	if err := j.Validate(); err != nil {
		return document{}, err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return document{}, fmt.Errorf("encode journey %q: %w", j.Metadata.Slug, err)
	}
	y, err := journeys.EncodeYAML(j)
	if err != nil {
		return document{}, fmt.Errorf("encode journey %q: %w", j.Metadata.Slug, err)
	}
	return document{json: b, source: string(y)}, nil
}

func decode(src string) (journeys.Journey, error) {
	js, err := journeys.DecodeYAML([]byte(src))
	if err != nil {
		return journeys.Journey{}, fmt.Errorf("decode stored journey: %w", err)
	}
	if len(js) != 1 {
		return journeys.Journey{}, fmt.Errorf("decode stored journey: %d documents, want 1", len(js))
	}
	return js[0], nil
}

// classify wraps err from a write of slug, turning a unique violation on
// live slugs (a concurrent writer won) into ErrConflict.
func classify(err error, op, slug string) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("%s journey: journey %q already exists: %w", op, slug, ErrConflict)
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return err
	}
	return fmt.Errorf("%s journey %q: %w", op, slug, err)
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
