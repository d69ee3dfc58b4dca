package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

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
	r = waymarkWith(t, strings.NewReader("a long enough secret\r\nignored\n"), nil, "users", "create", "-database-url", db, "-password-stdin", "sam@example.com")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `^created viewer sam@example.com \(id \d+\)\n$`, r.stdout)
	require.Empty(t, r.stderr)
	_, err = au.Login(ctx, auth.LoginRequest{Email: "sam@example.com", Password: "a long enough secret", RemoteAddr: "127.0.0.1:1"})
	require.NoError(t, err)

	for _, tt := range []struct{ stdin, want string }{
		{"", "waymark: users create: -password-stdin: standard input has no password\n"},
		{"\n", "waymark: users create: -password-stdin: standard input has no password\n"},
		{"short\n", "waymark: users create: password: must be at least 12 characters\n"},
		{strings.Repeat("x", 600), "waymark: users create: password: must be at most 512 characters\n"},
	} {
		r := waymarkWith(t, strings.NewReader(tt.stdin), nil, "users", "create", "-database-url", db, "-password-stdin", "kim@example.com")
		require.Equal(t, 1, r.code)
		require.Empty(t, r.stdout)
		require.Equal(t, tt.want, r.stderr)
	}
	// Without the flag, standard input is left alone.
	in := &countingReader{r: strings.NewReader("not a password\n")}
	r = waymarkWith(t, in, nil, "users", "create", "-database-url", db, "lee@example.com")
	require.Equal(t, 0, r.code, r.stderr)
	require.Zero(t, in.reads)
	// With no standard input at all, there is no password either.
	r = waymarkWith(t, nil, nil, "users", "create", "-database-url", db, "-password-stdin", "kim@example.com")
	require.Equal(t, 1, r.code)
	require.Equal(t, "waymark: users create: -password-stdin: standard input has no password\n", r.stderr)
	requireUsers(t, pool, "lee@example.com", "pat@example.com", "root@example.com", "sam@example.com")
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
	require.Contains(t, r.stdout, ""+
		"  users create EMAIL          create an account (the first admin, say) with a one-time password\n"+
		"  users list                  list accounts with their role and last sign-in\n"+
		"  users set-role EMAIL ROLE   give an account another role: viewer, editor or admin\n"+
		"  tokens create               create a scoped API token for CI/CD and print it once\n"+
		"  tokens list                 list API tokens with their scopes and last use (never the secret)\n"+
		"  tokens revoke ID|NAME       revoke an API token; the next request with it is refused\n")
}

