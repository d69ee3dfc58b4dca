package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/pgtest"
)

// TestPoolsPerClass: the web, the receiver and the jobs each get a pool of
// their own size and statement timeout, named in application_name.
func TestPoolsPerClass(t *testing.T) {
	t.Parallel()
	_, url := pgtest.NewWithURL(t)
	cfg, err := config.Parse(nil, func(k string) string {
		return map[string]string{
			"WAYMARK_DATABASE_URL":                url,
			"WAYMARK_DB_WEB_CONNS":                "3",
			"WAYMARK_DB_WEB_STATEMENT_TIMEOUT":    "1500ms",
			"WAYMARK_DB_INGEST_CONNS":             "2",
			"WAYMARK_DB_JOBS_STATEMENT_TIMEOUT":   "3m",
			"WAYMARK_DB_INGEST_STATEMENT_TIMEOUT": "20s",
		}[k]
	})
	require.NoError(t, err)
	ctx := context.Background()
	ps, err := openPools(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(ps.close)
	for _, c := range []struct {
		app, timeout string
		conns        int32
		p            *pgxpool.Pool
	}{
		{"waymark-web", "1500ms", 3, ps.web},
		{"waymark-ingest", "20s", 2, ps.ingest},
		{"waymark-jobs", "3min", 8, ps.jobs},
	} {
		var app, timeout string
		require.NoError(t, c.p.QueryRow(ctx, `SELECT current_setting('application_name'), current_setting('statement_timeout')`).Scan(&app, &timeout))
		require.Equal(t, c.app, app)
		require.Equal(t, c.timeout, timeout)
		require.Equal(t, c.conns, c.p.Config().MaxConns)
	}

	// A statement over the web's timeout is ended by the database.
	_, err = ps.web.Exec(ctx, `SELECT pg_sleep(3)`)
	require.ErrorContains(t, err, "canceling statement due to statement timeout")
}

// TestRequestTimeout: a request's context ends after the request timeout,
// so that its queries end with it.
func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	var left time.Duration
	h := withRequestTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dl, ok := r.Context().Deadline()
		require.True(t, ok)
		left = time.Until(dl)
		<-r.Context().Done()
		w.WriteHeader(http.StatusServiceUnavailable)
	}), 200*time.Millisecond)
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.InDelta(t, 200*time.Millisecond, left, float64(50*time.Millisecond))
	require.Less(t, time.Since(start), 2*time.Second)
}
