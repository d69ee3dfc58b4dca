package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/journeys/examples"
	"github.com/waymarkhq/waymark/migrations"
)

// result is what one in-process run of the binary produced.
type result struct {
	code           int
	stdout, stderr string
}

func waymark(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// firstLine is the one line a failure prints.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		code  int
		line  string // first line of stderr
		usage string // what the usage text that follows starts with
	}{
		{"no command", nil, 2, "waymark: no command given", "Waymark: business-journey observability."},
		{"unknown command", []string{"frob"}, 2, `waymark: unknown command "frob"`, "Waymark: business-journey observability."},
		{"journeys alone", []string{"journeys"}, 2, "waymark: journeys: no subcommand given", "Waymark:"},
		{"unknown subcommand", []string{"journeys", "frob"}, 2, `waymark: journeys: unknown subcommand "frob"`, "Waymark:"},
		{"unknown flag", []string{"serve", "-frob"}, 2, "waymark: serve: flag provided but not defined: -frob", "Usage: waymark serve [flags]"},
		{"unknown flag after argument", []string{"journeys", "apply", "x.yaml", "-frob"}, 2, "waymark: journeys apply: flag provided but not defined: -frob", "Usage: waymark journeys apply [flags] FILE|DIR..."},
		{"server flag on base command", []string{"migrate", "-listen", ":1"}, 2, "waymark: migrate: flag provided but not defined: -listen", "Usage: waymark migrate"},
		{"apply without files", []string{"journeys", "apply"}, 2, "waymark: journeys apply: missing argument", "Usage: waymark journeys apply"},
		{"export two slugs", []string{"journeys", "export", "a", "b"}, 2, `waymark: journeys export: unexpected argument "b"`, "Usage: waymark journeys export [flags] [SLUG]"},
		{"serve argument", []string{"serve", "now"}, 2, `waymark: serve: unexpected argument "now"`, "Usage: waymark serve"},
		{"negative down", []string{"migrate", "-down", "-1"}, 2, "waymark: migrate: -down must be a positive number, not -1", "Usage: waymark migrate"},
		{"bad number", []string{"migrate", "-down", "x"}, 2, `waymark: migrate: invalid value "x" for flag -down: parse error`, "Usage: waymark migrate"},
		{"bad setting", []string{"serve", "-listen", "abc"}, 2, `waymark: WAYMARK_LISTEN: "abc" is not host:port`, ""},
		{"tempo without url", []string{"serve", "-trace-source", "tempo"}, 2, `waymark: WAYMARK_TEMPO_URL: required when WAYMARK_TRACE_SOURCE is tempo`, ""},
		{"bad database url", []string{"journeys", "list", "-database-url", "postgres://h:port/x"}, 2, `waymark: WAYMARK_DATABASE_URL: is not a valid Postgres URL or key=value DSN`, ""},
		{"missing file", []string{"journeys", "apply", "-database-url", "postgres://127.0.0.1:1/x", "no/such.yaml"}, 1, "waymark: read no/such.yaml: no such file or directory", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := waymark(t, tt.args...)
			require.Equal(t, tt.code, r.code)
			require.Empty(t, r.stdout)
			require.Equal(t, tt.line, firstLine(r.stderr))
			rest := strings.TrimPrefix(r.stderr, tt.line+"\n")
			if tt.usage == "" {
				require.Empty(t, rest, "a configuration error is one line")
			} else {
				require.True(t, strings.HasPrefix(rest, tt.usage), "usage follows the error:\n%s", rest)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"-h"}, []string{"Usage:\n  waymark <command>", "  journeys apply FILE|DIR...  create or update journeys from YAML files\n"}},
		{[]string{"help"}, []string{"  serve  "}},
		{[]string{"serve", "-h"}, []string{"Usage: waymark serve [flags] \n", "-listen string", "(env WAYMARK_TEMPO_URL)", "(default \"127.0.0.1:8080\")"}},
		{[]string{"migrate", "--help"}, []string{"Usage: waymark migrate", "-down N", "-database-url string"}},
		{[]string{"journeys", "apply", "-h"}, []string{"Usage: waymark journeys apply [flags] FILE|DIR...", "-actor string"}},
		{[]string{"journeys", "export", "-h"}, []string{"Usage: waymark journeys export [flags] [SLUG]"}},
		{[]string{"journeys", "list", "-h"}, []string{"Usage: waymark journeys list"}},
		{[]string{"version", "-h"}, []string{"Usage: waymark version"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := waymark(t, tt.args...)
			require.Equal(t, 0, r.code)
			require.Empty(t, r.stderr)
			for _, w := range tt.want {
				require.Contains(t, r.stdout, w)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := waymark(t, "version")
	require.Equal(t, 0, r.code)
	require.True(t, strings.HasPrefix(r.stdout, "waymark dev ("), r.stdout)

	tests := []struct {
		v    string
		info *debug.BuildInfo
		want string
	}{
		{"", nil, "waymark dev"},
		{"v1.2.3", nil, "waymark v1.2.3"},
		{"", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "waymark dev (go1.26.8)"},
		{"", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.4.0"}}, "waymark v0.4.0 (go1.26.8)"},
		{"v1.0.0", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.4.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"},
		}}, "waymark v1.0.0 (rev 0123456789ab, dirty, go1.26.8)"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, versionLine(tt.v, tt.info))
	}
}

// database returns the URL of a fresh migrated database.
func database(t *testing.T) string {
	t.Helper()
	_, url := pgtest.NewWithURL(t)
	return url
}

// emptyDatabase returns the URL of a database with no schema at all.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.AdminURL())
	require.NoError(t, err)
	defer admin.Close(ctx)
	name := fmt.Sprintf("waymark_cmd_%d_%d", os.Getpid(), time.Now().UnixNano())
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgtest.AdminURL())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	cfg, err := pgx.ParseConfig(pgtest.AdminURL())
	require.NoError(t, err)
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func example(t *testing.T, name string) string {
	t.Helper()
	b, err := examples.FS.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

func TestApplyExportRoundTrip(t *testing.T) {
	t.Parallel()
	db := database(t)
	dir := t.TempDir()
	login := example(t, "login-flow.yaml")
	checkout := example(t, "shop-checkout.yaml")
	writeFile(t, dir, "login-flow.yaml", login)
	writeFile(t, dir, "shop-checkout.yml", checkout)
	writeFile(t, dir, "README.md", "not a journey")

	r := waymark(t, "journeys", "apply", "-database-url", db, "-actor", "ci", dir)
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `^created login-flow \(version 1\); backfill queued over `+backfillRange+`\n`+
		`created shop-checkout \(version 1\); backfill queued over `+backfillRange+`\n$`, r.stdout)

	r = waymark(t, "journeys", "export", "-database-url", db, "shop-checkout")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, checkout, r.stdout, "export gives back the applied file byte for byte")

	r = waymark(t, "journeys", "export", "-database-url", db)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, login+"---\n"+checkout, r.stdout)

	// The export of everything applies back unchanged.
	all := writeFile(t, t.TempDir(), "all.yaml", r.stdout)
	r = waymark(t, "journeys", "apply", all, "-database-url", db)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "unchanged login-flow (version 1)\nunchanged shop-checkout (version 1)\n", r.stdout)

	// An edit bumps only the edited journey.
	edited := strings.Replace(login, "name: Login flow", "name: Sign-in flow", 1)
	require.NotEqual(t, login, edited)
	f := writeFile(t, t.TempDir(), "login.yaml", edited)
	r = waymark(t, "journeys", "apply", "-database-url", db, "-actor", "alice", f)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "updated login-flow (version 2); same steps, correlation, segments and thresholds: history kept\n", r.stdout)
	r = waymark(t, "journeys", "export", "-database-url", db, "login-flow")
	require.Equal(t, edited, r.stdout)

	r = waymark(t, "journeys", "list", "-database-url", db)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3)
	require.Regexp(t, `^SLUG +VERSION +STEPS +UPDATED +BY +NAME$`, lines[0])
	require.Regexp(t, `^login-flow +2 +3 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +cli:alice +Sign-in flow$`, lines[1])
	require.Regexp(t, `^shop-checkout +1 +\d+ +\S+ +cli:ci +`, lines[2])

	r = waymark(t, "journeys", "export", "-database-url", db, "nope")
	require.Equal(t, 1, r.code)
	require.Equal(t, "waymark: journey \"nope\": not found\n", r.stderr)
}

