package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgrow"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// ErrNotFound means no incident (or no linked trace) has the id. It is
// wrapped with the id; test with errors.Is.
var ErrNotFound = fault.New(fault.ErrNotFound, "not found")

// ErrConflict means the write clashes with what is stored: the trace is
// already linked, or the incident changed since it was read. It is wrapped;
// test with errors.Is.
var ErrConflict = fault.New(fault.ErrConflict, "conflict")

// Source is where linked traces come from: the trace source rollups read,
// able to hand out a whole trace as OTLP for its snapshot. Both
// *tempo.Source and *spanstore.Store are one.
type Source interface {
	rollup.TraceSource
	// TraceOTLP returns one whole trace, or an error wrapping
	// journeys.ErrTraceNotFound.
	TraceOTLP(ctx context.Context, traceID string) (*tracepb.TracesData, error)
}

// StatsReader reads a journey's rolled-up numbers; *rollup.Store is one.
// Tests feed exact numbers through their own.
type StatsReader interface {
	Stats(ctx context.Context, slug string, from, to time.Time, seg *rollup.Segment) (rollup.JourneyStats, error)
	Series(ctx context.Context, slug string, from, to time.Time, every time.Duration, seg *rollup.Segment) ([]rollup.StepSeries, error)
}

// DefaultSnapshotLimit caps one trace snapshot, compressed.
const DefaultSnapshotLimit = 5 << 20

// Config holds a Store's dependencies. Only Source is needed to link
// traces; Journeys to check that affected journeys and steps exist and to
// suggest related traces; Stats for impact numbers and charts.
type Config struct {
	Source   Source
	Journeys *journeystore.Store
	Stats    StatsReader
	// SnapshotLimit caps one snapshot in compressed bytes
	// (DefaultSnapshotLimit when 0).
	SnapshotLimit int64
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log receives warnings about evidence that could not be read; nil
	// discards.
	Log *slog.Logger
}

// Store keeps incidents in Postgres. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	cfg  Config
	log  *slog.Logger
}

// New returns a Store on pool, whose database must be migrated.
func New(pool *pgxpool.Pool, cfg Config) *Store {
	if cfg.SnapshotLimit <= 0 {
		cfg.SnapshotLimit = DefaultSnapshotLimit
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, cfg: cfg, log: log}
}

func (s *Store) now() time.Time { return dbTime(s.cfg.Now()) }

// StatusChange is one status an incident took.
type StatusChange struct {
	// From is empty for the status the incident was opened with.
	From Status    `json:"from,omitempty"`
	To   Status    `json:"to"`
	At   time.Time `json:"at"`
	By   string    `json:"by,omitempty"`
}

const incidentColumns = `id, title, severity, status, started_at, detected_at, resolved_at, journeys, steps,
	owner, summary, version, created_at, created_by, updated_at, updated_by`

func scanIncident(row pgx.CollectableRow) (Incident, error) {
	var in Incident
	var resolved *time.Time
	var steps []byte
	err := row.Scan(&in.ID, &in.Title, &in.Severity, &in.Status, &in.StartedAt, &in.DetectedAt, &resolved,
		&in.Journeys, &steps, &in.Owner, &in.Summary, &in.Version, &in.CreatedAt, &in.CreatedBy, &in.UpdatedAt, &in.UpdatedBy)
	if err != nil {
		return in, err
	}
	if resolved != nil {
		in.ResolvedAt = resolved.UTC()
	}
	in.StartedAt, in.DetectedAt = in.StartedAt.UTC(), in.DetectedAt.UTC()
	in.CreatedAt, in.UpdatedAt = in.CreatedAt.UTC(), in.UpdatedAt.UTC()
	if len(in.Journeys) == 0 {
		in.Journeys = nil
	}
	if err := json.Unmarshal(steps, &in.Steps); err != nil {
		return in, fmt.Errorf("decode steps: %w", err)
	}
	if len(in.Steps) == 0 {
		in.Steps = nil
	}
	return in, nil
}

// stored is what the database columns take from an incident.
func stored(in Incident) (steps []byte, journeySlugs []string, resolved *time.Time) {
	st := in.Steps
	if st == nil {
		st = []StepRef{}
	}
	steps, _ = json.Marshal(st) // a slice of two strings always encodes
	journeySlugs = in.Journeys
	if journeySlugs == nil {
		journeySlugs = []string{}
	}
	if !in.ResolvedAt.IsZero() {
		r := in.ResolvedAt
		resolved = &r
	}
	return steps, journeySlugs, resolved
}

