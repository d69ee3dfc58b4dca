package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// apiCall sends a JSON body (none when empty) from another program, as CI
// or a script would.
func (b *incidentBundle) apiCall(t *testing.T, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	h := []string{"Content-Type", "application/json"}
	if body == "" {
		h = nil
	}
	return b.do(t, method, path, strings.NewReader(body), append(h, headers...)...)
}

// incidentJSON is the API's form of the incident the lifecycle test
// creates, at version v with status st and the extra fields given.
func incidentJSON(v int, st, extra string) string {
	return fmt.Sprintf(`{
		"id": 1, "title": "Payments failing", "severity": "SEV2", "status": %q,
		"started_at": "2026-03-01T10:00:30Z", "detected_at": "2026-03-01T10:01:00Z",
		"journeys": ["shop"], "steps": [{"journey": "shop", "step": "s3"}],
		"owner": "team-payments", "summary": "PSP declines cards.",
		"version": %d, "created_at": "2026-03-01T10:05:00Z", "created_by": "editor@example.com",
		"updated_at": "2026-03-01T10:05:00Z", "updated_by": "editor@example.com"%s
	}`, st, v, extra)
}

func TestAPIIncidentLifecycle(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	ctx := context.Background()

	rec := b.apiCall(t, http.MethodPost, "/api/v1/incidents", `{
		"title": "Payments failing", "severity": "SEV2", "started_at": "2026-03-01T10:00:30Z",
		"detected_at": "2026-03-01T11:01:00+01:00", "journeys": ["shop"], "steps": [{"journey": "shop", "step": "s3"}],
		"owner": "team-payments", "summary": "PSP declines cards."
	}`)
	requireJSON(t, rec, http.StatusCreated, incidentJSON(1, "investigating", ""))
	require.Equal(t, "/api/v1/incidents/1", rec.Header().Get("Location"))

	requireJSON(t, b.apiCall(t, http.MethodGet, "/api/v1/incidents/1", ""), http.StatusOK, incidentJSON(1, "investigating", ""))
	requireJSON(t, b.apiCall(t, http.MethodGet, "/api/v1/incidents?journey=shop&status=investigating,identified", ""), http.StatusOK,
		`{"incidents": [`+incidentJSON(1, "investigating", "")+`]}`)
	requireJSON(t, b.apiCall(t, http.MethodGet, "/api/v1/incidents?status=resolved", ""), http.StatusOK, `{"incidents": []}`)

	// What GET returned goes back changed, with its version.
	body := strings.Replace(incidentJSON(1, "identified", ""), `"PSP declines cards."`, `"PSP declines gold cards."`, 1)
	rec = b.apiCall(t, http.MethodPut, "/api/v1/incidents/1", body)
	requireJSON(t, rec, http.StatusOK, strings.Replace(incidentJSON(2, "identified", ""), `"PSP declines cards."`, `"PSP declines gold cards."`, 1))
	// The same version again is stale.
	requireJSON(t, b.apiCall(t, http.MethodPut, "/api/v1/incidents/1", body), http.StatusConflict,
		`{"error": {"message": "incident 1 changed since version 1 (now 2)"}}`)

	// Linking a trace snapshots it.
	rec = b.apiCall(t, http.MethodPost, "/api/v1/incidents/1/traces",
		`{"trace_id": "`+strings.ToUpper(declinedTrace)+`", "note": "first decline", "step": {"journey": "shop", "step": "s3"}}`)
	snap, err := b.incidents.SnapshotJSON(ctx, 1, declinedTrace)
	require.NoError(t, err)
	link := fmt.Sprintf(`{
		"incident_id": 1, "trace_id": %q, "note": "first decline", "linked_at": "2026-03-01T10:05:00Z", "linked_by": "editor@example.com",
		"step": {"journey": "shop", "step": "s3"}, "start": "2026-03-01T10:00:30Z", "duration_ns": 300000000, "spans": 2,
		"root_service": "shop", "root_name": "s3", "error": "card declined", "snapshot_bytes": %d
	}`, declinedTrace, len(snap))
	requireJSON(t, rec, http.StatusCreated, link)
	require.Equal(t, "/api/v1/incidents/1/traces/"+declinedTrace+"/snapshot", rec.Header().Get("Location"))
	requireJSON(t, b.apiCall(t, http.MethodPost, "/api/v1/incidents/1/traces", `{"trace_id": "`+declinedTrace+`"}`), http.StatusConflict,
		`{"error": {"message": "trace `+declinedTrace+` is already linked to incident 1", "fields": {"trace_id": "trace `+declinedTrace+` is already linked to incident 1"}}}`)
	requireJSON(t, b.apiCall(t, http.MethodGet, "/api/v1/incidents/1/traces", ""), http.StatusOK, `{"traces": [`+link+`]}`)

	// The snapshot is served as stored, after the trace is gone from the
	// source too.
	b.deleteTrace(t, declinedTrace)
	rec = b.apiCall(t, http.MethodGet, "/api/v1/incidents/1/traces/"+declinedTrace+"/snapshot", "")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	require.Equal(t, string(snap), rec.Body.String())
	require.Contains(t, rec.Body.String(), `"message":"card declined"`)

	// Suggestions: the other failures on s3 since the start, the same
	// error first.
	requireJSON(t, b.apiCall(t, http.MethodGet, "/api/v1/incidents/1/related?limit=5", ""), http.StatusOK, fmt.Sprintf(`{"suggestions": [
		{"trace_id": %q, "step": {"journey": "shop", "step": "s3"}, "span_id": "0000000000000231", "service": "shop", "name": "s3",
		 "start": "2026-03-01T10:00:40Z", "duration_ns": 300000000, "error": "card declined", "same_error": true},
		{"trace_id": %q, "step": {"journey": "shop", "step": "s3"}, "span_id": "0000000000000331", "service": "shop", "name": "s3",
		 "start": "2026-03-01T10:00:50Z", "duration_ns": 300000000, "error": "gateway timeout", "same_error": false}
	]}`, declinedAgain, timeoutTrace))
	requireJSON(t, b.apiCall(t, http.MethodGet, "/api/v1/incidents/1/related?limit=1&error=gateway+timeout", ""), http.StatusOK, fmt.Sprintf(`{"suggestions": [
		{"trace_id": %q, "step": {"journey": "shop", "step": "s3"}, "span_id": "0000000000000331", "service": "shop", "name": "s3",
		 "start": "2026-03-01T10:00:50Z", "duration_ns": 300000000, "error": "gateway timeout", "same_error": true}
	]}`, timeoutTrace))

	// Status: resolving stamps the end; going back is refused.
	rec = b.apiCall(t, http.MethodPost, "/api/v1/incidents/1/status", `{"status": "resolved", "version": 2}`)
	resolved := strings.Replace(incidentJSON(3, "resolved", `, "resolved_at": "2026-03-01T10:05:00Z"`), `"PSP declines cards."`, `"PSP declines gold cards."`, 1)
	requireJSON(t, rec, http.StatusOK, resolved)
	requireJSON(t, b.apiCall(t, http.MethodPost, "/api/v1/incidents/1/status", `{"status": "monitoring"}`), http.StatusUnprocessableEntity,
		`{"error": {"message": "invalid incident", "fields": {"status": "cannot go from resolved to monitoring: a resolved incident reopens as investigating"}}}`)
	requireJSON(t, b.apiCall(t, http.MethodPost, "/api/v1/incidents/1/status", `{"status": "investigating", "version": 2}`), http.StatusConflict,
		`{"error": {"message": "incident 1 changed since version 2 (now 3)"}}`)

	requireJSON(t, b.apiCall(t, http.MethodGet, "/api/v1/incidents/1/timeline", ""), http.StatusOK, `{"events": [
		{"at": "2026-03-01T10:00:30Z", "kind": "incident", "title": "Impact started"},
		{"at": "2026-03-01T10:00:30Z", "kind": "trace", "title": "Trace abc00013: shop s3",
		 "detail": "error: card declined; step: shop / s3; first decline", "link": "/traces/`+declinedTrace+`"},
		{"at": "2026-03-01T10:01:00Z", "kind": "incident", "title": "Detected"},
		{"at": "2026-03-01T10:05:00Z", "kind": "incident", "title": "Impact ended"},
		{"at": "2026-03-01T10:05:00Z", "kind": "status", "title": "Incident opened as investigating", "detail": "by editor@example.com"},
		{"at": "2026-03-01T10:05:00Z", "kind": "status", "title": "Status investigating → identified", "detail": "by editor@example.com"},
		{"at": "2026-03-01T10:05:00Z", "kind": "status", "title": "Status identified → resolved", "detail": "by editor@example.com"}
	]}`)

	// Unlinking removes the trace and its snapshot.
	rec = b.apiCall(t, http.MethodDelete, "/api/v1/incidents/1/traces/"+declinedTrace, "")
	require.Equal(t, http.StatusNoContent, rec.Code)
	require.Empty(t, rec.Body.String())
	requireJSON(t, b.apiCall(t, http.MethodDelete, "/api/v1/incidents/1/traces/"+declinedTrace, ""), http.StatusNotFound,
		`{"error": {"message": "trace `+declinedTrace+` of incident 1 not found"}}`)
	requireJSON(t, b.apiCall(t, http.MethodGet, "/api/v1/incidents/1/traces", ""), http.StatusOK, `{"traces": []}`)
	require.Equal(t, "incidents=1 incident_status_changes=3 incident_traces=0 1:resolved:v3", b.counts(t))
}

