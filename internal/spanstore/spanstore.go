// Package spanstore is Waymark's embedded trace store: an OTLP/HTTP receiver
// that writes spans to Postgres, and a Store that answers the same questions
// as Tempo (rollup.TraceSource) by SQL, so that Waymark runs on one machine.
//
// Spans live in the spans table, range-partitioned by UTC day of span start.
// Partitions are created on demand by writers and dropped whole by DropBefore.
package spanstore

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/waymarkhq/waymark/internal/fault"
)

// ErrInvalid marks spans or requests that can never be stored, e.g. a span
// with a malformed id. The receiver answers them with 400.
var ErrInvalid = fault.New(fault.ErrInvalid, "invalid spans")

// Store reads and writes the embedded span store. It is safe for concurrent
// use.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	// days caches the partitions known to exist (UTC day number since the
	// epoch), so that a writer checks the catalog once per day, not per batch.
	mu   sync.Mutex
	days map[int64]bool

	// keep is the retention DropBefore last applied, in nanoseconds (0
	// before it ran): receivers refuse spans it would drop.
	keep atomic.Int64
	// margin is the ingest margin of Cutoff, in nanoseconds; 0 means
	// DefaultIngestMargin.
	margin atomic.Int64
	// refused counts the spans receivers refused, by reason.
	refused *prometheus.CounterVec
}

// NewStore returns a Store on pool, whose database must be migrated. A nil
// log discards.
func NewStore(pool *pgxpool.Pool, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "waymark_otlp_spans_refused_total",
		Help: "Spans the OTLP receiver did not store because their start time is outside the accepted window, by reason.",
	}, []string{"reason"})
	// Both series exist from the start, so that a rate over them is 0
	// rather than absent before the first refusal.
	refused.WithLabelValues(ReasonTooOld)
	refused.WithLabelValues(ReasonTooFarAhead)
	return &Store{pool: pool, log: log, days: map[int64]bool{}, refused: refused}
}

// Collector exports the store's counters to Prometheus: the spans its
// receivers refused (waymark_otlp_spans_refused_total, by reason). The
// counters belong to the store, not to one registry, so the same collector
// may be registered wherever metrics are served.
func (s *Store) Collector() prometheus.Collector { return s.refused }

func (s *Store) countRefused(f refusal) {
	if f.tooOld > 0 {
		s.refused.WithLabelValues(ReasonTooOld).Add(float64(f.tooOld))
	}
	if f.ahead > 0 {
		s.refused.WithLabelValues(ReasonTooFarAhead).Add(float64(f.ahead))
	}
}

// retention is the age DropBefore last cut spans at, or 0 before it ran.
func (s *Store) retention() time.Duration { return time.Duration(s.keep.Load()) }

// WithPool returns a Store reading and writing through pool that shares s's
// refusal counters, so that a process can give its readers (pages, jobs)
// connections of their own and still count what its receiver refused.
func (s *Store) WithPool(pool *pgxpool.Pool) *Store {
	o := NewStore(pool, s.log)
	o.refused = s.refused
	o.margin.Store(s.margin.Load())
	return o
}
