package spanstore

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/migrations"
)

// TestMigrationDownAndUp reverts the spans migration with partitions in
// place, and applies it again.
func TestMigrationDownAndUp(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	store := NewStore(pool, nil)
	_, err := store.Insert(ctx, []*tracepb.ResourceSpans{checkoutTrace(t)})
	require.NoError(t, err)

	all, err := migrations.All()
	require.NoError(t, err)
	var m migrations.Migration
	for _, x := range all {
		if x.Version == 2 {
			m = x
		}
	}
	require.Equal(t, "spans", m.Name)

	_, err = pool.Exec(ctx, m.Down)
	require.NoError(t, err)
	var left int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname LIKE 'spans%' AND relpersistence <> 't'`).Scan(&left))
	require.Equal(t, 0, left)

	_, err = pool.Exec(ctx, m.Up)
	require.NoError(t, err)
	// Later migrations that add to the table come back with it.
	for _, x := range all {
		if x.Version > m.Version && strings.Contains(x.Up, "ALTER TABLE spans") {
			_, err = pool.Exec(ctx, x.Up)
			require.NoError(t, err, x.Name)
		}
	}
	store = NewStore(pool, nil)
	n, err := store.Insert(ctx, []*tracepb.ResourceSpans{resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "s")},
		spec{trace: "0af7651916cd43dd8448eb211c80319c", span: "b7ad6b7169203331", name: "x", start: at("2024-03-10T12:00:00Z"), dur: 1})})
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
}