// waymarkWith runs the binary in-process reading stdin, with env as its
// whole environment.
func waymarkWith(t *testing.T, stdin io.Reader, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: stdin, stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := a.exec(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

// countingReader counts the reads of a standard input.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
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

// seedAuth is an Auth on pool whose clock reads what *now says, hashing
// passwords cheaply, for setting up accounts at known times.
func seedAuth(t *testing.T, pool *pgxpool.Pool, now *time.Time) *auth.Auth {
	t.Helper()
	au, err := auth.New(pool, auth.Options{Now: func() time.Time { return *now }, Password: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	require.NoError(t, err)
	return au
}

var t9 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestUsersList(t *testing.T) {
	t.Parallel()
	pool, db := pgtest.NewWithURL(t)
	ctx := context.Background()

	r := waymark(t, "users", "list", "-database-url", db)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "ID  EMAIL  ROLE  DISABLED  CREATED  LAST SIGN-IN\n", r.stdout, "no accounts yet: the header alone")

	now := t9
	au := seedAuth(t, pool, &now)
	for _, nu := range []auth.NewUser{
		{Email: "root@example.com", Role: auth.RoleAdmin, Password: "correct horse battery"},
		{Email: "pat@example.com", Role: auth.RoleEditor, Password: "correct horse battery"},
		{Email: "viv@example.com", Role: auth.RoleViewer, Password: "correct horse battery"},
		// As the auth proxy creates them: no password.
		{Email: "proxied@example.com", Role: auth.RoleViewer},
	} {
		_, err := au.CreateUser(ctx, auth.System, nu)
		require.NoError(t, err)
		now = now.Add(time.Minute)
	}
	now = time.Date(2026, 3, 3, 14, 30, 5, 0, time.UTC)
	_, err := au.Login(ctx, auth.LoginRequest{Email: "root@example.com", Password: "correct horse battery", RemoteAddr: "127.0.0.1:1"})
	require.NoError(t, err)
	viv, err := au.UserByEmail(ctx, "viv@example.com")
	require.NoError(t, err)
	_, err = au.SetDisabled(ctx, auth.System, viv.ID, true)
	require.NoError(t, err)

	r = waymark(t, "users", "list", "-database-url", db)
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	require.Equal(t, ""+
		"ID  EMAIL                ROLE    DISABLED  CREATED               LAST SIGN-IN\n"+
		"2   pat@example.com      editor  no        2026-03-02T09:01:00Z  never\n"+
		"4   proxied@example.com  viewer  no        2026-03-02T09:03:00Z  unknown\n"+
		"1   root@example.com     admin   no        2026-03-02T09:00:00Z  2026-03-03T14:30:05Z\n"+
		"3   viv@example.com      viewer  yes       2026-03-02T09:02:00Z  never\n", r.stdout)

	for _, tt := range []struct {
		args []string
		code int
		line string
	}{
		{[]string{"users", "list", "extra"}, 2, `waymark: users list: unexpected argument "extra"`},
		{[]string{"users", "list", "-json"}, 2, "waymark: users list: flag provided but not defined: -json"},
		{[]string{"users", "list", "-database-url", emptyDatabase(t)}, 1, `waymark: database schema is not current: run "waymark migrate" (no migrations applied)`},
	} {
		r := waymark(t, tt.args...)
		require.Equal(t, tt.code, r.code, tt.args)
		require.Empty(t, r.stdout)
		require.Equal(t, tt.line, firstLine(r.stderr))
	}
	r = waymark(t, "users", "list", "-h")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "Usage: waymark users list [flags] \n")
	require.Contains(t, r.stdout, "-database-url string")
}

func TestUsersSetRole(t *testing.T) {
	t.Parallel()
	pool, db := pgtest.NewWithURL(t)
	ctx := context.Background()
	now := t9
	au := seedAuth(t, pool, &now)
	root, err := au.CreateUser(ctx, auth.System, auth.NewUser{Email: "root@example.com", Role: auth.RoleAdmin})
	require.NoError(t, err)
	pat, err := au.CreateUser(ctx, auth.System, auth.NewUser{Email: "pat@example.com", Role: auth.RoleViewer})
	require.NoError(t, err)
	env := map[string]string{"USER": "ana"}
	set := func(args ...string) result {
		return waymarkWith(t, nil, env, append([]string{"users", "set-role", "-database-url", db}, args...)...)
	}
	roleEntries := func() []auth.Entry {
		page, err := au.ListAudit(ctx, auth.AuditFilter{Action: "user.role"})
		require.NoError(t, err)
		slices.Reverse(page.Entries)
		return page.Entries
	}
	doc := func(u auth.User, role string) string {
		return fmt.Sprintf(`{"id": %d, "role": %q, "email": %q, "disabled": false, "has_password": false}`, u.ID, role, u.Email)
	}

	r := set(" PAT@example.com ", "Editor")
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	require.Equal(t, "pat@example.com is now editor (was viewer)\n", r.stdout)
	got, err := au.GetUser(ctx, pat.ID)
	require.NoError(t, err)
	require.Equal(t, auth.RoleEditor, got.Role)

	// The same role again changes nothing and records nothing.
	r = set("pat@example.com", "editor")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "pat@example.com is editor already; nothing changed\n", r.stdout)

	// The last admin keeps the role; with a second one, it may go.
	r = set("root@example.com", "viewer")
	require.Equal(t, 1, r.code)
	require.Empty(t, r.stdout)
	require.Equal(t, "waymark: users set-role: root@example.com is the last enabled admin: make another account admin first\n", r.stderr)
	r = set("pat@example.com", "admin")
	require.Equal(t, 0, r.code, r.stderr)
	r = waymarkWith(t, nil, nil, "users", "set-role", "-database-url", db, "root@example.com", "viewer")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "root@example.com is now viewer (was admin)\n", r.stdout)

	// Who changed it is in the audit log, with the account before and
	// after: the operator's login, or just "cli" without one.
	want := []struct {
		who           string
		before, after string
	}{
		{fmt.Sprintf("cli:ana system %d", pat.ID), doc(pat, "viewer"), doc(pat, "editor")},
		{fmt.Sprintf("cli:ana system %d", pat.ID), doc(pat, "editor"), doc(pat, "admin")},
		{fmt.Sprintf("cli system %d", root.ID), doc(root, "admin"), doc(root, "viewer")},
	}
	entries := roleEntries()
	require.Len(t, entries, len(want))
	for i, w := range want {
		e := entries[i]
		require.Equal(t, w.who, fmt.Sprintf("%s %s %s", e.Actor, e.ActorKind, e.ObjectID), i)
		require.JSONEq(t, w.before, string(e.Before), i)
		require.JSONEq(t, w.after, string(e.After), i)
	}

	// Bad input: one line, and nothing changes.
	for _, tt := range []struct {
		args []string
		code int
		line string
	}{
		{[]string{"nobody@example.com", "editor"}, 1, "waymark: users set-role: no account has the email nobody@example.com"},
		{[]string{"pat@example.com", "owner"}, 2, `waymark: users set-role: role "owner" is not one of viewer, editor, admin`},
		{[]string{"pat", "editor"}, 2, `waymark: users set-role: email: "pat" is not an address like name@example.com`},
		{[]string{"pat@example.com"}, 2, "waymark: users set-role: missing argument"},
		{[]string{"pat@example.com", "editor", "now"}, 2, `waymark: users set-role: unexpected argument "now"`},
	} {
		r := set(tt.args...)
		require.Equal(t, tt.code, r.code, tt.args)
		require.Empty(t, r.stdout, tt.args)
		require.Equal(t, tt.line, firstLine(r.stderr), tt.args)
		if tt.code == 2 {
			require.Contains(t, r.stderr, "Usage: waymark users set-role [flags] EMAIL ROLE\n", tt.args)
		}
	}
	require.Len(t, roleEntries(), 3)
	requireRoles(t, au, "pat@example.com admin", "root@example.com viewer")

	r = waymark(t, "users", "set-role", "-h")
	require.Equal(t, 0, r.code)
	for _, want := range []string{"Usage: waymark users set-role [flags] EMAIL ROLE", "-actor string", "-database-url string"} {
		require.Contains(t, r.stdout, want)
	}
}

// requireRoles checks every account's role, as "email role".
func requireRoles(t *testing.T, au *auth.Auth, want ...string) {
	t.Helper()
	users, err := au.ListUsers(context.Background())
	require.NoError(t, err)
	var got []string
	for _, u := range users {
		got = append(got, u.Email+" "+string(u.Role))
	}
	require.Equal(t, want, got)
}
