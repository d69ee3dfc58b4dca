package jobs_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/jobs"
)

func TestCountsGroupsByKindAndState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	for _, j := range []struct{ kind, state string }{
		{"rollup", "available"}, {"rollup", "available"}, {"rollup", "completed"}, {"slo_evaluate", "retryable"},
	} {
		_, err := pool.Exec(ctx, `INSERT INTO river_job (kind, state, args, max_attempts, queue, priority, scheduled_at, finalized_at)
			VALUES ($1, $2::river_job_state, '{}', 5, 'default', 1, now(), CASE WHEN $2 = 'completed' THEN now() END)`, j.kind, j.state)
		require.NoError(t, err)
	}
	got, err := jobs.Counts(ctx, pool)
	require.NoError(t, err)
	require.Equal(t, []jobs.JobCount{
		{Kind: "rollup", State: "available", Count: 2},
		{Kind: "rollup", State: "completed", Count: 1},
		{Kind: "slo_evaluate", State: "retryable", Count: 1},
	}, got)
}
