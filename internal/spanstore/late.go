package spanstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/journeys"
)

// DefaultIngestMargin bounds how long an ingest transaction may run
// between the instant its spans are stamped received (its start) and its
// commit. A read that asks for spans received before now minus this margin
// sees all of them: every span stamped earlier is committed. It must stay
// below the rollups' lag, or every recent span would look late.
const DefaultIngestMargin = 10 * time.Second

// SetIngestMargin changes the ingest margin of Cutoff (tests, and writers
// known to commit faster or slower).
func (s *Store) SetIngestMargin(d time.Duration) { s.margin.Store(int64(d)) }

func (s *Store) ingestMargin() time.Duration {
	if m := s.margin.Load(); m > 0 {
		return time.Duration(m)
	}
	return DefaultIngestMargin
}

// Cutoff is the arrival time before which this store holds spans
// completely: now, by the database's clock, less the ingest margin. Rollups
// read with it, and whatever arrives after it is found by FirstLate.
func (s *Store) Cutoff(ctx context.Context) (time.Time, error) {
	var now time.Time
	if err := s.pool.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
		return time.Time{}, fmt.Errorf("read the database clock: %w", err)
	}
	return now.Add(-s.ingestMargin()).UTC(), nil
}

// FirstLate returns the earliest minute in [q.From, q.To) holding a span of
// one of q's steps (by service and exact name; a regex or attribute matcher
// may make it a false alarm, which only costs a recount) that arrived at or
// after the cutoff of the read that covered its minute, so was not read.
// Only spans received since q.Since are looked at: what arrived before was
// committed, and so seen, when the previous check ran. Arrival order makes that
// a scan of the recent rows alone.
func (s *Store) FirstLate(ctx context.Context, q journeys.LateQuery) (time.Time, bool, journeys.FetchStats, error) {
	cost := journeys.FetchStats{Requests: 1}
	if len(q.Reads) == 0 || len(q.Steps) == 0 {
		return time.Time{}, false, journeys.FetchStats{}, nil
	}
	var services, names []string
	for _, p := range q.Steps {
		services = append(services, p.Service)
		names = append(names, p.Span) // "" matches any name (a regex step)
	}
	var from, to []int64
	var before []time.Time
	for _, r := range q.Reads {
		from, to, before = append(from, toNS(r.From)), append(to, toNS(r.To)), append(before, r.Before)
	}
	since := q.Since
	var first *int64
	err := s.pool.QueryRow(ctx, `
		SELECT min(s.start_ns)
		FROM spans s
		JOIN unnest($1::bigint[], $2::bigint[], $3::timestamptz[]) AS r(f, t, before)
			ON s.start_ns >= r.f AND s.start_ns < r.t AND s.received_at >= r.before
		JOIN unnest($4::text[], $5::text[]) AS p(service, name)
			ON s.service = p.service AND (p.name = '' OR s.name = p.name)
		WHERE s.start_ns >= $6 AND s.start_ns < $7 AND s.received_at >= $8`,
		from, to, before, services, names, toNS(q.From), toNS(q.To), since).Scan(&first)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && first == nil) {
		return time.Time{}, false, cost, nil
	}
	if err != nil {
		return time.Time{}, false, cost, fmt.Errorf("look for late spans: %w", err)
	}
	return time.Unix(0, *first).UTC().Truncate(time.Minute), true, cost, nil
}