// backfillRange matches the day of history a change queues, minute
// aligned.
const backfillRange = `\d{4}-\d\d-\d\d \d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d UTC`

func TestApplyInvalidWritesNothing(t *testing.T) {
	t.Parallel()
	db := database(t)
	login := example(t, "login-flow.yaml")
	noService := strings.Replace(login, "        service: auth_svc\n        span: SELECT users\n", "        span: SELECT users\n", 1)
	require.NotEqual(t, login, noService)
	other := strings.Replace(login, "slug: login-flow", "slug: other-flow", 1)

	tests := []struct {
		name  string
		files map[string]string
		want  string // stderr, with DIR for the directory
	}{
		{
			name:  "missing field",
			files: map[string]string{"a.yaml": other, "b.yaml": noService},
			want:  "waymark: DIR/b.yaml: steps[1].match.service: required",
		},
		{
			name:  "second document",
			files: map[string]string{"a.yaml": other + "---\n" + noService},
			want:  "waymark: DIR/a.yaml (document 2): steps[1].match.service: required",
		},
		{
			name:  "syntax",
			files: map[string]string{"a.yaml": other, "b.yaml": "apiVersion: [\n"},
			want:  "waymark: DIR/b.yaml: document: ",
		},
		{
			name:  "unknown field",
			files: map[string]string{"a.yaml": strings.Replace(other, "  owner:", "  colour: red\n  owner:", 1)},
			want:  "waymark: DIR/a.yaml: metadata.colour: ",
		},
		{
			name:  "slug in two files",
			files: map[string]string{"a.yaml": other, "b.yaml": other},
			want:  `waymark: DIR/b.yaml: metadata.slug: "other-flow" is also defined in DIR/a.yaml`,
		},
		{
			name:  "empty file",
			files: map[string]string{"a.yaml": other, "b.yaml": ""},
			want:  "waymark: DIR/b.yaml: document: no journey found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				writeFile(t, dir, name, content)
			}
			r := waymark(t, "journeys", "apply", "-database-url", db, dir)
			require.Equal(t, 1, r.code)
			require.Empty(t, r.stdout)
			want := strings.ReplaceAll(tt.want, "DIR", dir)
			require.True(t, strings.HasPrefix(r.stderr, want), "got %q, want prefix %q", r.stderr, want)
			require.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)

			r = waymark(t, "journeys", "export", "-database-url", db)
			require.Equal(t, 0, r.code, r.stderr)
			require.Empty(t, r.stdout, "nothing was written")
		})
	}
}

