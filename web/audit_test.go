package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
)

// auditEntries are the audit log's entries about object, oldest first.
func (b *bundle) auditEntries(t *testing.T, object string) []auth.Entry {
	t.Helper()
	page, err := b.acc.auth.ListAudit(context.Background(), auth.AuditFilter{Object: object, Limit: 500})
	require.NoError(t, err)
	out := make([]auth.Entry, 0, len(page.Entries))
	for i := len(page.Entries) - 1; i >= 0; i-- {
		out = append(out, page.Entries[i])
	}
	return out
}

// journeyAuditJSON is what the audit log should keep of j at version v.
func journeyAuditJSON(t *testing.T, v int, j journeys.Journey) string {
	t.Helper()
	j.Normalize()
	b, err := json.Marshal(map[string]any{"version": v, "journey": j})
	require.NoError(t, err)
	return string(b)
}

// who is an entry's actor, kind, action and object id.
func who(e auth.Entry) string {
	return strings.Join([]string{e.Actor, string(e.ActorKind), e.Action, e.ObjectID, e.RemoteAddr}, " ")
}

func TestAuditJourneyChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	// Saved from the form: created, then changed.
	require.Equal(t, http.StatusSeeOther, b.postForm(t, "/journeys/new", checkoutForm()).Code)
	form := checkoutForm()
	form.Set("metadata.name", "Checkout v2")
	require.Equal(t, http.StatusSeeOther, b.postForm(t, "/journeys/checkout/edit", form).Code)
	v2 := checkoutJourney()
	v2.Metadata.Name = "Checkout v2"

	// Applied from CI with a token; applied again unchanged, which
	// changes nothing and records nothing.
	token := b.acc.token(t, "journeys from git", auth.ScopeJourneysWrite)
	j, file := example(t, "login-flow")
	for range 2 {
		rec := b.send(t, withToken(token), http.MethodPut, "/api/v1/journeys/login-flow", strings.NewReader(string(file)), "Content-Type", "application/yaml")
		require.Contains(t, []int{http.StatusCreated, http.StatusOK}, rec.Code, rec.Body.String())
	}
	// Pasted YAML replaces it.
	edited := strings.Replace(string(file), "name: Login flow", "name: Sign-in", 1)
	require.NotEqual(t, string(file), edited)
	rec := b.postForm(t, "/journeys/login-flow/import", url.Values{"yaml": {edited}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	signIn := j
	signIn.Metadata.Name = "Sign-in"

	// Deleted from the page, and through the API.
	require.Equal(t, http.StatusSeeOther, b.postForm(t, "/journeys/checkout/delete", nil).Code)
	require.Equal(t, http.StatusNoContent, b.send(t, withToken(token), http.MethodDelete, "/api/v1/journeys/login-flow", nil).Code)

	// A journey saved by other means than the web layer (the command line,
	// the demo) is left to those to record.
	b.seed(t, "shop-checkout")
	// A refused save records nothing.
	bad := checkoutForm()
	bad.Set("metadata.slug", "Bad Slug")
	require.Equal(t, http.StatusUnprocessableEntity, b.postForm(t, "/journeys/new", bad).Code)

	got := b.auditEntries(t, "journey")
	var whos []string
	for _, e := range got {
		whos = append(whos, who(e))
	}
	require.Equal(t, []string{
		"editor@example.com user journey.create checkout 192.0.2.1",
		"editor@example.com user journey.update checkout 192.0.2.1",
		"journeys from git token journey.create login-flow 192.0.2.1",
		"editor@example.com user journey.update login-flow 192.0.2.1",
		"editor@example.com user journey.delete checkout 192.0.2.1",
		"journeys from git token journey.delete login-flow 192.0.2.1",
	}, whos)
	docs := []struct{ before, after string }{
		{"", journeyAuditJSON(t, 1, checkoutJourney())},
		{journeyAuditJSON(t, 1, checkoutJourney()), journeyAuditJSON(t, 2, v2)},
		{"", journeyAuditJSON(t, 1, j)},
		{journeyAuditJSON(t, 1, j), journeyAuditJSON(t, 2, signIn)},
		{journeyAuditJSON(t, 2, v2), ""},
		{journeyAuditJSON(t, 2, signIn), ""},
	}
	for i, d := range docs {
		if d.before == "" {
			require.Nil(t, got[i].Before, i)
		} else {
			require.JSONEq(t, d.before, string(got[i].Before), i)
		}
		if d.after == "" {
			require.Nil(t, got[i].After, i)
		} else {
			require.JSONEq(t, d.after, string(got[i].After), i)
		}
	}

	// The journey's own history names the same people.
	hist, err := b.store.JourneyHistory(ctx, "checkout")
	require.NoError(t, err)
	require.Equal(t, []string{editorEmail, editorEmail, editorEmail}, []string{hist[0].ChangedBy, hist[1].ChangedBy, hist[2].ChangedBy})
	hist, err = b.store.JourneyHistory(ctx, "login-flow")
	require.NoError(t, err)
	require.Equal(t, []string{"journeys from git", editorEmail, "journeys from git"}, []string{hist[0].ChangedBy, hist[1].ChangedBy, hist[2].ChangedBy})
}

func TestAuditIncidentChanges(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	id := b.openFromTrace(t, declinedTrace, nil)
	sid := itoa(int(id))

	require.Equal(t, http.StatusSeeOther, b.postForm(t, idPath(id, "/status"), url.Values{"status": {"identified"}}).Code)
	require.Equal(t, http.StatusSeeOther, b.postForm(t, idPath(id, "/traces"), url.Values{"trace_id": {declinedAgain}, "note": {"again"}}).Code)
	require.Equal(t, http.StatusSeeOther, b.postForm(t, idPath(id, "/traces/"+declinedAgain+"/unlink"), nil).Code)
	rec := b.apiCall(t, http.MethodPut, "/api/v1/incidents/"+sid, incidentJSON(2, "identified", `, "title": "Cards declined"`))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = b.apiCall(t, http.MethodPost, "/api/v1/incidents/"+sid+"/status", `{"status": "resolved"}`)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	// A refused change records nothing.
	require.Equal(t, http.StatusUnprocessableEntity, b.postForm(t, idPath(id, "/status"), url.Values{"status": {"nope"}}).Code)

	got := b.bundle.auditEntries(t, "incident")
	var whos []string
	for _, e := range got {
		whos = append(whos, who(e))
	}
	require.Equal(t, []string{
		"editor@example.com user incident.create " + sid + " 192.0.2.1",
		"editor@example.com user incident.status " + sid + " 192.0.2.1",
		"editor@example.com user incident.trace_link " + sid + " 192.0.2.1",
		"editor@example.com user incident.trace_unlink " + sid + " 192.0.2.1",
		"editor@example.com user incident.update " + sid + " 192.0.2.1",
		"editor@example.com user incident.status " + sid + " 192.0.2.1",
	}, whos)

	state := func(raw json.RawMessage) string {
		t.Helper()
		if raw == nil {
			return "-"
		}
		var in incident.Incident
		require.NoError(t, json.Unmarshal(raw, &in))
		return in.Title + "/" + string(in.Status) + "/v" + itoa(in.Version)
	}
	require.Equal(t, []string{
		"- → Payments failing/investigating/v1",
		"Payments failing/investigating/v1 → Payments failing/identified/v2",
	}, []string{state(got[0].Before) + " → " + state(got[0].After), state(got[1].Before) + " → " + state(got[1].After)})
	require.Equal(t, "Payments failing/identified/v2 → Cards declined/identified/v3", state(got[4].Before)+" → "+state(got[4].After))
	require.Equal(t, "Cards declined/identified/v3 → Cards declined/resolved/v4", state(got[5].Before)+" → "+state(got[5].After))

	var link incident.LinkedTrace
	require.Nil(t, got[2].Before)
	require.NoError(t, json.Unmarshal(got[2].After, &link))
	require.Equal(t, []string{declinedAgain, "again", editorEmail}, []string{link.TraceID, link.Note, link.LinkedBy})
	require.JSONEq(t, `{"trace_id": "`+declinedAgain+`"}`, string(got[3].Before))
	require.Nil(t, got[3].After)
}
