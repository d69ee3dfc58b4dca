// Package pgrow reads the one row a lookup by id or name returns, with the
// errors every store words alike: `deployment 7: not found` for no row,
// `get deployment 7: …` for any other failure.
package pgrow

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Querier is a pool or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// One runs sql, which selects at most one row of what (such as
// `deployment 7` or `journey "shop"`), and scans it. No row is an error
// wrapping notFound, a sentinel of kind fault.ErrNotFound.
func One[T any](ctx context.Context, q Querier, scan pgx.RowToFunc[T], notFound error, what, sql string, args ...any) (T, error) {
	var zero T
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return zero, fmt.Errorf("get %s: %w", what, err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return zero, fmt.Errorf("%s: %w", what, notFound)
	}
	if err != nil {
		return zero, fmt.Errorf("get %s: %w", what, err)
	}
	return v, nil
}