func TestServeRefusesStaleSchema(t *testing.T) {
	t.Parallel()
	empty := emptyDatabase(t)
	r := waymark(t, "serve", "-database-url", empty, "-listen", "127.0.0.1:0", "-otlp-listen", "127.0.0.1:0")
	require.Equal(t, 1, r.code)
	require.Equal(t, "waymark: database schema is not current: run \"waymark migrate\" (no migrations applied)\n", r.stderr)

	pool, behind := pgtest.NewWithURL(t)
	_, err := migrations.Down(context.Background(), pool, 1)
	require.NoError(t, err)
	r = waymark(t, "serve", "-database-url", behind, "-listen", "127.0.0.1:0", "-otlp-listen", "127.0.0.1:0")
	require.Equal(t, 1, r.code)
	all, err := migrations.All()
	require.NoError(t, err)
	last := all[len(all)-1]
	require.Equal(t, fmt.Sprintf("waymark: database schema is not current: run \"waymark migrate\" (missing %04d_%s)\n", last.Version, last.Name), r.stderr)

	r = waymark(t, "journeys", "list", "-database-url", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	require.Equal(t, 1, r.code)
	require.True(t, strings.HasPrefix(r.stderr, "waymark: list journeys: "), r.stderr)
	require.Equal(t, 1, strings.Count(r.stderr, "\n"))
}

func TestMigrateThenServe(t *testing.T) {
	t.Parallel()
	db := emptyDatabase(t)
	r := waymark(t, "migrate", "-database-url", db, "-log-level", "error")
	require.Equal(t, 0, r.code, r.stderr)
	want := ""
	all, err := migrations.All()
	require.NoError(t, err)
	for _, m := range all {
		want += fmt.Sprintf("applied migration %04d\n", m.Version)
	}
	want += fmt.Sprintf("database schema is current (version %04d)\n", migrations.Latest())
	require.Equal(t, want, r.stdout)

	r = waymark(t, "migrate", "-database-url", db, "-log-level", "error")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, fmt.Sprintf("database schema is current (version %04d)\n", migrations.Latest()), r.stdout)

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		// Every port the test's own: nothing here may meet a Tempo or a
		// collector listening on the defaults.
		done <- run(ctx, []string{"serve", "-database-url", db, "-listen", addr, "-otlp-listen", freeAddr(t), "-log-format", "json"}, &out, &errb)
	}()

	var resp *http.Response
	require.Eventually(t, func() bool {
		resp, err = http.Get("http://" + addr + "/healthz")
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "serve did not come up")
	if resp == nil {
		t.Fatalf("serve did not come up; it logged:\n%s", errb.String())
	}
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, resp.Body.Close())

	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, "serve exited with %d; it logged:\n%s", code, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	logs := errb.String()
	require.Contains(t, logs, `"msg":"serving"`)
	require.Contains(t, logs, `"path":"/healthz"`)
	require.Contains(t, logs, `"msg":"stopped"`)
	require.Empty(t, out.String())

	r = waymark(t, "migrate", "-database-url", db, "-down", "1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, fmt.Sprintf("reverted migration %04d\n", migrations.Latest()), r.stdout)
}

