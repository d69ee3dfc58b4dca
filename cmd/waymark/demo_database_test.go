package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/pgtest"
)

func TestDemoCreatesItsMissingDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u, err := url.Parse(pgtest.AdminURL())
	require.NoError(t, err)
	name := fmt.Sprintf("waymark_demo_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	u.Path = "/" + name
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgtest.AdminURL())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(context.Background())
		}
	})
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	require.NoError(t, ensureDatabase(ctx, u.String(), log))
	require.Contains(t, logs.String(), "created the demo database")
	require.Contains(t, logs.String(), name)
	c, err := pgx.Connect(ctx, u.String())
	require.NoError(t, err)
	require.NoError(t, c.Close(ctx))

	// Once it exists, nothing more happens.
	logs.Reset()
	require.NoError(t, ensureDatabase(ctx, u.String(), log))
	require.Empty(t, logs.String())

	// A server that is down is the first query's to report.
	require.NoError(t, ensureDatabase(ctx, "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=1", log))
	var ce *configError
	require.ErrorAs(t, ensureDatabase(ctx, "postgres://%zz", log), &ce)
}

func TestBoxFramesTheDemoBanner(t *testing.T) {
	t.Parallel()
	require.Equal(t, "┌──────────┐\n│ open  x  │\n│ password │\n└──────────┘\n", box("open  x", "password"))
}
