package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgconn"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/journeys"
)

// connectError is what pgx returns when it cannot reach the database.
func connectError(t *testing.T) error {
	t.Helper()
	cfg, err := pgconn.ParseConfig("postgres://u@127.0.0.1:1/db?connect_timeout=1")
	require.NoError(t, err)
	_, err = pgconn.ConnectConfig(context.Background(), cfg)
	var ce *pgconn.ConnectError
	require.True(t, errors.As(err, &ce), "%T %v", err, err)
	return fmt.Errorf("list journeys: %w", err)
}

// Every kind of failure, from today's service sentinels and from the fault
// kinds, is answered with its own status and message, the same in JSON and
// on a page.
func TestClassify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		status int
		json   string
		page   string
	}{
		{"fault not found", fmt.Errorf("get journey: %w", fmt.Errorf("journey %q: %w", "shop", fault.ErrNotFound)), 404,
			`{"error":{"message":"journey \"shop\" not found"}}`, `Journey "shop" not found.`},
		{"store sentinel", fmt.Errorf("journey %q: %w", "shop", journeystore.ErrNotFound), 404,
			`{"error":{"message":"journey \"shop\" not found"}}`, `Journey "shop" not found.`},
		{"bare sentinel", incident.ErrNotFound, 404, `{"error":{"message":"not found"}}`, "Not found."},
		{"named miss", Missing(fmt.Errorf("read series: %w", journeystore.ErrNotFound), "journey %q", "shop"), 404,
			`{"error":{"message":"journey \"shop\" not found"}}`, `Journey "shop" not found.`},
		{"trace", fmt.Errorf("trace abc: %w", journeys.ErrTraceNotFound), 404,
			`{"error":{"message":"trace not found"}}`, "Trace not found."},
		{"invalid fields", fmt.Errorf("save: %w", &fault.Invalid{What: "incident", Fields: map[string]string{"title": "required"}}), 422,
			`{"error":{"message":"invalid incident","fields":{"title":"required"}}}`, "The request was not valid: invalid incident."},
		{"journey validation", &journeys.ValidationError{Fields: map[string]string{"steps": "required"}}, 422,
			`{"error":{"message":"invalid journey","fields":{"steps":"required"}}}`, "The request was not valid: invalid journey."},
		{"invalid kind", fmt.Errorf("cursor %q: %w", "zz", fault.ErrInvalid), 400,
			`{"error":{"message":"cursor \"zz\""}}`, `Cursor "zz".`},
		{"conflict", fmt.Errorf("update: %w", fmt.Errorf("incident 7 changed since version 3: %w", incident.ErrConflict)), 409,
			`{"error":{"message":"incident 7 changed since version 3"}}`, "Incident 7 changed since version 3."},
		{"fault conflict", fault.ErrConflict, 409, `{"error":{"message":"conflict"}}`, "Conflict."},
		{"last admin", fmt.Errorf("user role 3: %w", auth.ErrLastAdmin), 409,
			`{"error":{"message":"the last enabled admin cannot be demoted or disabled"}}`, "The last enabled admin cannot be demoted or disabled."},
		{"forbidden", fmt.Errorf("revoke: %w", fault.ErrForbidden), 403, `{"error":{"message":"forbidden"}}`, "Forbidden."},
		{"auth forbidden", auth.ErrForbidden, 403, `{"error":{"message":"forbidden"}}`, "Forbidden."},
		{"unavailable", fmt.Errorf("read: %w", fault.ErrUnavailable), 503,
			`{"error":{"message":"database unavailable"}}`, "Database unavailable."},
		{"connect error", connectError(t), 503, `{"error":{"message":"database unavailable"}}`, "Database unavailable."},
		{"net error", fmt.Errorf("query: %w", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset")}), 503,
			`{"error":{"message":"database unavailable"}}`, "Database unavailable."},
		{"query deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 503,
			`{"error":{"message":"database unavailable"}}`, "Database unavailable."},
		{"feature off", fmt.Errorf("read states: %w", ErrNoAlerting), 503,
			`{"error":{"message":"this server evaluates no SLOs"}}`, "This server evaluates no SLOs."},
		{"internal", errors.New("secret detail"), 500, `{"error":{"message":"internal server error"}}`, "Internal server error."},
		{"body too large", fmt.Errorf("read body: %w", &http.MaxBytesError{Limit: 1 << 20}), 413,
			`{"error":{"message":"request body is larger than 1 MiB"}}`, "Request body is larger than 1 MiB."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			b := &Base{Log: slog.New(slog.NewJSONHandler(&logs, nil))}

			rec := httptest.NewRecorder()
			b.Fail(rec, httptest.NewRequest(http.MethodGet, "/api/v1/journeys/shop", nil), tc.err)
			require.Equal(t, tc.status, rec.Code)
			require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			require.JSONEq(t, tc.json, rec.Body.String())

			rec = httptest.NewRecorder()
			b.Fail(rec, httptest.NewRequest(http.MethodGet, "/journeys/shop", nil), tc.err)
			require.Equal(t, tc.status, rec.Code)
			require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
			require.Contains(t, rec.Body.String(), `data-testid="error-message">`+htmlEscape(tc.page)+`<`)

			if tc.status >= 500 {
				require.Equal(t, 2, strings.Count(logs.String(), `"level":"ERROR"`), logs.String())
				require.Contains(t, logs.String(), `"status":`+fmt.Sprint(tc.status))
				require.Contains(t, logs.String(), `"path":"/journeys/shop"`)
			} else {
				require.Empty(t, logs.String())
			}
		})
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer(`"`, "&#34;", "'", "&#39;").Replace(s)
}