func TestServeListenFailure(t *testing.T) {
	t.Parallel()
	db := database(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	r := waymark(t, "serve", "-database-url", db, "-listen", ln.Addr().String(), "-otlp-listen", freeAddr(t), "-log-level", "error")
	require.Equal(t, 1, r.code)
	require.True(t, strings.HasPrefix(r.stderr, "waymark: web: listen: "), r.stderr)
	require.Contains(t, r.stderr, "address already in use")
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// syncBuffer is a buffer a running server writes to while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunServerStopsWhenAServiceFails(t *testing.T) {
	t.Parallel()
	var stopped bool
	var mu sync.Mutex
	waiter := service{name: "waiter", run: func(ctx context.Context) error {
		<-ctx.Done()
		mu.Lock()
		stopped = true
		mu.Unlock()
		return nil
	}}
	failing := service{name: "receiver", run: func(ctx context.Context) error {
		return errors.New("disk full")
	}}
	d := &deps{cfg: config.Config{Listen: "127.0.0.1:0", PublicURL: "http://127.0.0.1:8080"}, log: slog.New(slog.DiscardHandler)}
	err := runServer(context.Background(), d, waiter, failing)
	require.EqualError(t, err, "receiver: disk full")
	mu.Lock()
	defer mu.Unlock()
	require.True(t, stopped, "every service is stopped before runServer returns")
}