// Create stores a new incident, normalised (see Normalize), and records its
// opening status. An invalid incident, or one naming a journey or step that
// does not exist, is a *journeys.ValidationError, returned unwrapped.
func (s *Store) Create(ctx context.Context, in Incident, actor string) (Incident, error) {
	now := s.now()
	in.Normalize(now)
	if err := in.Validate(); err != nil {
		return Incident{}, err
	}
	if err := s.checkRefs(ctx, in, Incident{}); err != nil {
		return Incident{}, err
	}
	var out Incident
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = insertIncident(ctx, tx, in, actor, now)
		return err
	})
	if err != nil {
		return Incident{}, fmt.Errorf("create incident: %w", err)
	}
	return out, nil
}

func insertIncident(ctx context.Context, tx pgx.Tx, in Incident, actor string, now time.Time) (Incident, error) {
	steps, slugs, resolved := stored(in)
	rows, err := tx.Query(ctx, `
		INSERT INTO incidents (title, severity, status, started_at, detected_at, resolved_at, journeys, steps,
			owner, summary, created_at, created_by, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11, $12)
		RETURNING `+incidentColumns,
		in.Title, in.Severity, in.Status, in.StartedAt, in.DetectedAt, resolved, slugs, steps,
		in.Owner, in.Summary, now, actor)
	if err != nil {
		return Incident{}, fmt.Errorf("insert incident: %w", err)
	}
	out, err := pgx.CollectExactlyOneRow(rows, scanIncident)
	if err != nil {
		return Incident{}, fmt.Errorf("insert incident: %w", err)
	}
	if err := addStatusChange(ctx, tx, out.ID, "", out.Status, now, actor); err != nil {
		return Incident{}, err
	}
	return out, nil
}