func TestAPIIncidentCreateFromTrace(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	rec := b.apiCall(t, http.MethodPost, "/api/v1/incidents", `{
		"title": "Payments failing", "severity": "SEV1", "trace_id": "`+timeoutTrace+`",
		"step": {"journey": "shop", "step": "s3"}, "note": "timeout at the PSP"
	}`, "X-Ignored", "1")
	snap, err := b.incidents.SnapshotJSON(context.Background(), 1, timeoutTrace)
	require.NoError(t, err)
	// The incident starts when the trace does and names its step.
	requireJSON(t, rec, http.StatusCreated, fmt.Sprintf(`{
		"id": 1, "title": "Payments failing", "severity": "SEV1", "status": "investigating",
		"started_at": "2026-03-01T10:00:50Z", "detected_at": "2026-03-01T10:00:50Z",
		"journeys": ["shop"], "steps": [{"journey": "shop", "step": "s3"}],
		"version": 1, "created_at": "2026-03-01T10:05:00Z", "created_by": "editor@example.com", "updated_at": "2026-03-01T10:05:00Z", "updated_by": "editor@example.com",
		"linked_trace": {"incident_id": 1, "trace_id": %q, "note": "timeout at the PSP", "linked_at": "2026-03-01T10:05:00Z",
			"linked_by": "editor@example.com", "step": {"journey": "shop", "step": "s3"}, "start": "2026-03-01T10:00:50Z", "duration_ns": 300000000,
			"spans": 2, "root_service": "shop", "root_name": "s3", "error": "gateway timeout", "snapshot_bytes": %d}
	}`, timeoutTrace, len(snap)))
}

