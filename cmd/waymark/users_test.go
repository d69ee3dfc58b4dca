package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/pgtest"
)

func TestUsersCreate(t *testing.T) {
	t.Parallel()
	pool, db := pgtest.NewWithURL(t)
	ctx := context.Background()

	r := waymark(t, "users", "create", "-database-url", db, "--admin", "-actor", "ops", " Root@Example.com ")
	require.Equal(t, 0, r.code, r.stderr)
	m := regexp.MustCompile(`^created admin root@example.com \(id (\d+)\)\npassword: ([0-9A-Za-z]{24})\n\(shown once; change it after signing in\)\n$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	require.Empty(t, r.stderr)

	au, err := auth.New(pool, auth.Options{})
	require.NoError(t, err)
	s, err := au.Login(ctx, auth.LoginRequest{Email: "root@example.com", Password: m[2], RemoteAddr: "127.0.0.1:1"})
	require.NoError(t, err, "the printed password signs in")
	require.Equal(t, auth.RoleAdmin, s.User.Role)

	page, err := au.ListAudit(ctx, auth.AuditFilter{Action: "user.create"})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	require.Equal(t, "cli:ops", page.Entries[0].Actor)
	require.Equal(t, auth.ActorSystem, page.Entries[0].ActorKind)

	r = waymark(t, "users", "create", "-database-url", db, "-role", "editor", "pat@example.com")
	require.Equal(t, 0, r.code, r.stderr)
	require.True(t, strings.HasPrefix(r.stdout, "created editor pat@example.com (id "), r.stdout)

	r = waymark(t, "users", "create", "-database-url", db, "PAT@example.com")
	require.Equal(t, 1, r.code)
	require.Empty(t, r.stdout)
	require.Equal(t, "waymark: users create: pat@example.com already has an account\n", r.stderr)

	// The password from standard input, as scripts pass it.
	a, out, errb := testApp()
	err = a.usersCreateFrom(ctx, []string{"-database-url", db, "-password-stdin", "sam@example.com"}, strings.NewReader("a long enough secret\r\nignored\n"))
	require.NoError(t, err, errb.String())
	require.Regexp(t, `^created viewer sam@example.com \(id \d+\)\n$`, out.String())
	_, err = au.Login(ctx, auth.LoginRequest{Email: "sam@example.com", Password: "a long enough secret", RemoteAddr: "127.0.0.1:1"})
	require.NoError(t, err)

	for _, tt := range []struct{ stdin, want string }{
		{"", "users create: -password-stdin: standard input has no password"},
		{"\n", "users create: -password-stdin: standard input has no password"},
		{"short\n", "users create: password: must be at least 12 characters"},
	} {
		a, out, _ := testApp()
		err := a.usersCreateFrom(ctx, []string{"-database-url", db, "-password-stdin", "kim@example.com"}, strings.NewReader(tt.stdin))
		require.EqualError(t, err, tt.want)
		require.Empty(t, out.String())
	}
	requireUsers(t, pool, "pat@example.com", "root@example.com", "sam@example.com")
}

func TestUsersCreateUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		line string
	}{
		{"no email", []string{"users", "create"}, 2, "waymark: users create: missing argument"},
		{"two emails", []string{"users", "create", "a@example.com", "b@example.com"}, 2, `waymark: users create: unexpected argument "b@example.com"`},
		{"bad email", []string{"users", "create", "alice"}, 2, `waymark: users create: email: "alice" is not an address like name@example.com`},
		{"bad role", []string{"users", "create", "-role", "owner", "a@example.com"}, 2, `waymark: users create: -role: "owner" is not one of viewer, editor, admin`},
		{"contradiction", []string{"users", "create", "-admin", "-role", "viewer", "a@example.com"}, 2, "waymark: users create: -admin and -role viewer contradict each other"},
		{"no subcommand", []string{"users"}, 2, "waymark: users: no subcommand given"},
		{"stale schema", []string{"users", "create", "-database-url", emptyDatabase(t), "a@example.com"}, 1,
			`waymark: database schema is not current: run "waymark migrate" (no migrations applied)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := waymark(t, tt.args...)
			require.Equal(t, tt.code, r.code, r.stderr)
			require.Empty(t, r.stdout)
			require.Equal(t, tt.line, firstLine(r.stderr))
		})
	}

	r := waymark(t, "users", "create", "-h")
	require.Equal(t, 0, r.code)
	for _, want := range []string{"Usage: waymark users create [flags] EMAIL", "-admin", "-role string", "-password-stdin", "-database-url string"} {
		require.Contains(t, r.stdout, want)
	}
	r = waymark(t, "-h")
	require.Contains(t, r.stdout, "  users create EMAIL          create an account (the first admin, say) with a one-time password\n")
	require.Contains(t, r.stdout, "  tokens create               create a scoped API token for CI/CD and print it once\n")
}

// testApp is an app writing to buffers, for commands that also read stdin.
func testApp() (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &app{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, &out, &errb
}

func requireUsers(t *testing.T, pool *pgxpool.Pool, want ...string) {
	t.Helper()
	au, err := auth.New(pool, auth.Options{})
	require.NoError(t, err)
	users, err := au.ListUsers(context.Background())
	require.NoError(t, err)
	var got []string
	for _, u := range users {
		got = append(got, u.Email)
	}
	require.Equal(t, want, got)
}