func addStatusChange(ctx context.Context, tx pgx.Tx, id int64, from, to Status, at time.Time, actor string) error {
	var fromArg *string
	if from != "" {
		f := string(from)
		fromArg = &f
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO incident_status_changes (incident_id, from_status, to_status, changed_at, changed_by)
		VALUES ($1, $2, $3, $4, $5)`, id, fromArg, to, at, actor)
	if err != nil {
		return fmt.Errorf("record status change: %w", err)
	}
	return nil
}

// Get returns one incident, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Incident, error) {
	return getIncident(ctx, s.pool, id, false)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func getIncident(ctx context.Context, q querier, id int64, lock bool) (Incident, error) {
	sql := `SELECT ` + incidentColumns + ` FROM incidents WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	return pgrow.One(ctx, q, scanIncident, ErrNotFound, fmt.Sprintf("incident %d", id), sql, id)
}

// Filter narrows List. Zero fields match everything.
type Filter struct {
	// Statuses keeps incidents in any of these statuses.
	Statuses []Status
	// Journey keeps incidents affecting this journey slug.
	Journey string
	// From and To keep incidents whose window [StartedAt, ResolvedAt)
	// overlaps [From, To); an open incident's window has no end.
	From, To time.Time
	// Limit caps the result (DefaultListLimit when 0, at most
	// MaxListLimit).
	Limit int
}

// List limits.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// List returns the incidents matching f, latest start first.
func (s *Store) List(ctx context.Context, f Filter) ([]Incident, error) {
	for i, st := range f.Statuses {
		if !st.Valid() {
			return nil, invalid(fmt.Sprintf("statuses[%d]", i), statusMessage)
		}
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultListLimit
	case limit > MaxListLimit:
		limit = MaxListLimit
	}
	// At most four distinct statuses reach the query, however many the
	// filter repeats.
	statuses := make([]string, 0, len(Statuses()))
	for _, st := range f.Statuses {
		if !slices.Contains(statuses, string(st)) {
			statuses = append(statuses, string(st))
		}
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+incidentColumns+`
		FROM incidents
		WHERE (cardinality($1::text[]) = 0 OR status = ANY ($1))
			AND ($2 = '' OR journeys @> ARRAY[$2])
			AND ($3::timestamptz IS NULL OR resolved_at IS NULL OR resolved_at > $3)
			AND ($4::timestamptz IS NULL OR started_at < $4)
		ORDER BY started_at DESC, id DESC
		LIMIT $5`, statuses, f.Journey, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// Update replaces the incident in.ID with in, normalised, and records a
// status change when the status moved. in.Version must be the version read:
// a stale one returns an error wrapping ErrConflict. A transition
// CheckTransition refuses, an invalid incident, or a newly named journey or
// step that does not exist is a *journeys.ValidationError, returned
// unwrapped. Reopening clears ResolvedAt.
func (s *Store) Update(ctx context.Context, in Incident, actor string) (Incident, error) {
	now := s.now()
	var out Incident
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := getIncident(ctx, tx, in.ID, true)
		if err != nil {
			return err
		}
		if in.Version != cur.Version {
			return fmt.Errorf("incident %d changed since version %d (now %d): %w", in.ID, in.Version, cur.Version, ErrConflict)
		}
		if err := CheckTransition(cur.Status, in.Status); err != nil {
			return err
		}
		if cur.Status == StatusResolved && in.Status != StatusResolved {
			in.ResolvedAt = time.Time{}
		}
		in.Normalize(now)
		if err := in.Validate(); err != nil {
			return err
		}
		if err := s.checkRefs(ctx, in, cur); err != nil {
			return err
		}
		steps, slugs, resolved := stored(in)
		rows, err := tx.Query(ctx, `
			UPDATE incidents
			SET title = $2, severity = $3, status = $4, started_at = $5, detected_at = $6, resolved_at = $7,
				journeys = $8, steps = $9, owner = $10, summary = $11, version = version + 1,
				updated_at = $12, updated_by = $13
			WHERE id = $1
			RETURNING `+incidentColumns,
			in.ID, in.Title, in.Severity, in.Status, in.StartedAt, in.DetectedAt, resolved,
			slugs, steps, in.Owner, in.Summary, now, actor)
		if err != nil {
			return fmt.Errorf("update incident: %w", err)
		}
		if out, err = pgx.CollectExactlyOneRow(rows, scanIncident); err != nil {
			return fmt.Errorf("update incident: %w", err)
		}
		if cur.Status != out.Status {
			return addStatusChange(ctx, tx, out.ID, cur.Status, out.Status, now, actor)
		}
		return nil
	})
	if err != nil {
		return Incident{}, passThrough(err, "update incident")
	}
	return out, nil
}

// SetStatus moves an incident to status, keeping everything else: the
// one-click buttons of an incident page. A transition CheckTransition
// refuses is a *journeys.ValidationError.
func (s *Store) SetStatus(ctx context.Context, id int64, status Status, actor string) (Incident, error) {
	cur, err := s.Get(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	cur.Status = status
	return s.Update(ctx, cur, actor)
}

// StatusChanges returns every status the incident took, oldest first.
func (s *Store) StatusChanges(ctx context.Context, id int64) ([]StatusChange, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT COALESCE(from_status, ''), to_status, changed_at, changed_by
		FROM incident_status_changes
		WHERE incident_id = $1
		ORDER BY changed_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("read status changes of incident %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (StatusChange, error) {
		var c StatusChange
		err := row.Scan(&c.From, &c.To, &c.At, &c.By)
		c.At = c.At.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read status changes of incident %d: %w", id, err)
	}
	return out, nil
}

// checkRefs reports journeys and steps of in that do not exist, leaving
// out those prev already named: a journey deleted after the incident was
// opened must not block resolving it.
func (s *Store) checkRefs(ctx context.Context, in, prev Incident) error {
	if s.cfg.Journeys == nil {
		return nil
	}
	v := &journeys.ValidationError{}
	defs := map[string]*journeys.Journey{}
	get := func(slug string) (*journeys.Journey, error) {
		if j, ok := defs[slug]; ok {
			return j, nil
		}
		rec, err := s.cfg.Journeys.GetJourney(ctx, slug)
		switch {
		case errors.Is(err, journeystore.ErrNotFound):
			defs[slug] = nil
			return nil, nil
		case err != nil:
			return nil, err
		}
		defs[slug] = &rec.Journey
		return &rec.Journey, nil
	}
	for i, slug := range in.Journeys {
		if slices.Contains(prev.Journeys, slug) {
			continue
		}
		j, err := get(slug)
		if err != nil {
			return fmt.Errorf("check journeys: %w", err)
		}
		if j == nil {
			v.Add(fmt.Sprintf("journeys[%d]", i), fmt.Sprintf("no journey %q", slug))
		}
	}
	for i, ref := range in.Steps {
		if slices.Contains(prev.Steps, ref) {
			continue
		}
		j, err := get(ref.Journey)
		if err != nil {
			return fmt.Errorf("check steps: %w", err)
		}
		switch {
		case j == nil:
			v.Add(fmt.Sprintf("steps[%d].journey", i), fmt.Sprintf("no journey %q", ref.Journey))
		case j.StepIndex(ref.Step) < 0:
			v.Add(fmt.Sprintf("steps[%d].step", i), fmt.Sprintf("journey %q has no step %q", ref.Journey, ref.Step))
		}
	}
	return orNil(v)
}

// journey returns the live definition of slug, or nil when it no longer
// exists or no journeys store is configured.
func (s *Store) journey(ctx context.Context, slug string) (*journeys.Journey, error) {
	if s.cfg.Journeys == nil {
		return nil, nil
	}
	rec, err := s.cfg.Journeys.GetJourney(ctx, slug)
	if errors.Is(err, journeystore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journey %q: %w", slug, err)
	}
	return &rec.Journey, nil
}

// passThrough wraps err with op unless it is a validation error, which
// callers render field by field and so get unwrapped, or already names
// ErrNotFound or ErrConflict with its subject.
func passThrough(err error, op string) error {
	var ve *journeys.ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
