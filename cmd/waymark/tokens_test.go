package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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
		{"bad scope", []string{"tokens", "create", "-name", "ci", "-scope", "read,admin"}, `waymark: tokens create: -scope: "admin" is not one of read, gate:read, deployments:write, journeys:write, incidents:write`},
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

func TestTokensList(t *testing.T) {
	t.Parallel()
	pool, db := pgtest.NewWithURL(t)
	ctx := context.Background()

	r := waymark(t, "tokens", "list", "-database-url", db)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "ID  NAME  PREFIX  SCOPES  CREATED  CREATED BY  LAST USED  REVOKED\n", r.stdout)

	now := t9
	au := seedAuth(t, pool, &now)
	deploy, dt, err := au.CreateToken(ctx, auth.CLI("ops"), "deploy pipeline", []auth.Scope{auth.ScopeGateRead, auth.ScopeDeploymentsWrite})
	require.NoError(t, err)
	now = now.Add(10 * time.Minute)
	alerts, at, err := au.CreateToken(ctx, auth.CLI("ops"), "alertmanager", []auth.Scope{auth.ScopeIncidentsWrite, auth.ScopeRead})
	require.NoError(t, err)
	now = now.Add(10 * time.Minute)
	_, err = au.Authenticate(ctx, deploy)
	require.NoError(t, err)
	now = now.Add(10 * time.Minute)
	_, ot, err := au.CreateToken(ctx, auth.System, "old ci", []auth.Scope{auth.ScopeRead})
	require.NoError(t, err)
	now = now.Add(10 * time.Minute)
	_, err = au.RevokeToken(ctx, auth.System, ot.ID)
	require.NoError(t, err)

	r = waymark(t, "tokens", "list", "-database-url", db)
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	require.Equal(t, fmt.Sprintf(""+
		"ID  NAME             PREFIX        SCOPES                       CREATED               CREATED BY  LAST USED             REVOKED\n"+
		"3   old ci           %s  read                         2026-03-02T09:30:00Z  system      never                 2026-03-02T09:40:00Z\n"+
		"2   alertmanager     %s  read,incidents:write         2026-03-02T09:10:00Z  cli:ops     never                 -\n"+
		"1   deploy pipeline  %s  gate:read,deployments:write  2026-03-02T09:00:00Z  cli:ops     2026-03-02T09:20:00Z  -\n",
		ot.Prefix, at.Prefix, dt.Prefix), r.stdout)
	for _, secret := range []string{deploy, alerts} {
		require.NotContains(t, r.stdout, secret[len(dt.Prefix):], "never the secret")
	}

	r = waymark(t, "tokens", "list", "extra")
	require.Equal(t, 2, r.code)
	require.Equal(t, `waymark: tokens list: unexpected argument "extra"`, firstLine(r.stderr))
	r = waymark(t, "tokens", "list", "-h")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "Usage: waymark tokens list [flags] \n")
}

