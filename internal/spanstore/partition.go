package spanstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// partitionLockSpace is the first key of the advisory locks that serialise
// the creation of one day's partition across writers and processes.
const partitionLockSpace = 0x7370616e // "span"

// partitionName is the table holding the spans that start on UTC day.
func partitionName(day int64) string {
	return "spans_" + time.Unix(day*(nsPerDay/1e9), 0).UTC().Format("20060102")
}

// dayOf returns the UTC day number of t, rounding towards the past.
func dayOf(ns int64) int64 {
	d := ns / nsPerDay
	if ns%nsPerDay < 0 {
		d--
	}
	return d
}

// ensurePartitions creates the daily partitions the rows need, and the day
// after the newest, so that midnight does not wait on partition creation.
func (s *Store) ensurePartitions(ctx context.Context, batches [][]spanRow) error {
	var need []int64
	s.mu.Lock()
	for _, b := range batches {
		for i := range b {
			d := b[i].day()
			if !s.days[d] && !slices.Contains(need, d) {
				need = append(need, d)
			}
		}
	}
	s.mu.Unlock()
	if len(need) == 0 {
		return nil
	}
	slices.Sort(need)
	if next := need[len(need)-1] + 1; next <= maxInt64/nsPerDay && !s.knownDay(next) {
		need = append(need, next)
	}
	for _, d := range need {
		if err := s.createPartition(ctx, d); err != nil {
			return err
		}
		s.mu.Lock()
		s.days[d] = true
		s.mu.Unlock()
	}
	return nil
}

func (s *Store) knownDay(d int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.days[d]
}

func (s *Store) forgetDays() {
	s.mu.Lock()
	clear(s.days)
	s.mu.Unlock()
}

// createPartition creates one day's partition unless it exists. The table
// is created alone and then attached, because ATTACH PARTITION takes a lock
// on spans that lets reads and inserts go on, where CREATE TABLE ...
// PARTITION OF would block them behind every running query. An advisory lock
// makes concurrent writers (in any process) create a day once.
func (s *Store) createPartition(ctx context.Context, day int64) error {
	name := partitionName(day)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Fail rather than stall writes indefinitely behind a retention
		// detach that waits for a long query.
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(partitionLockSpace), int32(day)); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		ident := pgx.Identifier{name}.Sanitize()
		if _, err := tx.Exec(ctx, `CREATE TABLE `+ident+` (LIKE spans INCLUDING DEFAULTS)`); err != nil {
			return err
		}
		to := "MAXVALUE" // the last day int64 nanoseconds reach, in 2262
		if day < maxInt64/nsPerDay {
			to = strconv.FormatInt((day+1)*nsPerDay, 10)
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(`ALTER TABLE spans ATTACH PARTITION %s FOR VALUES FROM (%d) TO (%s)`, ident, day*nsPerDay, to))
		return err
	})
	if err != nil {
		return fmt.Errorf("create partition %s: %w", name, err)
	}
	s.log.Debug("created span partition", "partition", name)
	return nil
}

// DropBefore drops the daily partitions of days strictly before cutoff's UTC
// day, and returns their names, oldest first. Partitions are detached
// concurrently, so running queries and writes are not blocked; a detach left
// half done by an earlier crash is finished.
//
// The age of cutoff becomes the store's retention: from then on a receiver
// whose Config.MaxSpanAge is zero refuses spans older than it, so that a
// client cannot recreate the partitions just dropped.
func (s *Store) DropBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	if keep := time.Since(cutoff).Round(time.Second); keep > 0 {
		s.keep.Store(int64(keep))
	}
	cut := dayOf(toNS(cutoff))
	// Tables named like partitions but no longer attached are the remains
	// of an interrupted run: drop them too.
	rows, err := s.pool.Query(ctx, `
		SELECT c.relname, i.inhrelid IS NOT NULL, coalesce(i.inhdetachpending, false)
		FROM pg_class c
		LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'spans'::regclass
		WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'spans'::regclass)
		  AND c.relkind = 'r' AND c.relname ~ '^spans_[0-9]{8}$'`)
	if err != nil {
		return nil, fmt.Errorf("list span partitions: %w", err)
	}
	type part struct {
		name              string
		day               int64
		attached, pending bool
	}
	var parts []part
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.name, &p.attached, &p.pending); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list span partitions: %w", err)
		}
		t, err := time.Parse("spans_20060102", p.name)
		if err != nil {
			continue // not one of ours after all
		}
		p.day = dayOf(t.UnixNano())
		if p.day < cut {
			parts = append(parts, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list span partitions: %w", err)
	}
	slices.SortFunc(parts, func(a, b part) int { return int(a.day - b.day) })

	var dropped []string
	for _, p := range parts {
		ident := pgx.Identifier{p.name}.Sanitize()
		s.mu.Lock()
		delete(s.days, p.day)
		s.mu.Unlock()
		switch {
		case p.pending:
			_, err = s.pool.Exec(ctx, `ALTER TABLE spans DETACH PARTITION `+ident+` FINALIZE`)
		case p.attached:
			// CONCURRENTLY cannot run in a transaction block: pool.Exec
			// runs it alone.
			_, err = s.pool.Exec(ctx, `ALTER TABLE spans DETACH PARTITION `+ident+` CONCURRENTLY`)
		}
		if err != nil {
			return dropped, fmt.Errorf("detach partition %s: %w", p.name, err)
		}
		if _, err := s.pool.Exec(ctx, `DROP TABLE `+ident); err != nil {
			return dropped, fmt.Errorf("drop partition %s: %w", p.name, err)
		}
		s.log.Info("dropped span partition", "partition", p.name)
		dropped = append(dropped, p.name)
	}
	return dropped, nil
}

// toNS converts t to Unix nanoseconds, clamping times outside what int64
// nanoseconds can hold (including the zero Time) to its ends.
func toNS(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, minInt64)):
		return minInt64
	case t.After(time.Unix(0, maxInt64)):
		return maxInt64
	}
	return t.UnixNano()
}

const (
	minInt64 = -1 << 63
	maxInt64 = 1<<63 - 1
)
