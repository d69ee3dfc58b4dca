package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
)

// tokenCall sends a JSON body (none when empty) with an API token, as alert
// automation would.
func (b *incidentBundle) tokenCall(t *testing.T, token, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var headers []string
	if body != "" {
		headers = []string{"Content-Type", "application/json"}
	}
	return b.send(t, withToken(token), method, path, strings.NewReader(body), headers...)
}

// TestAPIIncidentsWithToken runs an incident's whole life with a token of
// incidents:write alone: opened, a trace linked (and snapshotted), moved,
// edited, the trace unlinked, resolved; each change under the token's name,
// in the incident and in the audit log.
func TestAPIIncidentsWithToken(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	ctx := context.Background()
	token := b.acc.token(t, "pager", auth.ScopeIncidentsWrite)

	rec := b.tokenCall(t, token, http.MethodPost, "/api/v1/incidents", `{
		"title": "Payments failing", "severity": "SEV2", "started_at": "2026-03-01T10:00:30Z",
		"journeys": ["shop"], "steps": [{"journey": "shop", "step": "s3"}], "owner": "team-payments"
	}`)
	incidentAt := func(v int, status, extra string) string {
		return fmt.Sprintf(`{
			"id": 1, "title": "Payments failing", "severity": "SEV2", "status": %q,
			"started_at": "2026-03-01T10:00:30Z", "detected_at": "2026-03-01T10:00:30Z",
			"journeys": ["shop"], "steps": [{"journey": "shop", "step": "s3"}], "owner": "team-payments",
			"version": %d, "created_at": "2026-03-01T10:05:00Z", "created_by": "pager",
			"updated_at": "2026-03-01T10:05:00Z", "updated_by": "pager"%s
		}`, status, v, extra)
	}
	requireJSON(t, rec, http.StatusCreated, incidentAt(1, "investigating", ""))
	require.Equal(t, "/api/v1/incidents/1", rec.Header().Get("Location"))

	rec = b.tokenCall(t, token, http.MethodPost, "/api/v1/incidents/1/traces", `{"trace_id": "`+declinedTrace+`", "note": "from the alert"}`)
	snap, err := b.incidents.SnapshotJSON(ctx, 1, declinedTrace)
	require.NoError(t, err)
	requireJSON(t, rec, http.StatusCreated, fmt.Sprintf(`{
		"incident_id": 1, "trace_id": %q, "note": "from the alert", "linked_at": "2026-03-01T10:05:00Z", "linked_by": "pager",
		"start": "2026-03-01T10:00:30Z", "duration_ns": 300000000, "spans": 2,
		"root_service": "shop", "root_name": "s3", "error": "card declined", "snapshot_bytes": %d
	}`, declinedTrace, len(snap)))

	requireJSON(t, b.tokenCall(t, token, http.MethodPost, "/api/v1/incidents/1/status", `{"status": "identified"}`),
		http.StatusOK, incidentAt(2, "identified", ""))
	requireJSON(t, b.tokenCall(t, token, http.MethodPut, "/api/v1/incidents/1", incidentAt(2, "identified", `, "summary": "PSP declines cards."`)),
		http.StatusOK, incidentAt(3, "identified", `, "summary": "PSP declines cards."`))
	rec = b.tokenCall(t, token, http.MethodDelete, "/api/v1/incidents/1/traces/"+declinedTrace, "")
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	requireJSON(t, b.tokenCall(t, token, http.MethodPost, "/api/v1/incidents/1/status", `{"status": "resolved", "version": 3}`),
		http.StatusOK, incidentAt(4, "resolved", `, "summary": "PSP declines cards.", "resolved_at": "2026-03-01T10:05:00Z"`))

	// Opened from a trace: linked and snapshotted in one go.
	rec = b.tokenCall(t, token, http.MethodPost, "/api/v1/incidents", `{"title": "Timeouts", "severity": "SEV3", "trace_id": "`+timeoutTrace+`"}`)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), `"linked_by":"pager"`)

	var whos []string
	for _, e := range b.auditEntries(t, "incident") {
		whos = append(whos, who(e))
	}
	require.Equal(t, []string{
		"pager token incident.create 1 192.0.2.1",
		"pager token incident.trace_link 1 192.0.2.1",
		"pager token incident.status 1 192.0.2.1",
		"pager token incident.update 1 192.0.2.1",
		"pager token incident.trace_unlink 1 192.0.2.1",
		"pager token incident.status 1 192.0.2.1",
		"pager token incident.create 2 192.0.2.1",
	}, whos)
	// The status history names the token too.
	requireTimelineBy(t, b, 1, "pager")
	require.Equal(t, "incidents=2 incident_status_changes=4 incident_traces=1 1:resolved:v4,2:investigating:v1", b.counts(t))

	// The scope writes; it does not read.
	requireJSON(t, b.tokenCall(t, token, http.MethodGet, "/api/v1/incidents/1", ""), http.StatusForbidden,
		`{"error": {"message": "this needs the read scope"}}`)
}

