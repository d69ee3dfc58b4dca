package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// JobCount is how many jobs of one kind are in one state.
type JobCount struct {
	Kind  string
	State string
	Count int64
}

// Counts returns the number of jobs per kind and state, for /metrics. It
// reads River's table directly: River keeps finished jobs for a day, so the
// table stays small.
func Counts(ctx context.Context, pool *pgxpool.Pool) ([]JobCount, error) {
	rows, err := pool.Query(ctx, `SELECT kind, state::text, count(*) FROM river_job GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (JobCount, error) {
		var c JobCount
		err := r.Scan(&c.Kind, &c.State, &c.Count)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return out, nil
}
