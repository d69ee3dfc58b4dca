package spanstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Insert validates and writes spans in one transaction, and returns how
// many were new: a span already stored (same trace id, span id and start) is
// skipped, so retrying a write never duplicates. Spans that can never be
// stored fail the whole call with an error wrapping ErrInvalid.
//
// The receiver batches HTTP requests through the same path; Insert is for
// callers that already hold spans, such as the demo traffic generator.
func (s *Store) Insert(ctx context.Context, rss []*tracepb.ResourceSpans) (int64, error) {
	rows, err := rowsFromResourceSpans(rss)
	if err != nil {
		return 0, err
	}
	return s.insertRows(ctx, [][]spanRow{rows})
}

var spanColumns = []string{
	"start_ns", "duration_ns", "kind", "status_code", "trace_id", "span_id", "parent_span_id",
	"service", "name", "status_message", "attributes", "resource", "scope_name", "scope_version",
	"events", "links", "trace_state",
}

const (
	createStaging = `CREATE TEMP TABLE IF NOT EXISTS spans_in (LIKE spans INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`
)

// mergeStaging names the columns so that a staging table left in a session
// from before a schema change fails loudly rather than shifting columns.
var mergeStaging = "INSERT INTO spans (" + strings.Join(spanColumns, ", ") + ") SELECT " +
	strings.Join(spanColumns, ", ") + " FROM spans_in ON CONFLICT DO NOTHING"

// insertRows writes the rows of several requests in one transaction. COPY
// cannot skip duplicates, so rows are copied into a per-session staging table
// and moved with INSERT ... ON CONFLICT DO NOTHING, which also drops
// duplicates within the batch.
func (s *Store) insertRows(ctx context.Context, batches [][]spanRow) (int64, error) {
	total := 0
	for _, b := range batches {
		total += len(b)
	}
	if total == 0 {
		return 0, nil
	}
	if err := s.ensurePartitions(ctx, batches); err != nil {
		return 0, err
	}
	n, err := s.copyRows(ctx, batches, total)
	if isNoPartition(err) {
		// Retention dropped a day this process still believed in.
		s.forgetDays()
		if err := s.ensurePartitions(ctx, batches); err != nil {
			return 0, err
		}
		n, err = s.copyRows(ctx, batches, total)
	}
	return n, err
}

func (s *Store) copyRows(ctx context.Context, batches [][]spanRow, total int) (int64, error) {
	var inserted int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, createStaging); err != nil {
			return fmt.Errorf("create staging table: %w", err)
		}
		copied, err := tx.CopyFrom(ctx, pgx.Identifier{"spans_in"}, spanColumns, &rowSource{batches: batches})
		if err != nil {
			return fmt.Errorf("copy spans: %w", err)
		}
		if copied != int64(total) {
			return fmt.Errorf("copy spans: copied %d of %d", copied, total)
		}
		tag, err := tx.Exec(ctx, mergeStaging)
		if err != nil {
			return fmt.Errorf("merge spans: %w", err)
		}
		inserted = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("write spans: %w", err)
	}
	return inserted, nil
}

// isNoPartition reports Postgres refusing a row no partition accepts.
func isNoPartition(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && pe.TableName == "spans"
}

// isDataError reports a write that Postgres refused because of the rows
// themselves (bad data, a value too large), not because of the database:
// retrying the same rows will fail again.
func isDataError(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code[:2] {
	case "22", "54": // data exception, program limit exceeded
		return true
	}
	return false
}

// rowSource feeds rows to CopyFrom without building a [][]any.
type rowSource struct {
	batches [][]spanRow
	b, i    int
	cur     *spanRow
	vals    [17]any
}

func (r *rowSource) Next() bool {
	for r.b < len(r.batches) {
		if r.i < len(r.batches[r.b]) {
			r.cur = &r.batches[r.b][r.i]
			r.i++
			return true
		}
		r.b++
		r.i = 0
	}
	return false
}

func (r *rowSource) Values() ([]any, error) {
	c := r.cur
	v := r.vals[:]
	v[0], v[1], v[2], v[3] = c.startNS, c.durationNS, c.kind, c.status
	v[4], v[5] = c.traceID, c.spanID
	if c.parentID == nil {
		v[6] = nil
	} else {
		v[6] = c.parentID
	}
	v[7], v[8], v[9] = c.service, c.name, c.statusMsg
	v[10], v[11] = c.attrs, c.resource
	v[12], v[13] = c.scopeName, c.scopeVersion
	v[14], v[15] = nullJSON(c.events), nullJSON(c.links)
	v[16] = c.traceState
	return v, nil
}

func (r *rowSource) Err() error { return nil }

// nullJSON makes a nil slice SQL NULL rather than an empty (invalid) JSON
// document.
func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}
