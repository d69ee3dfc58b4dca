package main

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/pgtest"
)

func TestTokensCreate(t *testing.T) {
	t.Parallel()
	pool, db := pgtest.NewWithURL(t)
	ctx := context.Background()

	r := waymark(t, "tokens", "create", "-database-url", db, "--name", "deploy pipeline",
		"--scope", "deployments:write", "--scope", "gate:read,read", "-actor", "ops")
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	m := regexp.MustCompile(`^created token (\d+) "deploy pipeline" with scopes read, gate:read, deployments:write\n(wmk_[0-9A-Za-z]{43})\n\(shown once: it cannot be retrieved again\)\n$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)

	au, err := auth.New(pool, auth.Options{})
	require.NoError(t, err)
	p, err := au.Authenticate(ctx, m[2])
	require.NoError(t, err, "the printed token works")
	require.Equal(t, "deploy pipeline", p.Name)
	require.Equal(t, []auth.Scope{auth.ScopeRead, auth.ScopeGateRead, auth.ScopeDeploymentsWrite}, p.Scopes)

	ts, err := au.ListTokens(ctx)
	require.NoError(t, err)
	require.Len(t, ts, 1)
	require.Equal(t, "cli:ops", ts[0].CreatedBy)
	var stored int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM api_tokens t WHERE strpos(t::text, $1) > 0`, m[2][12:]).Scan(&stored))
	require.Zero(t, stored, "the token is not stored")
}

func TestTokensCreateUsage(t *testing.T) {
	t.Parallel()
	db := database(t)
	tests := []struct {
		name string
		args []string
		line string
	}{
		{"no name", []string{"tokens", "create", "-scope", "read"}, "waymark: tokens create: -name is required"},
		{"no scope", []string{"tokens", "create", "-name", "ci"}, "waymark: tokens create: give at least one -scope"},
		{"bad scope", []string{"tokens", "create", "-name", "ci", "-scope", "read,admin"}, `waymark: tokens create: -scope: "admin" is not one of read, gate:read, deployments:write, journeys:write`},
		{"argument", []string{"tokens", "create", "-name", "ci", "-scope", "read", "extra"}, `waymark: tokens create: unexpected argument "extra"`},
		{"name with a tab", []string{"tokens", "create", "-database-url", db, "-name", "a\tb", "-scope", "read"}, "waymark: tokens create: name: must not contain control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := waymark(t, tt.args...)
			require.Equal(t, 2, r.code, r.stderr)
			require.Empty(t, r.stdout)
			require.Equal(t, tt.line, firstLine(r.stderr))
			require.Contains(t, r.stderr, "Usage: waymark tokens create [flags]")
		})
	}
}