// requireTimelineBy checks that every status change of incident id was
// made by actor.
func requireTimelineBy(t *testing.T, b *incidentBundle, id int64, actor string) {
	t.Helper()
	rows, err := b.pool.Query(context.Background(), `SELECT DISTINCT changed_by FROM incident_status_changes WHERE incident_id = $1`, id)
	require.NoError(t, err)
	defer rows.Close()
	var by []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		by = append(by, s)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{actor}, by)
}

// TestAPIIncidentsRefused checks that whoever may not change incidents is
// told why in their own terms, and that nothing changes.
func TestAPIIncidentsRefused(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	id := b.openFromTrace(t, declinedTrace, nil)
	before := b.counts(t)
	viewer := withCookie(b.acc.login(t, viewerEmail))
	secret, tok, err := b.acc.auth.CreateToken(context.Background(), auth.System, "revoked", []auth.Scope{auth.ScopeIncidentsWrite})
	require.NoError(t, err)
	_, err = b.acc.auth.RevokeToken(context.Background(), auth.System, tok.ID)
	require.NoError(t, err)
	everyOther := []auth.Scope{auth.ScopeRead, auth.ScopeGateRead, auth.ScopeDeploymentsWrite, auth.ScopeJourneysWrite}
	require.Len(t, everyOther, len(auth.Scopes)-1, "every scope but incidents:write")
	callers := []struct {
		name   string
		who    as
		status int
		want   string
	}{
		{"viewer", viewer, http.StatusForbidden, "this needs the editor role"},
		{"every other scope", withToken(b.acc.token(t, "ci", everyOther...)), http.StatusForbidden, "this needs the incidents:write scope"},
		{"revoked token", withToken(secret), http.StatusUnauthorized, "invalid or revoked API token"},
		{"anonymous", anonymous, http.StatusUnauthorized, "sign in or send an API token"},
	}
	sid := fmt.Sprint(id)
	requests := []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/incidents", `{"title": "x", "severity": "SEV2", "started_at": "2026-03-01T10:00:00Z"}`},
		{http.MethodPut, "/api/v1/incidents/" + sid, `{"title": "x", "severity": "SEV2", "started_at": "2026-03-01T10:00:00Z", "version": 1}`},
		{http.MethodPost, "/api/v1/incidents/" + sid + "/status", `{"status": "resolved"}`},
		{http.MethodPost, "/api/v1/incidents/" + sid + "/traces", `{"trace_id": "` + declinedAgain + `"}`},
		{http.MethodDelete, "/api/v1/incidents/" + sid + "/traces/" + declinedTrace, ""},
	}
	for _, c := range callers {
		for _, rq := range requests {
			headers := []string{"Sec-Fetch-Site", "same-origin"}
			if rq.body != "" {
				headers = append(headers, "Content-Type", "application/json")
			}
			rec := b.send(t, c.who, rq.method, rq.path, strings.NewReader(rq.body), headers...)
			requireJSON(t, rec, c.status, `{"error": {"message": "`+c.want+`"}}`)
		}
	}
	require.Equal(t, before, b.counts(t), "nothing changed")
	entries := b.auditEntries(t, "incident")
	require.Len(t, entries, 1, "only the opening")
	require.Equal(t, "editor@example.com user incident.create "+sid+" 192.0.2.1", who(entries[0]))
}

