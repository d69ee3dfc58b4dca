package pgrow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/pgrow"
	"github.com/waymarkhq/waymark/internal/pgtest"
)

func TestOne(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	scan := pgx.RowTo[int64]

	n, err := pgrow.One(ctx, pool, scan, fault.ErrNotFound, "number 7", `SELECT $1::bigint * 6`, 7)
	require.NoError(t, err)
	require.Equal(t, int64(42), n)

	_, err = pgrow.One(ctx, pool, scan, fault.ErrNotFound, "number 7", `SELECT 1::bigint WHERE false`)
	require.ErrorIs(t, err, fault.ErrNotFound)
	require.EqualError(t, err, "number 7: not found")

	_, err = pgrow.One(ctx, pool, scan, fault.ErrNotFound, "number 7", `SELECT x FROM generate_series(1::bigint, 2) x`)
	require.False(t, errors.Is(err, fault.ErrNotFound))
	require.ErrorContains(t, err, "get number 7: ")

	_, err = pgrow.One(ctx, pool, scan, fault.ErrNotFound, "number 7", `SELECT nonsense`)
	require.ErrorContains(t, err, "get number 7: ")
}
