package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/web/alerthttp"
)

func postJSON(t testing.TB, b *sloBundle, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	return b.do(t, http.MethodPost, target, strings.NewReader(body), append([]string{"Content-Type", "application/json"}, headers...)...)
}

func TestAPIDeploymentCreate(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)

	rec := postJSON(t, b, "/api/v1/deployments", `{"service": "shop", "version": "1.5.0", "environment": "production",
		"at": "2026-03-02T12:45:00+01:00", "url": "https://ci.example.com/runs/42", "description": "canary to 10%"}`)
	requireJSON(t, rec, http.StatusCreated, `{"id": 1, "service": "shop", "version": "1.5.0", "environment": "production",
		"at": "2026-03-02T11:45:00Z", "url": "https://ci.example.com/runs/42", "description": "canary to 10%",
		"created_at": "2026-03-02T12:00:00Z"}`)
	require.Equal(t, "/api/v1/deployments/1", rec.Header().Get("Location"))

	// Without at, the deploy happened now; names are trimmed.
	rec = postJSON(t, b, "/api/v1/deployments", `{"service": " cart ", "version": "2"}`, "Content-Type", "application/json; charset=utf-8")
	requireJSON(t, rec, http.StatusCreated, `{"id": 2, "service": "cart", "version": "2",
		"at": "2026-03-02T12:00:00Z", "created_at": "2026-03-02T12:00:00Z"}`)

	requireJSON(t, b.do(t, http.MethodGet, "/api/v1/deployments/1", nil), http.StatusOK, `{"id": 1, "service": "shop",
		"version": "1.5.0", "environment": "production", "at": "2026-03-02T11:45:00Z", "url": "https://ci.example.com/runs/42",
		"description": "canary to 10%", "created_at": "2026-03-02T12:00:00Z"}`)
	requireJSON(t, b.do(t, http.MethodGet, "/api/v1/deployments/99", nil), http.StatusNotFound,
		`{"error": {"message": "deployment 99 not found"}}`)
	requireJSON(t, b.do(t, http.MethodGet, "/api/v1/deployments/x", nil), http.StatusBadRequest,
		`{"error": {"message": "\"x\" is not a deployment id: expected a positive whole number"}}`)
}

