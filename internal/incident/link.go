package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/journeys"
)

// LinkedTrace is a trace an incident cites, as listed: what it was, who
// linked it and why. Its snapshot is read with Store.Snapshot.
type LinkedTrace struct {
	IncidentID int64 `json:"incident_id"`
	// TraceID is 32 lowercase hex characters.
	TraceID  string    `json:"trace_id"`
	Note     string    `json:"note,omitempty"`
	LinkedAt time.Time `json:"linked_at"`
	LinkedBy string    `json:"linked_by,omitempty"`
	// Step is the journey step the trace stands for, when given.
	Step StepRef `json:"step,omitzero"`
	// Start is the trace's earliest span start; Duration from there to
	// its last span end.
	Start       time.Time     `json:"start"`
	Duration    time.Duration `json:"duration_ns"`
	Spans       int           `json:"spans"`
	RootService string        `json:"root_service"`
	RootName    string        `json:"root_name"`
	// Error is the first error span's message, "" when nothing failed.
	Error string `json:"error,omitempty"`
	// SnapshotBytes is the snapshot's size as OTLP JSON, before gzip.
	SnapshotBytes int64 `json:"snapshot_bytes"`
}

const linkColumns = `incident_id, trace_id, note, linked_at, linked_by, journey, step, trace_start,
	duration_ns, span_count, root_service, root_name, error_message, snapshot_bytes`

func scanLink(row pgx.CollectableRow) (LinkedTrace, error) {
	var l LinkedTrace
	var dur int64
	err := row.Scan(&l.IncidentID, &l.TraceID, &l.Note, &l.LinkedAt, &l.LinkedBy, &l.Step.Journey, &l.Step.Step,
		&l.Start, &dur, &l.Spans, &l.RootService, &l.RootName, &l.Error, &l.SnapshotBytes)
	l.Duration = time.Duration(dur)
	l.LinkedAt, l.Start = l.LinkedAt.UTC(), l.Start.UTC()
	return l, err
}

// LinkTrace links a trace to an incident and stores a snapshot of the
// whole trace, so that it outlives the trace source's retention. traceID
// may lack leading zeros. step, optional, names the journey step the trace
// stands for.
//
// Errors: a malformed trace id, note or step is a *journeys.ValidationError
// (trace_id, note, step); a missing incident wraps ErrNotFound; a trace
// already linked wraps ErrConflict; a trace the source does not hold wraps
// journeys.ErrTraceNotFound; a snapshot over the cap is a
// *SnapshotTooLargeError. Nothing is stored on any error.
func (s *Store) LinkTrace(ctx context.Context, incidentID int64, traceID, note string, step StepRef, actor string) (LinkedTrace, error) {
	req, err := s.prepareLink(ctx, traceID, note, step)
	if err != nil {
		return LinkedTrace{}, err
	}
	if err := s.checkLinkable(ctx, incidentID, req.traceID); err != nil {
		return LinkedTrace{}, err
	}
	if err := s.fetch(ctx, &req); err != nil {
		return LinkedTrace{}, err
	}
	var out LinkedTrace
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := getIncident(ctx, tx, incidentID, true); err != nil {
			return err
		}
		// Checked again under the incident's lock: concurrent links
		// must not pass the limit together.
		if err := checkLinkCount(ctx, tx, incidentID); err != nil {
			return err
		}
		out, err = insertLink(ctx, tx, incidentID, req, actor, s.now())
		return err
	})
	if err != nil {
		return LinkedTrace{}, passThrough(err, "link trace")
	}
	return out, nil
}

// CreateFromTrace opens an incident citing one trace, in one transaction:
// the incident page's "open an incident from this trace". An incident
// without a start starts when the trace does; a step given for the trace is
// added to the incident's affected steps. Errors are those of Create and
// LinkTrace; nothing is stored on any of them.
func (s *Store) CreateFromTrace(ctx context.Context, in Incident, traceID, note string, step StepRef, actor string) (Incident, LinkedTrace, error) {
	req, err := s.prepareLink(ctx, traceID, note, step)
	if err != nil {
		return Incident{}, LinkedTrace{}, err
	}
	if err := s.fetch(ctx, &req); err != nil {
		return Incident{}, LinkedTrace{}, err
	}
	if in.StartedAt.IsZero() {
		in.StartedAt = req.facts.start
	}
	if !step.IsZero() && !containsStep(in.Steps, step) {
		in.Steps = append(in.Steps, step)
	}
	now := s.now()
	in.Normalize(now)
	if err := in.Validate(); err != nil {
		return Incident{}, LinkedTrace{}, err
	}
	if err := s.checkRefs(ctx, in, Incident{}); err != nil {
		return Incident{}, LinkedTrace{}, err
	}
	var out Incident
	var link LinkedTrace
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if out, err = insertIncident(ctx, tx, in, actor, now); err != nil {
			return err
		}
		link, err = insertLink(ctx, tx, out.ID, req, actor, now)
		return err
	})
	if err != nil {
		return Incident{}, LinkedTrace{}, passThrough(err, "create incident from trace")
	}
	return out, link, nil
}