// TestREADMEIncidentRecipe sends the README's recipe for opening an
// incident from an alert, its token, curl command and body exactly as
// written, to the real handler.
func TestREADMEIncidentRecipe(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(raw), "\n### Open an incident from an alert\n")
	require.True(t, ok, "the README has the recipe")
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := fencedBlocks(section)
	require.Len(t, blocks, 3, "token, body, curl")
	require.Equal(t, "sh", blocks[0].lang)
	require.Equal(t, "json", blocks[1].lang)
	require.Equal(t, "sh", blocks[2].lang)

	b := setupIncidents(t, incidentConfig{})
	ctx := context.Background()
	j, _ := example(t, "shop-checkout")
	_, _, err = b.store.PutJourney(ctx, j, "test")
	require.NoError(t, err)

	// The token, with the scopes the README gives it.
	create := shellWords(t, blocks[0].text, nil)
	require.Equal(t, []string{"waymark", "tokens", "create", "--name", "alertmanager", "--scope", "incidents:write"}, create)
	token := b.acc.token(t, create[4], auth.Scope(create[6]))

	// The curl command, run against the handler.
	env := map[string]string{"WAYMARK_URL": "https://waymark.example", "WAYMARK_TOKEN": token}
	words := shellWords(t, blocks[2].text, env)
	require.Equal(t, []string{
		"curl", "-fsS", "-X", "POST", "https://waymark.example/api/v1/incidents",
		"-H", "Authorization: Bearer " + token,
		"-H", "Content-Type: application/json",
		"--data-binary", "@incident.json",
	}, words)
	req := httptest.NewRequest(words[3], words[4], strings.NewReader(blocks[1].text))
	for _, h := range []string{words[6], words[8]} {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Set(name, value)
	}
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	requireJSON(t, rec, http.StatusCreated, `{
		"id": 1, "title": "Checkout payments failing", "severity": "SEV2", "status": "investigating",
		"started_at": "2026-03-01T10:00:00Z", "detected_at": "2026-03-01T10:00:00Z",
		"journeys": ["shop-checkout"], "steps": [{"journey": "shop-checkout", "step": "Payment"}],
		"owner": "team-payments", "summary": "Opened by Alertmanager: the payment-success SLO is burning its error budget.",
		"version": 1, "created_at": "2026-03-01T10:05:00Z", "created_by": "alertmanager",
		"updated_at": "2026-03-01T10:05:00Z", "updated_by": "alertmanager"
	}`)
	require.Equal(t, "/api/v1/incidents/1", rec.Header().Get("Location"))
	entries := b.auditEntries(t, "incident")
	require.Len(t, entries, 1)
	require.Equal(t, "alertmanager token incident.create 1 192.0.2.1", who(entries[0]))
	require.Nil(t, entries[0].Before)
	require.Contains(t, string(entries[0].After), `"created_by": "alertmanager"`)
}

// fencedBlock is one fenced code block of a Markdown text.
type fencedBlock struct{ lang, text string }

func fencedBlocks(md string) []fencedBlock {
	var out []fencedBlock
	var cur *fencedBlock
	for _, line := range strings.Split(md, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fencedBlock{lang: strings.TrimPrefix(line, "```")}
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	return out
}

// shellWords splits one shell command, continued over lines with
// backslashes, into its words the way sh would: single quotes keep
// everything, double quotes expand $NAME from env. Anything else a shell
// would do differently fails the test, so the README stays a command that
// works as written.
func shellWords(t *testing.T, cmd string, env map[string]string) []string {
	t.Helper()
	cmd = strings.TrimSpace(strings.ReplaceAll(cmd, "\\\n", " "))
	require.NotContains(t, cmd, "\n", "one command")
	var words []string
	var w strings.Builder
	inWord := false
	expand := func(s string) string {
		var out strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] != '$' {
				out.WriteByte(s[i])
				continue
			}
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			name := s[i+1 : j]
			v, ok := env[name]
			require.True(t, ok, "unknown variable $%s in %q", name, cmd)
			out.WriteString(v)
			i = j - 1
		}
		return out.String()
	}
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case c == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			end := strings.IndexByte(cmd[i+1:], c)
			require.GreaterOrEqual(t, end, 0, "unterminated quote in %q", cmd)
			part := cmd[i+1 : i+1+end]
			if c == '"' {
				require.NotContains(t, part, "`", "no command substitution")
				require.NotContains(t, part, "\\", "no escapes")
				part = expand(part)
			}
			w.WriteString(part)
			inWord = true
			i += end + 1
		default:
			require.NotContains(t, "$`\\|&;<>(){}*?[]~#", string(c), "unquoted shell syntax in %q", cmd)
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
