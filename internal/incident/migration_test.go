package incident

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/migrations"
)

func TestMigrationRevertsAndReapplies(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	all, err := migrations.All()
	require.NoError(t, err)
	var m migrations.Migration
	for _, x := range all {
		if x.Version == 10 {
			m = x
		}
	}
	require.Equal(t, "incidents", m.Name)
	tables := func() []bool {
		var out []bool
		for _, name := range []string{"incidents", "incident_status_changes", "incident_traces"} {
			var exists bool
			require.NoError(t, pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists))
			out = append(out, exists)
		}
		return out
	}
	require.Equal(t, []bool{true, true, true}, tables())
	_, err = pool.Exec(ctx, m.Down)
	require.NoError(t, err)
	require.Equal(t, []bool{false, false, false}, tables())
	_, err = pool.Exec(ctx, m.Up)
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, true}, tables())

	// The schema keeps the invariants the store relies on.
	_, err = pool.Exec(ctx, `INSERT INTO incidents (title, severity, status, started_at, detected_at, resolved_at, created_at, updated_at)
		VALUES ('x', 'SEV1', 'investigating', now(), now(), now(), now(), now())`)
	require.ErrorContains(t, err, "check constraint")
}