func containsStep(steps []StepRef, r StepRef) bool {
	for _, s := range steps {
		if s == r {
			return true
		}
	}
	return false
}

// linkRequest is a checked link with its fetched trace.
type linkRequest struct {
	traceID string
	note    string
	step    StepRef
	facts   traceFacts
	snap    snapshot
}

func (s *Store) prepareLink(ctx context.Context, traceID, note string, step StepRef) (linkRequest, error) {
	v := &journeys.ValidationError{}
	norm, ok := journeys.NormalizeTraceID(strings.TrimSpace(traceID))
	if !ok {
		v.Add("trace_id", "must be 1 to 32 hex digits")
	}
	note = strings.TrimSpace(note)
	v.CheckText("note", note, MaxNote, false, journeys.Prose)
	if !step.IsZero() {
		switch {
		case !journeys.ValidSlug(step.Journey):
			v.Add("step", "must name a journey by its slug")
		case strings.TrimSpace(step.Step) == "":
			v.Add("step", "must name a step of the journey")
		}
	}
	if err := orNil(v); err != nil {
		return linkRequest{}, err
	}
	if !step.IsZero() {
		j, err := s.journey(ctx, step.Journey)
		if err != nil {
			return linkRequest{}, err
		}
		switch {
		case s.cfg.Journeys == nil:
		case j == nil:
			return linkRequest{}, invalid("step", fmt.Sprintf("no journey %q", step.Journey))
		case j.StepIndex(step.Step) < 0:
			return linkRequest{}, invalid("step", fmt.Sprintf("journey %q has no step %q", step.Journey, step.Step))
		}
	}
	return linkRequest{traceID: norm, note: note, step: step}, nil
}

// checkLinkable fails early, before the trace is fetched, when the link
// cannot be made.
func (s *Store) checkLinkable(ctx context.Context, incidentID int64, traceID string) error {
	if _, err := s.Get(ctx, incidentID); err != nil {
		return err
	}
	var linked bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM incident_traces WHERE incident_id = $1 AND trace_id = $2)`,
		incidentID, traceID).Scan(&linked)
	if err != nil {
		return fmt.Errorf("link trace: %w", err)
	}
	if linked {
		return fmt.Errorf("trace %s is already linked to incident %d: %w", traceID, incidentID, ErrConflict)
	}
	return checkLinkCount(ctx, s.pool, incidentID)
}

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// checkLinkCount refuses a link past MaxLinkedTraces as a validation error
// on trace_id.
func checkLinkCount(ctx context.Context, q rowQuerier, incidentID int64) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM incident_traces WHERE incident_id = $1`, incidentID).Scan(&n); err != nil {
		return fmt.Errorf("count linked traces: %w", err)
	}
	if n >= MaxLinkedTraces {
		return invalid("trace_id", fmt.Sprintf("an incident may cite at most %d traces and this one cites %d: unlink one first", MaxLinkedTraces, n))
	}
	return nil
}

// fetch reads the whole trace from the source and encodes its snapshot.
func (s *Store) fetch(ctx context.Context, req *linkRequest) error {
	if s.cfg.Source == nil {
		return errors.New("link trace: no trace source configured")
	}
	td, err := s.cfg.Source.TraceOTLP(ctx, req.traceID)
	if err != nil {
		return fmt.Errorf("link trace %s: %w", req.traceID, err)
	}
	if countSpans(td) == 0 {
		return fmt.Errorf("link trace %s: %w", req.traceID, journeys.ErrTraceNotFound)
	}
	snap, err := encodeSnapshot(req.traceID, td, s.cfg.SnapshotLimit)
	if err != nil {
		return err
	}
	req.snap = snap
	req.facts = factsOf(domainTrace(req.traceID, td))
	return nil
}