func TestAPIDeploymentCreateRejects(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		want        string
	}{
		{"no content type", "", `{}`, http.StatusUnsupportedMediaType,
			`{"error": {"message": "missing Content-Type: send application/json"}}`},
		{"form", "application/x-www-form-urlencoded", `service=shop`, http.StatusUnsupportedMediaType,
			`{"error": {"message": "unsupported Content-Type \"application/x-www-form-urlencoded\": send application/json"}}`},
		{"malformed content type", "application/json; =", `{}`, http.StatusUnsupportedMediaType,
			`{"error": {"message": "malformed Content-Type \"application/json; =\": send application/json"}}`},
		{"empty", "application/json", ``, http.StatusBadRequest,
			`{"error": {"message": "malformed body: empty, expected a JSON object"}}`},
		{"cut short", "application/json", `{"service": "shop"`, http.StatusBadRequest,
			`{"error": {"message": "malformed body: JSON ends too early"}}`},
		{"syntax", "application/json", `{"service": "shop",}`, http.StatusBadRequest,
			`{"error": {"message": "malformed body: invalid JSON at byte 20: invalid character '}' looking for beginning of object key string"}}`},
		{"not an object", "application/json", `["shop"]`, http.StatusBadRequest,
			`{"error": {"message": "malformed body: expected a JSON object, found array"}}`},
		{"two objects", "application/json", `{"service": "a", "version": "1"} {}`, http.StatusBadRequest,
			`{"error": {"message": "malformed body: more than one JSON value"}}`},
		{"wrong type", "application/json", `{"service": 5, "version": "1"}`, http.StatusUnprocessableEntity,
			`{"error": {"message": "invalid deployment", "fields": {"service": "must be a string, not number"}}}`},
		{"unknown field", "application/json", `{"service": "a", "version": "1", "team": "x"}`, http.StatusUnprocessableEntity,
			`{"error": {"message": "invalid deployment", "fields": {"team": "unknown field"}}}`},
		{"missing fields", "application/json", `{}`, http.StatusUnprocessableEntity,
			`{"error": {"message": "invalid deployment", "fields": {"service": "required", "version": "required"}}}`},
		{"bad values", "application/json", `{"service": "a", "version": "` + strings.Repeat("v", 201) + `", "at": "yesterday", "url": "ftp://ci/1"}`,
			http.StatusUnprocessableEntity, `{"error": {"message": "invalid deployment", "fields": {
				"version": "must be at most 200 characters",
				"at": "\"yesterday\" is not an RFC3339 time such as 2026-03-01T10:00:00Z",
				"url": "must be an http or https URL"}}}`},
		{"ancient", "application/json", `{"service": "a", "version": "1", "at": "1999-12-31T23:59:59Z"}`, http.StatusUnprocessableEntity,
			`{"error": {"message": "invalid deployment", "fields": {"at": "must be a time between the years 2000 and 9999"}}}`},
		{"too large", "application/json", `{"service": "a", "version": "1", "description": "` + strings.Repeat("x", MaxBodyBytes) + `"}`,
			http.StatusRequestEntityTooLarge, `{"error": {"message": "request body is larger than 1 MiB"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var headers []string
			if tt.contentType != "" {
				headers = []string{"Content-Type", tt.contentType}
			}
			rec := b.do(t, http.MethodPost, "/api/v1/deployments", strings.NewReader(tt.body), headers...)
			requireJSON(t, rec, tt.status, tt.want)
		})
	}
	// Nothing was recorded.
	requireJSON(t, b.do(t, http.MethodGet, "/api/v1/deployments", nil), http.StatusOK, `{"deployments": []}`)
}

func TestAPIDeploymentToken(t *testing.T) {
	t.Parallel()
	// Without accounts, the API token alone guards deploy markers; with
	// them, auth checks it as its bootstrap token (TestBootstrapToken).
	b := setupSLO(t, func(o *Options) { o.APIToken = "s3cret"; o.Auth = nil })
	body := `{"service": "shop", "version": "1.5.0"}`
	tests := []struct {
		name   string
		auth   string
		status int
		want   string
	}{
		{"no token", "", http.StatusUnauthorized, `{"error": {"message": "missing bearer token: send Authorization: Bearer <token>"}}`},
		{"basic auth", "Basic czNjcmV0Og==", http.StatusUnauthorized, `{"error": {"message": "missing bearer token: send Authorization: Bearer <token>"}}`},
		{"wrong token", "Bearer s3cret2", http.StatusUnauthorized, `{"error": {"message": "invalid bearer token"}}`},
		{"prefix of the token", "Bearer s3c", http.StatusUnauthorized, `{"error": {"message": "invalid bearer token"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var headers []string
			if tt.auth != "" {
				headers = []string{"Authorization", tt.auth}
			}
			rec := postJSON(t, b, "/api/v1/deployments", body, headers...)
			requireJSON(t, rec, tt.status, tt.want)
			require.Equal(t, `Bearer realm="waymark"`, rec.Header().Get("WWW-Authenticate"))
		})
	}
	// The token is checked before the body: a client without one learns
	// nothing about what it sent.
	rec := b.do(t, http.MethodPost, "/api/v1/deployments", strings.NewReader("not json"))
	require.Equal(t, http.StatusUnauthorized, rec.Code)

	rec = postJSON(t, b, "/api/v1/deployments", body, "Authorization", "bearer  s3cret ")
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	// Reads stay open.
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/api/v1/deployments", nil).Code)
}

