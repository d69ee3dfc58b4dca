package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/journeys"
)

// loginFlowJSON is journeys/examples/login-flow.yaml in its JSON form.
const loginFlowJSON = `{
	"apiVersion": "waymark/v1",
	"kind": "Journey",
	"metadata": {
		"slug": "login-flow",
		"name": "Login flow",
		"owner": "team-identity",
		"description": "One login request, from the HTTP call to the password check, within a trace."
	},
	"spec": {
		"correlation": {"by": "trace"},
		"segments": ["span.user.tier", "span.region"],
		"steps": [
			{"name": "Login request", "match": {"service": "auth_svc", "span": "POST /login", "kind": "server"}},
			{"name": "Look up user", "match": {"service": "auth_svc", "span": "SELECT users", "kind": "client",
				"attributes": [{"key": "span.db.system.name", "op": "=", "value": "postgresql"}]}},
			{"name": "Verify password", "match": {"service": "auth_svc", "span": "verify_password", "kind": "internal"}}
		],
		"slos": [
			{"name": "login-latency", "step": "Login request", "kind": "latency", "threshold": "300ms", "objective": 0.99, "window": "28d", "minEvents": 500},
			{"name": "login-success", "kind": "success", "objective": 0.999, "window": "28d", "minEvents": 5000}
		]
	}
}`

// recordJSON is the API's view of a stored record around a journey's JSON.
func recordJSON(journeyJSON string, rec journeystore.JourneyRecord) string {
	return fmt.Sprintf(`{"journey": %s, "version": %d, "created_at": %q, "updated_at": %q, "updated_by": %q}`,
		journeyJSON, rec.Version, rec.CreatedAt.UTC().Format(time.RFC3339Nano), rec.UpdatedAt.UTC().Format(time.RFC3339Nano), rec.UpdatedBy)
}

func requireJSON(t *testing.T, rec *httptest.ResponseRecorder, status int, want string) {
	t.Helper()
	require.Equal(t, status, rec.Code, rec.Body.String())
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	require.JSONEq(t, want, rec.Body.String())
}

func TestAPIJourneyList(t *testing.T) {
	t.Parallel()
	b := setup(t)

	rec := b.do(t, http.MethodGet, "/api/v1/journeys", nil)
	requireJSON(t, rec, http.StatusOK, `{"journeys": []}`)

	shop := b.seed(t, "shop-checkout")
	login := b.seed(t, "login-flow")
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	rec = b.do(t, http.MethodGet, "/api/v1/journeys", nil)
	requireJSON(t, rec, http.StatusOK, fmt.Sprintf(`{"journeys": [
		{"slug": "login-flow", "name": "Login flow", "owner": "team-identity",
		 "description": "One login request, from the HTTP call to the password check, within a trace.",
		 "step_count": 3, "correlation": {"by": "trace"}, "version": 1,
		 "created_at": %q, "updated_at": %q, "updated_by": "seed"},
		{"slug": "shop-checkout", "name": "Shop checkout", "owner": "team-shop",
		 "description": "From login to a paid order in the demo shop, one session at a time.",
		 "step_count": 5, "correlation": {"by": "span.session.id", "window": "30m"}, "version": 1,
		 "created_at": %q, "updated_at": %q, "updated_by": "seed"}
	]}`, ts(login.CreatedAt), ts(login.UpdatedAt), ts(shop.CreatedAt), ts(shop.UpdatedAt)))
}

func TestAPIJourneyGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stored := b.seed(t, "login-flow")
	_, file := example(t, "login-flow")

	t.Run("json", func(t *testing.T) {
		t.Parallel()
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/login-flow", nil)
		requireJSON(t, rec, http.StatusOK, recordJSON(loginFlowJSON, stored))
	})
	yamlCases := []struct {
		name    string
		target  string
		headers []string
	}{
		{"format query", "/api/v1/journeys/login-flow?format=yaml", nil},
		{"accept yaml", "/api/v1/journeys/login-flow", []string{"Accept", "application/yaml"}},
		{"accept x-yaml", "/api/v1/journeys/login-flow", []string{"Accept", "text/html;q=0.9, application/x-yaml"}},
		{"format wins over accept", "/api/v1/journeys/login-flow?format=yaml", []string{"Accept", "application/json"}},
	}
	for _, tc := range yamlCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, http.MethodGet, tc.target, nil, tc.headers...)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, "application/yaml", rec.Header().Get("Content-Type"))
			require.Equal(t, "1", rec.Header().Get("X-Waymark-Version"))
			// The example files are canonical, so the export is the file.
			require.Equal(t, string(file), rec.Body.String())
		})
	}
	t.Run("accept json first", func(t *testing.T) {
		t.Parallel()
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/login-flow", nil, "Accept", "application/json, application/yaml")
		requireJSON(t, rec, http.StatusOK, recordJSON(loginFlowJSON, stored))
	})
	t.Run("unknown format", func(t *testing.T) {
		t.Parallel()
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/login-flow?format=xml", nil)
		requireJSON(t, rec, http.StatusBadRequest, `{"error": {"message": "unknown format \"xml\": use json or yaml"}}`)
	})
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		rec := b.do(t, http.MethodGet, "/api/v1/journeys/nope", nil)
		requireJSON(t, rec, http.StatusNotFound, `{"error": {"message": "journey \"nope\" not found"}}`)
	})
}

