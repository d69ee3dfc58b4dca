package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/store"
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
				var got apiError
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
	st := store.New(pool)
	h := New(Options{Store: st, Journeys: testJourneys(t, pool), TrustedOrigins: []string{"", "://", "https://ops.example"}})
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
	h := New(Options{})
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
		h := New(Options{DB: pool, SchemaCheck: func(ctx context.Context) error { return migrations.Check(ctx, pool) }})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		stale := migrations.Check(context.Background(), pool)
		require.ErrorIs(t, stale, migrations.ErrStale)
		require.Equal(t, "not ready: "+stale.Error()+"\n", rec.Body.String())
	})
	t.Run("database down", func(t *testing.T) {
		t.Parallel()
		h := New(Options{DB: pingFunc(func(context.Context) error { return errors.New("dial tcp 127.0.0.1:1: connection refused") })})
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
	h := newHandler(Options{})
	srv := New(Options{})
	get := func(target string, headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}

	css := h.site.CSS
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

	rec = get(h.site.JS)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/javascript; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Contains(t, rec.Body.String(), "htmx")

	rec = get(h.site.Icon)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "image/svg+xml", rec.Header().Get("Content-Type"))

	require.Equal(t, http.StatusNotFound, get("/static/nope.js").Code)
	require.Equal(t, http.StatusNotFound, get("/static/../web.go").Code)
}

func TestRecoverPanics(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := newHandler(Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	boom := h.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail")
	}))
	for _, target := range []string{"/journeys", "/api/v1/journeys"} {
		rec := httptest.NewRecorder()
		boom.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		require.Equal(t, http.StatusInternalServerError, rec.Code, target)
		require.NotContains(t, rec.Body.String(), "secret detail")
		require.NotContains(t, rec.Body.String(), "goroutine")
	}
	require.Contains(t, logs.String(), `"panic":"secret detail"`)
	require.Contains(t, logs.String(), `"stack":"goroutine`)

	rec := httptest.NewRecorder()
	boom.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/journeys", nil))
	require.JSONEq(t, `{"error":{"message":"internal server error"}}`, rec.Body.String())
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
	h := New(Options{})
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

func TestTraceURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		template, id, want string
	}{
		{"", "0af7651916cd43dd8448eb211c80319c", "/traces/0af7651916cd43dd8448eb211c80319c"},
		{"https://grafana.example/explore?traceId={traceID}", "0af7651916cd43dd8448eb211c80319c",
			"https://grafana.example/explore?traceId=0af7651916cd43dd8448eb211c80319c"},
		{"https://t.example/{traceID}?again={traceID}", "a&b", "https://t.example/a%26b?again=a%26b"},
	}
	for _, tc := range cases {
		h := newHandler(Options{TraceURLTemplate: tc.template})
		require.Equal(t, tc.want, h.traceURL(tc.id))
	}
}