func insertLink(ctx context.Context, tx pgx.Tx, incidentID int64, req linkRequest, actor string, now time.Time) (LinkedTrace, error) {
	f := req.facts
	rows, err := tx.Query(ctx, `
		INSERT INTO incident_traces (incident_id, trace_id, note, linked_at, linked_by, journey, step, trace_start,
			duration_ns, span_count, root_service, root_name, error_message, snapshot, snapshot_bytes)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT DO NOTHING
		RETURNING `+linkColumns,
		incidentID, req.traceID, req.note, now, actor, req.step.Journey, req.step.Step, f.start,
		int64(f.duration), f.spans, f.rootSvc, f.rootName, f.errMsg, req.snap.gz, req.snap.uncompressed)
	if err != nil {
		return LinkedTrace{}, fmt.Errorf("insert linked trace: %w", err)
	}
	l, err := pgx.CollectExactlyOneRow(rows, scanLink)
	if errors.Is(err, pgx.ErrNoRows) {
		// A concurrent link of the same trace won.
		return LinkedTrace{}, fmt.Errorf("trace %s is already linked to incident %d: %w", req.traceID, incidentID, ErrConflict)
	}
	if err != nil {
		return LinkedTrace{}, fmt.Errorf("insert linked trace: %w", err)
	}
	return l, nil
}

// UnlinkTrace removes a linked trace and its snapshot. An unknown link
// wraps ErrNotFound.
func (s *Store) UnlinkTrace(ctx context.Context, incidentID int64, traceID string) error {
	norm, ok := journeys.NormalizeTraceID(traceID)
	if !ok {
		return fmt.Errorf("trace %q of incident %d: %w", traceID, incidentID, ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM incident_traces WHERE incident_id = $1 AND trace_id = $2`, incidentID, norm)
	if err != nil {
		return fmt.Errorf("unlink trace %s: %w", norm, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("trace %s of incident %d: %w", norm, incidentID, ErrNotFound)
	}
	return nil
}

// LinkedTraces lists an incident's traces, earliest trace first. A missing
// incident wraps ErrNotFound.
func (s *Store) LinkedTraces(ctx context.Context, incidentID int64) ([]LinkedTrace, error) {
	if _, err := s.Get(ctx, incidentID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+linkColumns+`
		FROM incident_traces
		WHERE incident_id = $1
		ORDER BY trace_start, trace_id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("list linked traces of incident %d: %w", incidentID, err)
	}
	out, err := pgx.CollectRows(rows, scanLink)
	if err != nil {
		return nil, fmt.Errorf("list linked traces of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// SnapshotJSON returns a linked trace's snapshot as OTLP JSON (a
// TracesData), for download and re-import into a trace backend. An unknown
// link wraps ErrNotFound.
func (s *Store) SnapshotJSON(ctx context.Context, incidentID int64, traceID string) ([]byte, error) {
	norm, ok := journeys.NormalizeTraceID(traceID)
	if !ok {
		return nil, fmt.Errorf("trace %q of incident %d: %w", traceID, incidentID, ErrNotFound)
	}
	var gz []byte
	var size int64
	err := s.pool.QueryRow(ctx, `SELECT snapshot, snapshot_bytes FROM incident_traces WHERE incident_id = $1 AND trace_id = $2`,
		incidentID, norm).Scan(&gz, &size)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("trace %s of incident %d: %w", norm, incidentID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot of trace %s: %w", norm, err)
	}
	js, err := decodeSnapshotJSON(gz, size)
	if err != nil {
		return nil, fmt.Errorf("read snapshot of trace %s: %w", norm, err)
	}
	return js, nil
}

// Snapshot returns a linked trace as it was when linked, in the form the
// waterfall renders, whether or not the trace source still holds it. An
// unknown link wraps ErrNotFound.
func (s *Store) Snapshot(ctx context.Context, incidentID int64, traceID string) (journeys.Trace, error) {
	js, err := s.SnapshotJSON(ctx, incidentID, traceID)
	if err != nil {
		return journeys.Trace{}, err
	}
	td, err := decodeSnapshot(js)
	if err != nil {
		return journeys.Trace{}, fmt.Errorf("read snapshot of trace %s: %w", traceID, err)
	}
	norm, _ := journeys.NormalizeTraceID(traceID)
	return domainTrace(norm, td), nil
}

// LiveStatus reports whether the trace source still holds the trace, so
// that a page can say "snapshot only" once it has expired.
func (s *Store) LiveStatus(ctx context.Context, traceID string) (bool, error) {
	if s.cfg.Source == nil {
		return false, errors.New("check live trace: no trace source configured")
	}
	_, err := s.cfg.Source.Trace(ctx, traceID)
	if errors.Is(err, journeys.ErrTraceNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check live trace %s: %w", traceID, err)
	}
	return true, nil
}