func TestAPIJourneyPut(t *testing.T) {
	t.Parallel()
	_, loginYAML := example(t, "login-flow")
	withoutSlug := strings.Replace(loginFlowJSON, `"slug": "login-flow",`, "", 1)

	created := []struct {
		name        string
		contentType string
		body        string
	}{
		{"json", "application/json", loginFlowJSON},
		{"json with charset", "application/json; charset=utf-8", loginFlowJSON},
		{"yaml", "application/yaml", string(loginYAML)},
		{"x-yaml", "application/x-yaml", string(loginYAML)},
		{"text/yaml", "text/yaml", string(loginYAML)},
		{"slug taken from the URL", "application/json", withoutSlug},
	}
	for _, tc := range created {
		t.Run("create "+tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			rec := b.do(t, http.MethodPut, "/api/v1/journeys/login-flow", strings.NewReader(tc.body), "Content-Type", tc.contentType)
			stored, err := b.store.GetJourney(context.Background(), "login-flow")
			require.NoError(t, err)
			requireJSON(t, rec, http.StatusCreated, recordJSON(loginFlowJSON, stored))
			require.Equal(t, "/api/v1/journeys/login-flow", rec.Header().Get("Location"))
			require.Equal(t, editorEmail, stored.UpdatedBy)
			require.Equal(t, 1, stored.Version)
		})
	}

	t.Run("replace", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put := func(body string) *httptest.ResponseRecorder {
			return b.do(t, http.MethodPut, "/api/v1/journeys/login-flow", strings.NewReader(body), "Content-Type", "application/json")
		}
		require.Equal(t, http.StatusCreated, put(loginFlowJSON).Code)

		// The same definition again changes nothing: still version 1.
		rec := put(loginFlowJSON)
		v1, err := b.store.GetJourney(context.Background(), "login-flow")
		require.NoError(t, err)
		require.Equal(t, 1, v1.Version)
		requireJSON(t, rec, http.StatusOK, recordJSON(loginFlowJSON, v1))

		renamed := strings.Replace(loginFlowJSON, `"name": "Login flow"`, `"name": "Sign-in"`, 1)
		rec = put(renamed)
		v2, err := b.store.GetJourney(context.Background(), "login-flow")
		require.NoError(t, err)
		require.Equal(t, 2, v2.Version)
		require.Equal(t, "Sign-in", v2.Journey.Metadata.Name)
		requireJSON(t, rec, http.StatusOK, recordJSON(renamed, v2))
	})

	bad := []struct {
		name        string
		contentType string
		body        string
		status      int
		want        string
	}{
		{
			name: "slug differs from the URL", contentType: "application/json",
			body:   strings.Replace(loginFlowJSON, `"slug": "login-flow"`, `"slug": "other"`, 1),
			status: http.StatusUnprocessableEntity,
			want:   `{"error": {"message": "invalid journey", "fields": {"metadata.slug": "\"other\" does not match the slug in the URL, \"login-flow\""}}}`,
		},
		{
			name: "malformed json", contentType: "application/json", body: `{"metadata": `,
			status: http.StatusBadRequest,
			want:   `{"error": {"message": "malformed body: line 1: invalid JSON: unexpected end of JSON input"}}`,
		},
		{
			name: "malformed yaml", contentType: "application/yaml", body: "metadata: [\n",
			status: http.StatusBadRequest,
			want:   `{"error": {"message": "malformed body: line 1: did not find expected node content"}}`,
		},
		{
			name: "two yaml documents", contentType: "application/yaml",
			body:   string(loginYAML) + "---\n" + strings.Replace(string(loginYAML), "slug: login-flow", "slug: login-2", 1),
			status: http.StatusBadRequest,
			want:   `{"error": {"message": "expected one journey, found 2 YAML documents"}}`,
		},
		{
			name: "unsupported content type", contentType: "text/plain", body: loginFlowJSON,
			status: http.StatusUnsupportedMediaType,
			want:   `{"error": {"message": "unsupported Content-Type \"text/plain\": send application/json or application/yaml"}}`,
		},
		{
			name: "missing content type", contentType: "", body: loginFlowJSON,
			status: http.StatusUnsupportedMediaType,
			want:   `{"error": {"message": "missing Content-Type: send application/json or application/yaml"}}`,
		},
		{
			name: "malformed content type", contentType: "application/", body: loginFlowJSON,
			status: http.StatusUnsupportedMediaType,
			want:   `{"error": {"message": "malformed Content-Type \"application/\": send application/json or application/yaml"}}`,
		},
		{
			name: "body over 1 MiB", contentType: "application/json",
			body:   `{"metadata": {"description": "` + strings.Repeat("x", MaxBodyBytes) + `"}}`,
			status: http.StatusRequestEntityTooLarge,
			want:   `{"error": {"message": "request body is larger than 1 MiB"}}`,
		},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			rec := b.do(t, http.MethodPut, "/api/v1/journeys/login-flow", strings.NewReader(tc.body), "Content-Type", tc.contentType)
			requireJSON(t, rec, tc.status, tc.want)
			_, err := b.store.GetJourney(context.Background(), "login-flow")
			require.ErrorIs(t, err, journeystore.ErrNotFound, "a refused PUT stores nothing")
		})
	}

	t.Run("invalid journey", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := `{"metadata": {"slug": "login-flow", "name": ""},
			"spec": {"correlation": {"by": "trace"},
				"steps": [{"name": "Only", "match": {"service": "auth_svc", "span": "POST /login",
					"attributes": [{"key": "span.x", "op": "==", "value": 1}]}}],
				"slos": [{"name": "s", "kind": "success", "objective": 1.5}]}}`
		rec := b.do(t, http.MethodPut, "/api/v1/journeys/login-flow", strings.NewReader(body), "Content-Type", "application/json")
		// Messages are the domain's; the API passes them through by path.
		j, err := journeys.DecodeJSON([]byte(body))
		require.NoError(t, err)
		j.Normalize()
		verr := j.Validate()
		var ve *journeys.ValidationError
		require.ErrorAs(t, verr, &ve)
		require.ElementsMatch(t, []string{"metadata.name", "steps", "steps[0].match.attributes[0].op", "slos[0].objective"}, ve.Paths())
		requireJSON(t, rec, http.StatusUnprocessableEntity, fmt.Sprintf(
			`{"error": {"message": "invalid journey", "fields": {"metadata.name": %q, "steps": %q, "steps[0].match.attributes[0].op": %q, "slos[0].objective": %q}}}`,
			ve.Fields["metadata.name"], ve.Fields["steps"], ve.Fields["steps[0].match.attributes[0].op"], ve.Fields["slos[0].objective"]))
	})

	t.Run("unknown field", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := strings.Replace(loginFlowJSON, `"kind": "Journey",`, `"kind": "Journey", "colour": "blue",`, 1)
		rec := b.do(t, http.MethodPut, "/api/v1/journeys/login-flow", strings.NewReader(body), "Content-Type", "application/json")
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		requireJSON(t, rec, http.StatusUnprocessableEntity, `{"error": {"message": "invalid journey", "fields": {"colour": "unknown field (line 3)"}}}`)
	})
}

func TestAPIJourneyDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t, "login-flow")

	rec := b.do(t, http.MethodDelete, "/api/v1/journeys/login-flow", nil)
	require.Equal(t, http.StatusNoContent, rec.Code)
	require.Empty(t, rec.Body.String())

	requireJSON(t, b.do(t, http.MethodGet, "/api/v1/journeys/login-flow", nil), http.StatusNotFound,
		`{"error": {"message": "journey \"login-flow\" not found"}}`)
	requireJSON(t, b.do(t, http.MethodDelete, "/api/v1/journeys/login-flow", nil), http.StatusNotFound,
		`{"error": {"message": "journey \"login-flow\" not found"}}`)

	hist, err := b.store.JourneyHistory(context.Background(), "login-flow")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	require.Equal(t, journeystore.ActionDeleted, hist[0].Action)
	require.Equal(t, editorEmail, hist[0].ChangedBy)
}

func TestAPIUnknownRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		method, target string
		status         int
		want           string
	}{
		{http.MethodGet, "/api/v1/nope", http.StatusNotFound, `{"error": {"message": "no such endpoint: GET /api/v1/nope"}}`},
		{http.MethodGet, "/api", http.StatusNotFound, `{"error": {"message": "no such endpoint: GET /api"}}`},
		{http.MethodGet, "/api/v2/journeys", http.StatusNotFound, `{"error": {"message": "no such endpoint: GET /api/v2/journeys"}}`},
		{http.MethodPatch, "/api/v1/journeys/x", http.StatusMethodNotAllowed, `{"error": {"message": "method PATCH is not allowed on /api/v1/journeys/x"}}`},
		{http.MethodPost, "/api/v1/journeys", http.StatusMethodNotAllowed, `{"error": {"message": "method POST is not allowed on /api/v1/journeys"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			t.Parallel()
			requireJSON(t, b.do(t, tc.method, tc.target, nil), tc.status, tc.want)
		})
	}
}
