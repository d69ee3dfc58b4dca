// Package sourcetest gives tests both trace sources holding the same
// spans: the embedded span store in a fresh Postgres database, and the
// Tempo source talking to a fake Tempo (internal/faketempo), so that a
// test asserts the same exact values through both.
package sourcetest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/faketempo"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/journeys"
)

// Source is what both trace sources answer: rollup.TraceSource and the
// counts suggestions read.
type Source interface {
	rollup.TraceSource
	CountValues(ctx context.Context, q journeys.CountQuery) ([]journeys.ValueCount, error)
	CountKeys(ctx context.Context, q journeys.KeyQuery) ([]journeys.KeyCount, error)
}

// Named is one source under test.
type Named struct {
	// Name is "embedded" or "tempo", for subtests.
	Name   string
	Source Source
	// Fake is the fake Tempo behind a Tempo source, nil for the store.
	Fake *faketempo.Server
}

// Sources loads rss into a fresh embedded store and a fake Tempo, and
// returns both sources.
func Sources(tb testing.TB, rss []*tracepb.ResourceSpans) []Named {
	tb.Helper()
	store := Store(tb, rss)
	fake := faketempo.New(tb, rss)
	return []Named{
		{Name: "embedded", Source: store},
		{Name: "tempo", Source: TempoSource(tb, fake.URL), Fake: fake},
	}
}

// Store loads rss into a fresh embedded store.
func Store(tb testing.TB, rss []*tracepb.ResourceSpans) *spanstore.Store {
	tb.Helper()
	store := spanstore.NewStore(pgtest.New(tb), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const batch = 5000
	for i := 0; i < len(rss); i += batch {
		if _, err := store.Insert(ctx, rss[i:min(i+batch, len(rss))]); err != nil {
			tb.Fatalf("sourcetest: store spans: %v", err)
		}
	}
	return store
}

// TempoSource is a Tempo source on the Tempo at url, failing fast: no
// retries, short backoff.
func TempoSource(tb testing.TB, url string) *tempo.Source {
	tb.Helper()
	c, err := tempo.New(tempo.Options{BaseURL: url, MaxRetries: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatalf("sourcetest: tempo client: %v", err)
	}
	return tempo.NewSource(c, tempo.SourceOptions{Logger: slog.New(slog.DiscardHandler)})
}
