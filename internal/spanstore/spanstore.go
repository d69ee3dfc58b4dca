// Package spanstore is Waymark's embedded trace store: an OTLP/HTTP receiver
// that writes spans to Postgres, and a Store that answers the same questions
// as Tempo (rollup.TraceSource) by SQL, so that Waymark runs on one machine.
//
// Spans live in the spans table, range-partitioned by UTC day of span start.
// Partitions are created on demand by writers and dropped whole by DropBefore.
package spanstore

import (
	"errors"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrInvalid marks spans or requests that can never be stored, e.g. a span
// with a malformed id. The receiver answers them with 400.
var ErrInvalid = errors.New("invalid spans")

// Store reads and writes the embedded span store. It is safe for concurrent
// use.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	// days caches the partitions known to exist (UTC day number since the
	// epoch), so that a writer checks the catalog once per day, not per batch.
	mu   sync.Mutex
	days map[int64]bool
}

// NewStore returns a Store on pool, whose database must be migrated. A nil
// log discards.
func NewStore(pool *pgxpool.Pool, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, log: log, days: map[int64]bool{}}
}
