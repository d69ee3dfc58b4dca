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
)

// slackURL is a Slack webhook whose path is its secret.
const slackURL = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0k3n"

func TestAdminChannels(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{alerting: true})
	ctx := context.Background()
	admin := withCookie(b.acc.login(t, adminEmail))
	list := func() string {
		rec := b.send(t, admin, http.MethodGet, "/admin/channels", nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.NotContains(t, rec.Body.String(), "s3cr3t", "the URL's secret is never shown")
		return cells(testID(page(t, rec), "channel-table").Find("tbody tr"))
	}

	doc := page(t, b.send(t, admin, http.MethodGet, "/admin/channels", nil))
	require.Equal(t, 1, testID(doc, "no-channels").Length())
	require.Equal(t, "Channels", testID(doc, "tab-channels").Text())
	// A new channel starts enabled, as a webhook.
	require.Equal(t, "webhook", inputValue(doc, "kind"))
	_, checked := testID(doc, "channel-enabled").Attr("checked")
	require.True(t, checked)

	// Invalid input: every message beside its field, the input kept.
	bad := url.Values{"name": {" "}, "kind": {"pager"}, "url": {"ftp://files.example/x"}, "journeys": {"shop, Bad Slug, x y"}}
	rec := b.postFormAs(t, admin, "/admin/channels", bad)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	doc = page(t, rec)
	for field, msg := range map[string]string{
		"name":     "required",
		"kind":     `unknown kind "pager"; use webhook, slack or alertmanager`,
		"url":      "must be an http or https URL",
		"journeys": `"Bad" is not a journey slug`,
	} {
		require.Equal(t, msg, testID(doc, "error-"+field).Text(), field)
	}
	require.Equal(t, "ftp://files.example/x", inputValue(doc, "url"))
	require.Equal(t, "shop, Bad Slug, x y", inputValue(doc, "journeys"))
	_, checked = testID(doc, "channel-enabled").Attr("checked")
	require.False(t, checked, "an unticked box stays unticked")

	// Created, it is listed with its URL redacted.
	rec = b.postFormAs(t, admin, "/admin/channels", url.Values{"name": {" sre "}, "kind": {"slack"}, "url": {slackURL},
		"journeys": {"shop, checkout"}, "enabled": {"true"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, "/admin/channels", rec.Header().Get("Location"))
	cs, err := b.alerting.Channels(ctx)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	c := cs[0]
	id := itoa(int(c.ID))
	require.Equal(t, slackURL, c.URL)
	require.Equal(t, "sre | slack | https://hooks.slack.com/… | shop, checkout | enabled | Edit DisableDelete", list())

	// A second channel with the name is refused beside the name.
	rec = b.postFormAs(t, admin, "/admin/channels", url.Values{"name": {"sre"}, "kind": {"webhook"}, "url": {"https://hooks.example"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Equal(t, `another channel is named "sre"`, testID(page(t, rec), "error-name").Text())

	// The edit form leaves the URL empty; saved empty, the URL is kept.
	rec = b.send(t, admin, http.MethodGet, "/admin/channels/"+id+"/edit", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotContains(t, rec.Body.String(), "s3cr3t")
	doc = page(t, rec)
	require.Equal(t, "", inputValue(doc, "url"))
	require.Equal(t, "sre", inputValue(doc, "name"))
	require.Equal(t, "slack", inputValue(doc, "kind"))
	require.Equal(t, "shop, checkout", inputValue(doc, "journeys"))
	require.Equal(t, "Sends to https://hooks.slack.com/…. The full URL is not shown, since it may hold a secret.", squash(testID(doc, "current-url").Text()))
	rec = b.postFormAs(t, admin, "/admin/channels/"+id+"/edit", url.Values{"name": {"sre-pager"}, "kind": {"slack"}, "url": {""}, "journeys": {""}, "enabled": {"true"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	c, err = b.alerting.Channel(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, slackURL, c.URL)
	require.Equal(t, "sre-pager | slack | https://hooks.slack.com/… | all journeys | enabled | Edit DisableDelete", list())
	// An invalid edit re-renders the edit form as typed.
	rec = b.postFormAs(t, admin, "/admin/channels/"+id+"/edit", url.Values{"name": {"sre-pager"}, "kind": {"slack"}, "url": {"hooks"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	doc = page(t, rec)
	require.Equal(t, "must be an http or https URL", testID(doc, "error-url").Text())
	require.Equal(t, "hooks", inputValue(doc, "url"))

	// Disabled and enabled again.
	require.Equal(t, http.StatusSeeOther, b.postFormAs(t, admin, "/admin/channels/"+id+"/disable", nil).Code)
	require.Equal(t, "sre-pager | slack | https://hooks.slack.com/… | all journeys | disabled | Edit EnableDelete", list())
	require.Equal(t, http.StatusSeeOther, b.postFormAs(t, admin, "/admin/channels/"+id+"/enable", nil).Code)
	require.Equal(t, http.StatusSeeOther, b.postFormAs(t, admin, "/admin/channels/"+id+"/enable", nil).Code, "enabling twice changes nothing")

	// Deleted after confirmation.
	rec = b.send(t, admin, http.MethodGet, "/admin/channels/"+id+"/delete", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "Delete channel sre-pager?", squash(testID(page(t, rec), "delete-confirm").Find("h1").Text()))
	require.Equal(t, http.StatusSeeOther, b.postFormAs(t, admin, "/admin/channels/"+id+"/delete", nil).Code)
	require.Equal(t, 1, testID(page(t, b.send(t, admin, http.MethodGet, "/admin/channels", nil)), "no-channels").Length())
	require.Equal(t, http.StatusNotFound, b.postFormAs(t, admin, "/admin/channels/"+id+"/delete", nil).Code)
	require.Equal(t, http.StatusBadRequest, b.send(t, admin, http.MethodGet, "/admin/channels/x/edit", nil).Code)

	// Every change is in the audit log, without the URL's secret.
	log, err := b.acc.auth.ListAudit(ctx, auth.AuditFilter{Object: "channel"})
	require.NoError(t, err)
	var actions []string
	for _, e := range log.Entries {
		actions = append(actions, e.Action)
		require.Equal(t, adminEmail, e.Actor)
		require.Equal(t, id, e.ObjectID)
		require.NotContains(t, string(e.Before)+string(e.After), "s3cr3t")
	}
	require.Equal(t, []string{"channel.delete", "channel.enable", "channel.disable", "channel.update", "channel.create"}, actions)
	created := log.Entries[4]
	require.Nil(t, created.Before)
	require.JSONEq(t, `{"id":`+id+`,"name":"sre","kind":"slack","url":"https://hooks.slack.com/…","journeys":["shop","checkout"],"enabled":true,
		"created_at":"2026-03-01T10:05:00Z","updated_at":"2026-03-01T10:05:00Z"}`, string(created.After))
	require.Nil(t, log.Entries[0].After)
}

func TestAPIChannels(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{alerting: true})
	admin := withCookie(b.acc.login(t, adminEmail))
	send := func(method, target, body string) (int, string) {
		t.Helper()
		var headers []string
		if method != http.MethodGet {
			headers = []string{"Sec-Fetch-Site", "same-origin"}
		}
		if body != "" {
			headers = append(headers, "Content-Type", "application/json")
		}
		rec := b.send(t, admin, method, target, strings.NewReader(body), headers...)
		require.NotContains(t, rec.Body.String(), "s3cr3t")
		return rec.Code, rec.Body.String()
	}

	code, body := send(http.MethodGet, "/api/v1/channels", "")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"channels":[]}`, body)

	code, body = send(http.MethodPost, "/api/v1/channels", `{"name":"sre","kind":"slack","url":"`+slackURL+`","journeys":["shop"]}`)
	require.Equal(t, http.StatusCreated, code, body)
	var created struct {
		ID int64 `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &created))
	id := itoa(int(created.ID))
	want := `{"id":` + id + `,"name":"sre","kind":"slack","url":"https://hooks.slack.com/…","journeys":["shop"],"enabled":true,
		"created_at":"2026-03-01T10:05:00Z","updated_at":"2026-03-01T10:05:00Z"}`
	require.JSONEq(t, want, body)
	code, body = send(http.MethodGet, "/api/v1/channels/"+id, "")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, want, body)

	tests := []struct {
		name, method, target, body string
		code                       int
		want                       string
	}{
		{"invalid", http.MethodPost, "/api/v1/channels", `{"name":"","kind":"pager","url":"x","journeys":["ok","Not OK"]}`, 422,
			`{"error":{"message":"invalid channel","fields":{"name":"required","kind":"unknown kind \"pager\"; use webhook, slack or alertmanager",
			"url":"must be an http or https URL","journeys[1]":"\"Not OK\" is not a journey slug"}}}`},
		{"NUL", http.MethodPost, "/api/v1/channels", `{"name":"a\u0000b","kind":"webhook","url":"https://x.example"}`, 422,
			`{"error":{"message":"invalid channel","fields":{"name":"contains a NUL character"}}}`},
		{"name taken", http.MethodPost, "/api/v1/channels", `{"name":"sre","kind":"webhook","url":"https://x.example"}`, 409,
			`{"error":{"message":"conflict","fields":{"name":"another channel is named \"sre\""}}}`},
		{"unknown field", http.MethodPost, "/api/v1/channels", `{"name":"x","secret":true}`, 422,
			`{"error":{"message":"invalid channel","fields":{"secret":"unknown field"}}}`},
		{"malformed", http.MethodPost, "/api/v1/channels", `{"name":`, 400,
			`{"error":{"message":"malformed body: JSON ends too early"}}`},
		{"unknown id", http.MethodGet, "/api/v1/channels/999999", "", 404, `{"error":{"message":"channel 999999 not found"}}`},
		{"bad id", http.MethodGet, "/api/v1/channels/abc", "", 400,
			`{"error":{"message":"\"abc\" is not a channel id: expected a positive whole number"}}`},
	}
	for _, tt := range tests {
		code, body := send(tt.method, tt.target, tt.body)
		require.Equal(t, tt.code, code, tt.name+": "+body)
		require.JSONEq(t, tt.want, body, tt.name)
	}

	// PUT without a URL keeps it, and without enabled keeps that too.
	code, body = send(http.MethodPut, "/api/v1/channels/"+id, `{"name":"sre","kind":"slack","enabled":false}`)
	require.Equal(t, http.StatusOK, code, body)
	code, body = send(http.MethodPut, "/api/v1/channels/"+id, `{"name":"sre-all","kind":"slack"}`)
	require.Equal(t, http.StatusOK, code, body)
	require.JSONEq(t, `{"id":`+id+`,"name":"sre-all","kind":"slack","url":"https://hooks.slack.com/…","journeys":[],"enabled":false,
		"created_at":"2026-03-01T10:05:00Z","updated_at":"2026-03-01T10:05:00Z"}`, body)
	c, err := b.alerting.Channel(context.Background(), created.ID)
	require.NoError(t, err)
	require.Equal(t, slackURL, c.URL)

	code, _ = send(http.MethodDelete, "/api/v1/channels/"+id, "")
	require.Equal(t, http.StatusNoContent, code)
	code, _ = send(http.MethodDelete, "/api/v1/channels/"+id, "")
	require.Equal(t, http.StatusNotFound, code)

	log, err := b.acc.auth.ListAudit(context.Background(), auth.AuditFilter{Object: "channel"})
	require.NoError(t, err)
	var actions []string
	for _, e := range log.Entries {
		actions = append(actions, e.Action)
	}
	require.Equal(t, []string{"channel.delete", "channel.update", "channel.update", "channel.create"}, actions)
}
