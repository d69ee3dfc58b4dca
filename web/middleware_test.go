package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/migrations"
)

func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t, "login-flow")
	_, file := example(t, "login-flow")

	cases := []struct {
		name    string
		method  string
		target  string
		body    string
		headers []string
		json    bool
	}{
		{"form post from another site", http.MethodPost, "/journeys/login-flow/delete", "",
			[]string{"Sec-Fetch-Site", "cross-site", "Content-Type", "application/x-www-form-urlencoded"}, false},
		{"form post with a foreign origin", http.MethodPost, "/journeys/new", checkoutForm().Encode(),
			[]string{"Origin", "https://evil.example", "Content-Type", "application/x-www-form-urlencoded"}, false},
		{"api delete from another site", http.MethodDelete, "/api/v1/journeys/login-flow", "",
			[]string{"Sec-Fetch-Site", "same-site"}, true},
		{"api put with a foreign origin", http.MethodPut, "/api/v1/journeys/other", strings.Replace(string(file), "slug: login-flow", "slug: other", 1),
			[]string{"Origin", "https://evil.example", "Content-Type", "application/yaml"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, tc.method, tc.target, strings.NewReader(tc.body), tc.headers...)
			require.Equal(t, http.StatusForbidden, rec.Code)
			if tc.json {
				var got struct{ Error struct{ Message string } }
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
				require.True(t, strings.HasPrefix(got.Error.Message, "cross-origin request refused: "), got.Error.Message)
			} else {
				msg := testID(page(t, rec), "error-message").Text()
				require.True(t, strings.HasPrefix(msg, "Cross-origin request refused: "), msg)
			}
		})
	}
	t.Run("nothing changed", func(t *testing.T) {
		// Runs after the parallel cases above have finished.
		t.Cleanup(func() {
			recs, err := b.store.ListJourneys(context.Background())
			require.NoError(t, err)
			require.Len(t, recs, 1)
			require.Equal(t, "login-flow", recs[0].Journey.Metadata.Slug)
			require.Equal(t, 1, recs[0].Version)
		})
	})
}

func TestCrossOriginAllowed(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	st := journeystore.New(pool)
	h := New(offs(Options{Store: st, Journeys: testJourneys(t, pool), TrustedOrigins: []string{"", "://", "https://ops.example"}}))
	b := &bundle{handler: h, store: st}
	b.seed(t, "login-flow")
	b.seed(t, "shop-checkout")

	// The same origin, and a trusted one, may change things.
	rec := b.do(t, http.MethodPost, "/journeys/login-flow/delete", nil, "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusSeeOther, rec.Code)
	rec = b.do(t, http.MethodDelete, "/api/v1/journeys/shop-checkout", nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://ops.example")
	require.Equal(t, http.StatusNoContent, rec.Code)
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	// No database at all: liveness must not depend on one.
	h := New(offs(Options{}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "ok\n", rec.Body.String())
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/healthz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
}

type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

func TestReadyz(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.do(t, http.MethodGet, "/readyz", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "ready\n", rec.Body.String())

	t.Run("unmigrated database", func(t *testing.T) {
		t.Parallel()
		pool := bareDatabase(t)
		h := New(offs(Options{DB: pool, SchemaCheck: func(ctx context.Context) error { return migrations.Check(ctx, pool) }}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		stale := migrations.Check(context.Background(), pool)
		require.ErrorIs(t, stale, migrations.ErrStale)
		require.Equal(t, "not ready: "+stale.Error()+"\n", rec.Body.String())
	})
	t.Run("database down", func(t *testing.T) {
		t.Parallel()
		h := New(offs(Options{DB: pingFunc(func(context.Context) error { return errors.New("dial tcp 127.0.0.1:1: connection refused") })}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.Equal(t, "database unavailable\n", rec.Body.String())
		require.NotContains(t, rec.Body.String(), "127.0.0.1", "the database's address is not shown")
	})
}

// bareDatabase is an empty database, never migrated, dropped after the test.
func bareDatabase(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.AdminURL())
	require.NoError(t, err)
	defer admin.Close(ctx)
	name := "waymark_web_bare_" + randomSuffix()
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	cfg, err := pgxpool.ParseConfig(pgtest.AdminURL())
	require.NoError(t, err)
	cfg.ConnConfig.Database = name
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), pgtest.AdminURL())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return pool
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	h := newHandler(offs(Options{}))
	srv := New(offs(Options{}))
	get := func(target string, headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}

	css := h.Site.CSS
	require.True(t, strings.HasPrefix(css, "/static/app.css?v="), css)
	rec := get(css)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/css; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Equal(t, "public, max-age=31536000, immutable", rec.Header().Get("Cache-Control"))
	body, err := staticFS.ReadFile("static/app.css")
	require.NoError(t, err)
	require.Equal(t, string(body), rec.Body.String())
	etag := rec.Header().Get("ETag")
	require.Equal(t, `"`+strings.TrimPrefix(css, "/static/app.css?v=")+`"`, etag)

	rec = get(css, "If-None-Match", etag)
	require.Equal(t, http.StatusNotModified, rec.Code)

	rec = get("/static/app.css")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "public, max-age=0, must-revalidate", rec.Header().Get("Cache-Control"))

	rec = get(h.Site.JS)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/javascript; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Contains(t, rec.Body.String(), "htmx")

	rec = get(h.Site.Icon)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "image/svg+xml", rec.Header().Get("Content-Type"))

	require.Equal(t, http.StatusNotFound, get("/static/nope.js").Code)
	require.Equal(t, http.StatusNotFound, get("/static/../web.go").Code)
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.do(t, http.MethodGet, "/api/v1/journeys/nope", nil)
	require.Equal(t, http.StatusNotFound, rec.Code)
	var line struct {
		Msg      string  `json:"msg"`
		Method   string  `json:"method"`
		Path     string  `json:"path"`
		Status   int     `json:"status"`
		Duration float64 `json:"duration"`
	}
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(b.logs.Bytes()), &line))
	require.Equal(t, "http request", line.Msg)
	require.Equal(t, http.MethodGet, line.Method)
	require.Equal(t, "/api/v1/journeys/nope", line.Path)
	require.Equal(t, http.StatusNotFound, line.Status)
	require.Positive(t, line.Duration)
}

func TestFormBodyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	form := checkoutForm()
	form.Set("metadata.description", strings.Repeat("x", MaxBodyBytes))
	rec := b.postForm(t, "/journeys/new", form)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	require.Equal(t, "Request body is larger than 1 MiB.", testID(page(t, rec), "error-message").Text())

	rec = b.postForm(t, "/journeys/import", url.Values{"yaml": {strings.Repeat("#", MaxBodyBytes)}})
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := New(offs(Options{}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"))
	require.Contains(t, rec.Header().Get("Content-Security-Policy"), "script-src 'self'")
	require.Equal(t, wantCSP, rec.Header().Get("Content-Security-Policy"))
	require.Equal(t, "same-origin", rec.Header().Get("Referrer-Policy"))
	require.Equal(t, "same-origin", rec.Header().Get("Cross-Origin-Opener-Policy"))
	require.Equal(t, "same-origin", rec.Header().Get("Cross-Origin-Resource-Policy"))
	require.Equal(t, "camera=(), microphone=(), geolocation=(), payment=(), usb=()", rec.Header().Get("Permissions-Policy"))
	// No inline script may run, nor script from anywhere else.
	require.NotContains(t, wantCSP, "unsafe-inline")
	require.NotContains(t, wantCSP, "unsafe-eval")
}

// logLines is a JSON log that a test reads while the server writes it.
type logLines struct{ w lockedWriter }

func newLogLines() *logLines { return &logLines{w: lockedWriter{w: &bytes.Buffer{}}} }

func (l *logLines) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&l.w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lines decodes every line logged so far.
func (l *logLines) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.w.mu.Lock()
	raw := l.w.w.(*bytes.Buffer).String()
	l.w.mu.Unlock()
	var out []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(raw), "\n") {
		if s == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(s), &m), s)
		out = append(out, m)
	}
	return out
}

// TestClientCancelledRequests: a client that hangs up while its request is
// being answered is no server error. The request is counted as 499 and
// logged below ERROR.
func TestClientCancelledRequests(t *testing.T) {
	t.Parallel()
	logs := newLogLines()
	b := setupWith(t, func(o *Options) { o.Logger = logs.logger() })
	b.seed(t, "login-flow")
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	// The lock and the watch for waiters have connections of their own: a
	// map request reads on several of the pool's at once, and may hold
	// them all while it waits.
	watch, err := pgx.ConnectConfig(ctx, b.pool.Config().ConnConfig)
	require.NoError(t, err)
	t.Cleanup(func() { _ = watch.Close(context.Background()) })
	locker, err := pgx.ConnectConfig(ctx, b.pool.Config().ConnConfig)
	require.NoError(t, err)
	t.Cleanup(func() { _ = locker.Close(context.Background()) })

	for i, target := range []string{"/journeys/login-flow?range=1h", "/api/v1/journeys/login-flow/stats?range=1h"} {
		// Hold the rollups so that the handler waits on them mid-request.
		tx, err := locker.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `LOCK TABLE rollup_steps, rollup_funnels, rollup_freshness IN ACCESS EXCLUSIVE MODE`)
		require.NoError(t, err)

		cctx, cancel := context.WithCancel(ctx)
		req, err := http.NewRequestWithContext(cctx, http.MethodGet, srv.URL+target, nil)
		require.NoError(t, err)
		if b.acc != nil {
			req.AddCookie(b.acc.session)
		}
		errc := make(chan error, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errc <- err
		}()
		require.Eventually(t, func() bool {
			var n int
			require.NoError(t, watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n))
			return n > 0
		}, 10*time.Second, 5*time.Millisecond, target)
		cancel()
		require.ErrorIs(t, <-errc, context.Canceled)
		// The handler notices and returns; its request line is the last
		// thing it logs.
		require.Eventually(t, func() bool {
			n := 0
			for _, l := range logs.lines(t) {
				if l["msg"] == "http request" {
					n++
				}
			}
			return n == i+1
		}, 10*time.Second, 5*time.Millisecond, target)
		require.NoError(t, tx.Rollback(ctx))
	}

	var requests []string
	for _, l := range logs.lines(t) {
		require.NotEqual(t, "ERROR", l["level"], "%v", l)
		if l["msg"] == "http request" {
			require.Equal(t, "INFO", l["level"])
			requests = append(requests, fmt.Sprintf("%v %v", l["path"], l["status"]))
		}
	}
	require.Equal(t, []string{"/journeys/login-flow 499", "/api/v1/journeys/login-flow/stats 499"}, requests, "%v", logs.lines(t))

	fams := scrape(t, &sloBundle{bundle: b})
	for _, route := range []string{"/journeys/{slug}", "/api/v1/journeys/{slug}/stats"} {
		require.Equal(t, 1.0, mustSample(t, fams, "waymark_http_requests_total", "route", route, "method", "GET", "code", "499"), route)
		for _, s := range seriesOf(fams, "waymark_http_requests_total") {
			if strings.HasSuffix(s, ",route="+route) {
				require.NotContains(t, s, "code=5", s)
			}
		}
	}
}