func TestAPIIncidentErrors(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	small := setupIncidents(t, incidentConfig{snapshotLimit: 64})
	for _, bb := range []*incidentBundle{b, small} {
		requireJSON(t, bb.apiCall(t, http.MethodPost, "/api/v1/incidents",
			`{"title": "Open", "severity": "SEV3", "started_at": "2026-03-01T10:00:00Z", "journeys": ["shop"]}`), http.StatusCreated,
			`{"id": 1, "title": "Open", "severity": "SEV3", "status": "investigating", "started_at": "2026-03-01T10:00:00Z",
			  "detected_at": "2026-03-01T10:00:00Z", "journeys": ["shop"], "version": 1, "created_at": "2026-03-01T10:05:00Z",
			  "created_by": "editor@example.com", "updated_at": "2026-03-01T10:05:00Z", "updated_by": "editor@example.com"}`)
	}
	before, smallBefore := b.counts(t), small.counts(t)
	valid := `{"title": "T", "severity": "SEV3", "started_at": "2026-03-01T10:00:00Z"}`
	huge := `{"title": "T", "summary": "` + strings.Repeat("x", MaxBodyBytes) + `"}`
	cases := []struct {
		name         string
		b            *incidentBundle
		method, path string
		body         string
		headers      []string
		status       int
		want         string
	}{
		{"no content type", b, http.MethodPost, "/api/v1/incidents", valid, []string{"Content-Type", ""}, 415,
			`{"error": {"message": "missing Content-Type: send application/json"}}`},
		{"yaml", b, http.MethodPut, "/api/v1/incidents/1", valid, []string{"Content-Type", "application/yaml"}, 415,
			`{"error": {"message": "unsupported Content-Type \"application/yaml\": send application/json"}}`},
		{"malformed content type", b, http.MethodPost, "/api/v1/incidents/1/traces", valid, []string{"Content-Type", "application/json; ="}, 415,
			`{"error": {"message": "malformed Content-Type \"application/json; =\": send application/json"}}`},
		{"broken JSON", b, http.MethodPost, "/api/v1/incidents", `{"title": `, nil, 400,
			`{"error": {"message": "malformed body: JSON ends too early"}}`},
		{"syntax error", b, http.MethodPost, "/api/v1/incidents", `{"title" "x"}`, nil, 400,
			`{"error": {"message": "malformed body: invalid JSON at byte 10: invalid character '\"' after object key"}}`},
		{"not an object", b, http.MethodPost, "/api/v1/incidents", `["x"]`, nil, 400,
			`{"error": {"message": "malformed body: expected a JSON object, found array"}}`},
		{"empty body", b, http.MethodPost, "/api/v1/incidents/1/status", ` `, nil, 400,
			`{"error": {"message": "malformed body: empty, expected a JSON object"}}`},
		{"two values", b, http.MethodPost, "/api/v1/incidents/1/status", `{"status": "resolved"} {}`, nil, 400,
			`{"error": {"message": "malformed body: more than one JSON value"}}`},
		{"unknown field", b, http.MethodPost, "/api/v1/incidents", `{"title": "T", "sev": "SEV1"}`, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"sev": "unknown field"}}}`},
		{"wrong type", b, http.MethodPost, "/api/v1/incidents", `{"title": 5}`, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"title": "must be a string, not number"}}}`},
		{"bad time", b, http.MethodPost, "/api/v1/incidents", `{"title": "T", "severity": "SEV1", "started_at": "yesterday"}`, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"started_at": "must be an RFC 3339 time such as 2026-03-01T10:00:00Z"}}}`},
		{"invalid incident", b, http.MethodPost, "/api/v1/incidents", `{"severity": "P1", "journeys": ["shop", "nope"]}`, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"title": "required", "severity": "must be SEV1, SEV2, SEV3 or SEV4", "started_at": "required"}}}`},
		{"unknown journey", b, http.MethodPost, "/api/v1/incidents", `{"title": "T", "severity": "SEV1", "started_at": "2026-03-01T10:00:00Z", "journeys": ["nope"]}`, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"journeys[0]": "no journey \"nope\""}}}`},
		{"id on create", b, http.MethodPost, "/api/v1/incidents", `{"id": 4, "title": "T"}`, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"id": "must be empty: the server numbers new incidents; PUT /api/v1/incidents/{id} changes one"}}}`},
		{"unknown trace", b, http.MethodPost, "/api/v1/incidents", `{"title": "T", "severity": "SEV1", "trace_id": "ffff"}`, nil, 404,
			`{"error": {"message": "trace 0000000000000000000000000000ffff not found in the trace source", "fields": {"trace_id": "not found in the trace source"}}}`},
		{"malformed trace id", b, http.MethodPost, "/api/v1/incidents/1/traces", `{"trace_id": "xyz"}`, nil, 422,
			`{"error": {"message": "trace id must be 1 to 32 hex digits", "fields": {"trace_id": "must be 1 to 32 hex digits"}}}`},
		{"snapshot over the cap", small, http.MethodPost, "/api/v1/incidents/1/traces", `{"trace_id": "` + declinedTrace + `"}`, nil, 413,
			fmt.Sprintf(`{"error": {"message": %q, "fields": {"trace_id": %q}}}`, snapshotTooLarge(t, small, declinedTrace, 64), snapshotTooLarge(t, small, declinedTrace, 64))},
		{"snapshot over the cap on create", small, http.MethodPost, "/api/v1/incidents", `{"title": "T", "severity": "SEV1", "trace_id": "` + declinedTrace + `"}`, nil, 413,
			fmt.Sprintf(`{"error": {"message": %q, "fields": {"trace_id": %q}}}`, snapshotTooLarge(t, small, declinedTrace, 64), snapshotTooLarge(t, small, declinedTrace, 64))},
		{"body over the limit", b, http.MethodPost, "/api/v1/incidents", huge, nil, 413,
			`{"error": {"message": "request body is larger than 1 MiB"}}`},
		{"put without version", b, http.MethodPut, "/api/v1/incidents/1", valid, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"version": "required: the version read, so that a change made meanwhile is not overwritten"}}}`},
		{"put to another id", b, http.MethodPut, "/api/v1/incidents/1", `{"id": 2, "version": 1, "title": "T"}`, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"id": "2 does not match the id in the URL, 1"}}}`},
		{"put with a trace", b, http.MethodPut, "/api/v1/incidents/1", `{"version": 1, "trace_id": "ab"}`, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"trace_id": "link traces with POST /api/v1/incidents/1/traces"}}}`},
		{"unknown status", b, http.MethodPost, "/api/v1/incidents/1/status", `{"status": "closed"}`, nil, 422,
			`{"error": {"message": "invalid incident", "fields": {"status": "must be investigating, identified, monitoring or resolved"}}}`},
		{"unknown incident", b, http.MethodGet, "/api/v1/incidents/9", "", nil, 404, `{"error": {"message": "incident 9 not found"}}`},
		{"unknown incident put", b, http.MethodPut, "/api/v1/incidents/9", `{"version": 1, "title": "T", "severity": "SEV1", "started_at": "2026-03-01T10:00:00Z"}`, nil, 404,
			`{"error": {"message": "incident 9 not found"}}`},
		{"unknown incident link", b, http.MethodPost, "/api/v1/incidents/9/traces", `{"trace_id": "` + okTrace + `"}`, nil, 404,
			`{"error": {"message": "incident 9 not found"}}`},
		{"unknown incident related", b, http.MethodGet, "/api/v1/incidents/9/related", "", nil, 404, `{"error": {"message": "incident 9 not found"}}`},
		{"unknown incident timeline", b, http.MethodGet, "/api/v1/incidents/9/timeline", "", nil, 404, `{"error": {"message": "incident 9 not found"}}`},
		{"unknown snapshot", b, http.MethodGet, "/api/v1/incidents/1/traces/" + okTrace + "/snapshot", "", nil, 404,
			`{"error": {"message": "trace ` + okTrace + ` of incident 1 not found"}}`},
		{"malformed id", b, http.MethodGet, "/api/v1/incidents/one", "", nil, 400,
			`{"error": {"message": "\"one\" is not an incident id: expected a positive whole number"}}`},
		{"bad filter", b, http.MethodGet, "/api/v1/incidents?status=open", "", nil, 400,
			`{"error": {"message": "status: \"open\" is not one of investigating, identified, monitoring or resolved", "fields": {"status": "\"open\" is not one of investigating, identified, monitoring or resolved"}}}`},
		{"bad limit", b, http.MethodGet, "/api/v1/incidents/1/related?limit=0", "", nil, 400,
			`{"error": {"message": "limit: \"0\" is not a whole number from 1 to 100", "fields": {"limit": "\"0\" is not a whole number from 1 to 100"}}}`},
		{"wrong method", b, http.MethodPatch, "/api/v1/incidents/1", valid, nil, 405,
			`{"error": {"message": "method PATCH is not allowed on /api/v1/incidents/1"}}`},
		{"cross-origin create", b, http.MethodPost, "/api/v1/incidents", valid, []string{"Sec-Fetch-Site", "cross-site"}, 403,
			`{"error": {"message": "cross-origin request refused: cross-origin request detected from Sec-Fetch-Site header"}}`},
		{"cross-origin unlink", b, http.MethodDelete, "/api/v1/incidents/1/traces/" + okTrace, "", []string{"Origin", "https://evil.example"}, 403,
			`{"error": {"message": "cross-origin request refused: cross-origin request detected, and/or browser is out of date: Sec-Fetch-Site is missing, and Origin does not match Host"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := tc.b.apiCall(t, tc.method, tc.path, tc.body, tc.headers...)
			requireJSON(t, rec, tc.status, tc.want)
		})
	}
	t.Run("nothing changed", func(t *testing.T) {
		t.Cleanup(func() {
			require.Equal(t, before, b.counts(t))
			require.Equal(t, smallBefore, small.counts(t))
			require.Equal(t, "incidents=1 incident_status_changes=1 incident_traces=0 1:investigating:v1", before)
		})
	})
}