func TestTokensRevoke(t *testing.T) {
	t.Parallel()
	pool, db := pgtest.NewWithURL(t)
	ctx := context.Background()
	now := t9
	au := seedAuth(t, pool, &now)
	mk := func(name string) (string, auth.Token) {
		t.Helper()
		secret, tok, err := au.CreateToken(ctx, auth.System, name, []auth.Scope{auth.ScopeRead})
		require.NoError(t, err)
		now = now.Add(time.Minute)
		return secret, tok
	}
	deploySecret, deploy := mk("deploy pipeline") // 1
	_, ci1 := mk("ci")                            // 2
	_, ci2 := mk("ci")                            // 3
	_, seven := mk("7")                           // 4
	_, five := mk("5")                            // 5
	_, _ = mk("rotated")                          // 6
	_, rotated := mk("rotated")                   // 7
	_, err := au.RevokeToken(ctx, auth.System, 6)
	require.NoError(t, err)
	env := map[string]string{"USER": "ana"}
	revoke := func(ref string) result {
		return waymarkWith(t, nil, env, "tokens", "revoke", "-database-url", db, ref)
	}
	revokedAt := func(id int64) string {
		t.Helper()
		ts, err := au.ListTokens(ctx)
		require.NoError(t, err)
		for _, tk := range ts {
			if tk.ID == id {
				return tk.RevokedAt.Format(time.RFC3339)
			}
		}
		t.Fatalf("no token %d", id)
		return ""
	}

	// By name: the token stops working at once.
	r := revoke("deploy pipeline")
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	require.Equal(t, fmt.Sprintf("revoked token 1 \"deploy pipeline\" (%s)\n", deploy.Prefix), r.stdout)
	_, err = au.Authenticate(ctx, deploySecret)
	require.ErrorIs(t, err, auth.ErrUnauthorized)
	// Again: nothing to do, and it says so.
	r = revoke("1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, fmt.Sprintf("token 1 \"deploy pipeline\" was revoked already, at %s; nothing changed\n", revokedAt(1)), r.stdout)

	// A name two working tokens share is not guessed at; each id works.
	r = revoke("ci")
	require.Equal(t, 1, r.code)
	require.Empty(t, r.stdout)
	require.Equal(t, "waymark: tokens revoke: 2 working tokens are named \"ci\" (tokens 2, 3): give the id of the one meant\n", r.stderr)
	r = revoke("3")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, fmt.Sprintf("revoked token 3 \"ci\" (%s)\n", ci2.Prefix), r.stdout)
	// Now one "ci" works: the name means it.
	r = revoke("ci")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, fmt.Sprintf("revoked token 2 \"ci\" (%s)\n", ci1.Prefix), r.stdout)
	// A name shared with a revoked token means the working one.
	r = revoke("rotated")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, fmt.Sprintf("revoked token 7 \"rotated\" (%s)\n", rotated.Prefix), r.stdout)

	// "5" is both token 5's name and its id: the same token.
	r = revoke("5")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, fmt.Sprintf("revoked token 5 \"5\" (%s)\n", five.Prefix), r.stdout)
	// "4" is token 4's id; "7" is the name of token 4 and the id of token 7.
	r = revoke("7")
	require.Equal(t, 1, r.code)
	require.Equal(t, "waymark: tokens revoke: \"7\" is the id of token 7 \"rotated\" and the name of token 4: give the id of the one meant\n", r.stderr)
	r = revoke("4")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, fmt.Sprintf("revoked token 4 \"7\" (%s)\n", seven.Prefix), r.stdout)

	for _, tt := range []struct {
		args []string
		code int
		line string
	}{
		{[]string{"-database-url", db, "nope"}, 1, `waymark: tokens revoke: no token has the id or name "nope" (see "waymark tokens list")`},
		{[]string{"-database-url", db, "99"}, 1, `waymark: tokens revoke: no token has the id or name "99" (see "waymark tokens list")`},
		{[]string{"-database-url", db, " "}, 2, "waymark: tokens revoke: give a token's id or name"},
		{[]string{"-database-url", db}, 2, "waymark: tokens revoke: missing argument"},
		{[]string{"-database-url", db, "ci", "deploy"}, 2, `waymark: tokens revoke: unexpected argument "deploy"`},
	} {
		r := waymarkWith(t, nil, env, append([]string{"tokens", "revoke"}, tt.args...)...)
		require.Equal(t, tt.code, r.code, tt.args)
		require.Empty(t, r.stdout, tt.args)
		require.Equal(t, tt.line, firstLine(r.stderr), tt.args)
		if tt.code == 2 {
			require.Contains(t, r.stderr, "Usage: waymark tokens revoke [flags] ID|NAME\n")
		}
	}

	// Each revocation is in the audit log, by the operator; the ones that
	// changed nothing are not.
	page, err := au.ListAudit(ctx, auth.AuditFilter{Action: "api_token.revoke", Actor: "cli:ana"})
	require.NoError(t, err)
	var ids []string
	for _, e := range page.Entries {
		require.Equal(t, auth.ActorSystem, e.ActorKind)
		require.JSONEq(t, `{"revoked": false}`, pick(t, e.Before, "revoked"))
		require.JSONEq(t, `{"revoked": true}`, pick(t, e.After, "revoked"))
		ids = append(ids, e.ObjectID)
	}
	require.Equal(t, []string{"4", "5", "7", "2", "3", "1"}, ids, "newest first")

	r = waymark(t, "tokens", "revoke", "-h")
	require.Equal(t, 0, r.code)
	for _, want := range []string{"Usage: waymark tokens revoke [flags] ID|NAME", "-actor string"} {
		require.Contains(t, r.stdout, want)
	}
}

// pick is the one key of a JSON object, as an object of its own.
func pick(t *testing.T, doc json.RawMessage, key string) string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(doc, &m))
	return `{"` + key + `": ` + string(m[key]) + `}`
}

// FuzzPickToken checks that a token reference never panics, and that what
// it picks is a token the reference names: by id or by name.
func FuzzPickToken(f *testing.F) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ts := []auth.Token{
		{ID: 5, Name: "7"},
		{ID: 4, Name: "ci"},
		{ID: 3, Name: "ci", RevokedAt: at},
		{ID: 2, Name: "ci"},
		{ID: 1, Name: "deploy pipeline", RevokedAt: at},
	}
	for _, seed := range []string{"", "1", "5", "7", "ci", "deploy pipeline", "-1", "007", "9223372036854775808", "\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		got, err := pickToken(ts, ref)
		if err != nil {
			require.Zero(t, got.ID)
			return
		}
		require.True(t, strconv.FormatInt(got.ID, 10) == ref || got.Name == ref ||
			strings.TrimLeft(ref, "+0") == strconv.FormatInt(got.ID, 10), "%q picked token %d %q", ref, got.ID, got.Name)
	})
}