func TestAPIDeploymentList(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.deploy(t, "shop", "1.4.9", sloAt(-50*time.Minute))
	b.deploy(t, "search", "7.0.0", sloAt(-12*time.Minute))
	b.deploy(t, "shop", "1.5.0", sloAt(-15*time.Minute))
	d := func(id int, service, version, at string) string {
		return `{"id": ` + itoa(id) + `, "service": "` + service + `", "version": "` + version + `", "environment": "production",
			"at": "` + at + `", "created_at": "2026-03-02T12:00:00Z"}`
	}
	d1 := d(1, "shop", "1.4.9", "2026-03-02T11:10:00Z")
	d2 := d(2, "search", "7.0.0", "2026-03-02T11:48:00Z")
	d3 := d(3, "shop", "1.5.0", "2026-03-02T11:45:00Z")
	tests := []struct {
		query  string
		status int
		want   string
	}{
		{"", http.StatusOK, `{"deployments": [` + d2 + `,` + d3 + `,` + d1 + `]}`},
		{"service=shop", http.StatusOK, `{"deployments": [` + d3 + `,` + d1 + `]}`},
		{"service=shop&service=search&limit=2", http.StatusOK, `{"deployments": [` + d2 + `,` + d3 + `]}`},
		{"since=2026-03-02T11:45:00Z", http.StatusOK, `{"deployments": [` + d2 + `,` + d3 + `]}`},
		{"until=2026-03-02T11:45:00Z", http.StatusOK, `{"deployments": [` + d1 + `]}`},
		{"environment=staging", http.StatusOK, `{"deployments": []}`},
		{"limit=0", http.StatusBadRequest, `{"error": {"message": "limit: \"0\" is not a whole number from 1 to 1000",
			"fields": {"limit": "\"0\" is not a whole number from 1 to 1000"}}}`},
		{"limit=1001", http.StatusBadRequest, `{"error": {"message": "limit: \"1001\" is not a whole number from 1 to 1000",
			"fields": {"limit": "\"1001\" is not a whole number from 1 to 1000"}}}`},
		{"since=today", http.StatusBadRequest, `{"error": {"message": "since: \"today\" is not an RFC3339 time such as 2026-03-01T10:00:00Z",
			"fields": {"since": "\"today\" is not an RFC3339 time such as 2026-03-01T10:00:00Z"}}}`},
		{"since=2026-03-02T12:00:00Z&until=2026-03-02T11:00:00Z", http.StatusBadRequest,
			`{"error": {"message": "since: 2026-03-02T12:00:00Z is not before until (2026-03-02T11:00:00Z)",
			"fields": {"since": "2026-03-02T12:00:00Z is not before until (2026-03-02T11:00:00Z)"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			requireJSON(t, b.do(t, http.MethodGet, "/api/v1/deployments?"+tt.query, nil), tt.status, tt.want)
		})
	}
}

func TestAPIDeploymentsWithoutAlerting(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, func(o *Options) { o.Alerting = alerthttp.Off{} })
	want := `{"error": {"message": "this server evaluates no SLOs"}}`
	requireJSON(t, postJSON(t, b, "/api/v1/deployments", `{"service": "a", "version": "1"}`), http.StatusServiceUnavailable, want)
	requireJSON(t, b.do(t, http.MethodGet, "/api/v1/deployments", nil), http.StatusServiceUnavailable, want)
}

// FuzzDeploymentBody feeds the deployments endpoint arbitrary bodies: it
// answers 201, or 400, 413 or 422 with the one error shape, never a 5xx.
func FuzzDeploymentBody(f *testing.F) {
	for _, s := range []string{
		`{"service": "shop", "version": "1.5.0"}`,
		`{"service": "shop", "version": "1.5.0", "at": "2026-03-02T12:00:00Z", "url": "https://ci/1"}`,
		`{"service": 1}`, `[]`, `null`, `{"at": "2026-13-40T99:00:00Z"}`, `{"url": "http://%zz"}`,
		`{"service": "\u0000", "version": "\ud800"}`, `{} {}`, `{"a":`, "",
	} {
		f.Add(s)
	}
	b := setupSLO(f, nil)
	f.Fuzz(func(t *testing.T, body string) {
		rec := postJSON(t, b, "/api/v1/deployments", body)
		switch rec.Code {
		case http.StatusCreated:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			require.True(t, strings.HasPrefix(rec.Body.String(), `{"error":{"message":`), rec.Body.String())
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