// OnField puts a message the form has no field for beside the given one,
// and leaves one that names its field alone.
func TestOnField(t *testing.T) {
	t.Parallel()
	e := OnField(fmt.Errorf("trace x is already linked to incident 2: %w", incident.ErrConflict), "trace_id")
	require.Equal(t, http.StatusConflict, e.Status)
	require.Equal(t, map[string]string{"trace_id": "trace x is already linked to incident 2"}, e.Fields)
	e = OnField(&fault.Invalid{What: "incident", Fields: map[string]string{"note": "too long"}}, "trace_id")
	require.Equal(t, map[string]string{"note": "too long"}, e.Fields)
	e = OnField(errors.New("boom"), "trace_id")
	require.Equal(t, http.StatusInternalServerError, e.Status)
	require.Nil(t, e.Fields)
}

// A request its client cancelled is nobody's failure: logged at INFO, and
// counted as 499, never as a 5xx.
func TestClientCancelled(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := &Base{Log: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: NewMetrics()}
	r := chi.NewRouter()
	r.Use(b.Instrument)
	r.Get("/journeys/{slug}", func(w http.ResponseWriter, r *http.Request) {
		b.Fail(w, r, fmt.Errorf("list journeys: %w", r.Context().Err()))
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/journeys/shop", nil).WithContext(ctx))

	require.Equal(t, StatusClientClosed, rec.Code)
	require.Empty(t, rec.Body.String())
	require.Contains(t, logs.String(), `"level":"INFO","msg":"client closed request"`)
	require.NotContains(t, logs.String(), `"level":"ERROR"`)
	require.Equal(t, 1.0, counted(t, b.Metrics, "/journeys/{slug}", "GET", "499"))
	require.Equal(t, 0.0, counted(t, b.Metrics, "/journeys/{slug}", "GET", "500"))
	require.Equal(t, 0.0, counted(t, b.Metrics, "/journeys/{slug}", "GET", "503"))
}

// counted is how many requests m counted under route, method and code.
func counted(t *testing.T, m *Metrics, route, method, code string) float64 {
	t.Helper()
	var d dto.Metric
	require.NoError(t, m.requests.WithLabelValues(route, method, code).Write(&d))
	return d.GetCounter().GetValue()
}
