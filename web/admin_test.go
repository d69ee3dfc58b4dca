package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/api"
)

// generatedPassword is what auth.GeneratePassword makes.
var generatedPassword = regexp.MustCompile(`^[0-9A-Za-z]{24}$`)

// userRows are the users table's rows: email | role | status | last sign-in.
func userRows(doc *goquerySelection) []string {
	var out []string
	doc.Find(`[data-testid="user-table"] tbody tr`).Each(func(_ int, tr *goquerySelection) {
		role, _ := tr.Find(`[data-testid="user-role"] option[selected]`).Attr("value")
		out = append(out, strings.Join([]string{
			squash(tr.Find(`[data-testid="user-email"]`).Text()), role,
			squash(tr.Find(`[data-testid="user-status"]`).Text()),
			squash(tr.Find(`[data-testid="user-last-login"]`).Text()),
		}, " | "))
	})
	return out
}

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	admin := withCookie(b.acc.login(t, adminEmail))

	rec := b.send(t, admin, http.MethodGet, "/admin/users", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	doc := page(t, rec)
	require.Equal(t, []string{
		"admin@example.com you | admin | active | 2026-03-02 09:00 UTC",
		"editor@example.com | editor | active | 2026-03-02 09:00 UTC",
		"viewer@example.com | viewer | active | never",
	}, userRows(doc.Selection))
	require.Equal(t, 0, testID(doc, "one-time").Length())
	require.Equal(t, "page", testID(doc, "tab-users").AttrOr("aria-current", ""))
	require.Equal(t, "/admin/users", testID(doc, "nav-admin").AttrOr("href", ""))

	// Add a user: the one-time password is shown once, and works.
	rec = b.postFormAs(t, admin, "/admin/users", url.Values{"email": {" Pat@Example.com "}, "role": {"editor"}})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	doc = page(t, rec)
	require.Equal(t, "Created pat@example.com (editor)", squash(doc.Find(".one-time-title").Text()))
	password := testID(doc, "secret").Text()
	require.Regexp(t, generatedPassword, password)
	require.Equal(t, newAssets().url("copy.js"), doc.Find(`script[src^="/static/copy.js"]`).AttrOr("src", ""))
	pat, err := b.acc.auth.UserByEmail(ctx, "pat@example.com")
	require.NoError(t, err)
	require.Equal(t, auth.RoleEditor, pat.Role)
	rec = b.postFormAs(t, anonymous, "/login", loginForm("pat@example.com", password, ""))
	require.Equal(t, http.StatusSeeOther, rec.Code)

	doc = page(t, b.send(t, admin, http.MethodGet, "/admin/users", nil))
	require.Equal(t, 0, testID(doc, "one-time").Length())
	require.NotContains(t, doc.Text(), password)
	require.Len(t, doc.Find(`[data-testid="user-table"] tbody tr`).Nodes, 4)

	// A bad or taken email, a role that is none, are said beside the
	// field, the form kept as typed.
	cases := []struct {
		email, role string
		status      int
		field, msg  string
	}{
		{"pat@example.com", "viewer", http.StatusConflict, "email", "a user with this email already exists"},
		{"pat", "viewer", http.StatusUnprocessableEntity, "email", `"pat" is not an address like name@example.com`},
		{"", "viewer", http.StatusUnprocessableEntity, "email", "must be set"},
		{"sam@example.com", "boss", http.StatusUnprocessableEntity, "role", `"boss" is not one of viewer, editor, admin`},
	}
	for _, tc := range cases {
		rec := b.postFormAs(t, admin, "/admin/users", url.Values{"email": {tc.email}, "role": {tc.role}})
		require.Equal(t, tc.status, rec.Code, tc.email)
		doc := page(t, rec)
		require.Equal(t, tc.msg, testID(doc, "error-"+tc.field).Text(), tc.email)
		require.Equal(t, tc.email, inputValue(doc, "email"))
		require.Equal(t, 0, testID(doc, "one-time").Length())
	}
	users, err := b.acc.auth.ListUsers(ctx)
	require.NoError(t, err)
	require.Len(t, users, 4)

	// Change a role.
	viewerID := itoa(int(b.acc.users[viewerEmail].ID))
	rec = b.postFormAs(t, admin, "/admin/users/"+viewerID+"/role", url.Values{"role": {"editor"}})
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/admin/users", rec.Header().Get("Location"))
	u, err := b.acc.auth.GetUser(ctx, b.acc.users[viewerEmail].ID)
	require.NoError(t, err)
	require.Equal(t, auth.RoleEditor, u.Role)

	// Disable: their sessions end, and they cannot sign in; enable again.
	viewer := b.acc.login(t, viewerEmail)
	rec = b.postFormAs(t, admin, "/admin/users/"+viewerID+"/disable", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, http.StatusSeeOther, b.send(t, withCookie(viewer), http.MethodGet, "/journeys", nil).Code)
	require.Equal(t, http.StatusUnauthorized, b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, testPassword, "")).Code)
	doc = page(t, b.send(t, admin, http.MethodGet, "/admin/users", nil))
	require.Equal(t, "disabled", squash(testID(doc, "user-"+viewerID).Find(`[data-testid="user-status"]`).Text()))
	require.Equal(t, 1, testID(doc, "user-"+viewerID).Find(`[data-testid="enable-user"]`).Length())
	rec = b.postFormAs(t, admin, "/admin/users/"+viewerID+"/enable", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, http.StatusSeeOther, b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, testPassword, "")).Code)

	// Reset a password: the new one is shown once, the old one stops
	// working, sessions end.
	viewer = b.acc.login(t, viewerEmail)
	rec = b.postFormAs(t, admin, "/admin/users/"+viewerID+"/password", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc = page(t, rec)
	require.Equal(t, "New password for viewer@example.com", squash(doc.Find(".one-time-title").Text()))
	fresh := testID(doc, "secret").Text()
	require.Regexp(t, generatedPassword, fresh)
	require.Equal(t, http.StatusSeeOther, b.send(t, withCookie(viewer), http.MethodGet, "/journeys", nil).Code)
	require.Equal(t, http.StatusUnauthorized, b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, testPassword, "")).Code)
	require.Equal(t, http.StatusSeeOther, b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, fresh, "")).Code)

	// The last enabled admin can neither be demoted nor disabled.
	adminID := itoa(int(b.acc.users[adminEmail].ID))
	for _, target := range []string{"/admin/users/" + adminID + "/role", "/admin/users/" + adminID + "/disable"} {
		rec := b.postFormAs(t, admin, target, url.Values{"role": {"editor"}})
		require.Equal(t, http.StatusConflict, rec.Code, target)
		require.Equal(t, "The last enabled admin cannot be demoted or disabled.", testID(page(t, rec), "error-message").Text())
	}

	// Unknown and malformed ids, unknown roles.
	for _, tc := range []struct {
		target string
		form   url.Values
		status int
		msg    string
	}{
		{"/admin/users/999999/disable", nil, http.StatusNotFound, "User 999999 not found."},
		{"/admin/users/999999/password", nil, http.StatusNotFound, "User 999999 not found."},
		{"/admin/users/x/enable", nil, http.StatusBadRequest, `"x" is not a user id: expected a positive whole number.`},
		{"/admin/users/" + viewerID + "/role", url.Values{"role": {"root"}}, http.StatusUnprocessableEntity,
			`The request was not valid: role: "root" is not one of viewer, editor, admin.`},
	} {
		rec := b.postFormAs(t, admin, tc.target, tc.form)
		require.Equal(t, tc.status, rec.Code, tc.target)
		require.Equal(t, tc.msg, testID(page(t, rec), "error-message").Text(), tc.target)
	}

	// Each change is in the audit log, by the admin.
	log, err := b.acc.auth.ListAudit(ctx, auth.AuditFilter{Actor: adminEmail})
	require.NoError(t, err)
	var actions []string
	for _, e := range log.Entries {
		if e.Action != "user.login" {
			actions = append(actions, e.Action+" "+e.ObjectID)
		}
	}
	require.Equal(t, []string{
		"user.password " + viewerID,
		"user.enable " + viewerID,
		"user.disable " + viewerID,
		"user.role " + viewerID,
		"user.create " + itoa(int(pat.ID)),
	}, actions)
}

func TestAdminTokens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	admin := withCookie(b.acc.login(t, adminEmail))

	doc := page(t, b.send(t, admin, http.MethodGet, "/admin/tokens", nil))
	require.Equal(t, 1, testID(doc, "no-tokens").Length())

	rec := b.postFormAs(t, admin, "/admin/tokens", url.Values{"name": {" deploy pipeline "}, "scopes": {"deployments:write", "read"}})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	doc = page(t, rec)
	secret := testID(doc, "secret").Text()
	require.Regexp(t, `^wmk_[0-9A-Za-z]{43}$`, secret)
	require.Equal(t, "Created token deploy pipeline (read, deployments:write)", squash(doc.Find(".one-time-title").Text()))

	tokens, err := b.acc.auth.ListTokens(ctx)
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	id := itoa(int(tokens[0].ID))
	row := func() string {
		doc := page(t, b.send(t, admin, http.MethodGet, "/admin/tokens", nil))
		require.NotContains(t, doc.Text(), secret[len(auth.TokenPrefix)+8:], "the secret is shown once")
		return cells(testID(doc, "token-"+id))
	}
	require.Equal(t, "deploy pipeline | "+secret[:12]+"… | read, deployments:write | 2026-03-02 09:00 UTC by admin@example.com | never | active | Revoke", row())

	// Used, it says when; it reads, and it may not write journeys.
	b.acc.clock.Advance(90 * time.Second)
	require.Equal(t, http.StatusOK, b.send(t, withToken(secret), http.MethodGet, "/api/v1/journeys", nil).Code)
	require.Equal(t, http.StatusForbidden, b.send(t, withToken(secret), http.MethodDelete, "/api/v1/journeys/nope", nil).Code)
	require.Equal(t, "deploy pipeline | "+secret[:12]+"… | read, deployments:write | 2026-03-02 09:00 UTC by admin@example.com | 2026-03-02 09:01 UTC | active | Revoke", row())

	// Revoked, it stops working at once.
	rec = b.postFormAs(t, admin, "/admin/tokens/"+id+"/revoke", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/admin/tokens", rec.Header().Get("Location"))
	rec = b.send(t, withToken(secret), http.MethodGet, "/api/v1/journeys", nil)
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.JSONEq(t, `{"error":{"message":"invalid or revoked API token"}}`, rec.Body.String())
	require.Equal(t, "deploy pipeline | "+secret[:12]+"… | read, deployments:write | 2026-03-02 09:00 UTC by admin@example.com | 2026-03-02 09:01 UTC | revoked 2026-03-02 09:01 UTC | ", row())
	// Revoking again changes nothing.
	require.Equal(t, http.StatusSeeOther, b.postFormAs(t, admin, "/admin/tokens/"+id+"/revoke", nil).Code)

	for _, tc := range []struct {
		form       url.Values
		field, msg string
	}{
		{url.Values{"name": {"x"}}, "scopes", "give at least one of read, gate:read, deployments:write, journeys:write, incidents:write"},
		{url.Values{"name": {"x"}, "scopes": {"admin"}}, "scopes", `"admin" is not one of read, gate:read, deployments:write, journeys:write, incidents:write`},
		{url.Values{"name": {"  "}, "scopes": {"read"}}, "name", "must be set"},
	} {
		rec := b.postFormAs(t, admin, "/admin/tokens", tc.form)
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		doc := page(t, rec)
		require.Equal(t, tc.msg, testID(doc, "error-"+tc.field).Text())
		require.Equal(t, 0, testID(doc, "one-time").Length())
		// The ticked scopes stay ticked.
		for _, s := range tc.form["scopes"] {
			if auth.Scope(s).Valid() {
				_, checked := testID(doc, "scope-"+s).Attr("checked")
				require.True(t, checked, s)
			}
		}
	}
	rec = b.postFormAs(t, admin, "/admin/tokens/999999/revoke", nil)
	require.Equal(t, http.StatusNotFound, rec.Code)

	log, err := b.acc.auth.ListAudit(ctx, auth.AuditFilter{Object: "api_token"})
	require.NoError(t, err)
	require.Len(t, log.Entries, 2)
	require.Equal(t, []string{"api_token.revoke", "api_token.create"}, []string{log.Entries[0].Action, log.Entries[1].Action})
	require.Equal(t, adminEmail, log.Entries[1].Actor)
	require.JSONEq(t, `{"id":`+id+`,"name":"deploy pipeline","prefix":"`+secret[:12]+`","scopes":["read","deployments:write"],"revoked":false}`,
		string(log.Entries[1].After))
}

func TestAdminAudit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	admin := withCookie(b.acc.login(t, adminEmail))
	// Entries at known times: the users of setup were created at 09:00,
	// the admin signed in then; a token an hour later.
	b.acc.clock.Advance(time.Hour)
	require.Equal(t, http.StatusCreated, b.postFormAs(t, admin, "/admin/tokens", url.Values{"name": {"ci"}, "scopes": {"read"}}).Code)

	rec := b.send(t, admin, http.MethodGet, "/admin/audit", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	var rows []string
	doc.Find(`[data-testid="audit-table"] tbody tr`).Each(func(_ int, tr *goquerySelection) {
		rows = append(rows, strings.Join([]string{
			squash(tr.Find(`[data-testid="entry-at"]`).Text()), squash(tr.Find(`[data-testid="entry-actor"]`).Text()),
			squash(tr.Find(`[data-testid="entry-action"]`).Text()), squash(tr.Find(`[data-testid="entry-object"]`).Text()),
			squash(tr.Find(`[data-testid="entry-from"]`).Text()),
		}, " | "))
	})
	tokenID := func() string {
		ts, err := b.acc.auth.ListTokens(ctx)
		require.NoError(t, err)
		return itoa(int(ts[0].ID))
	}()
	uid := func(email string) string { return itoa(int(b.acc.users[email].ID)) }
	require.Equal(t, []string{
		"2026-03-02 10:00 UTC | admin@example.com user | api_token.create | api_token " + tokenID + " | 192.0.2.1",
		"2026-03-02 09:00 UTC | admin@example.com user | user.login | user " + uid(adminEmail) + " | 192.0.2.1",
		"2026-03-02 09:00 UTC | editor@example.com user | user.login | user " + uid(editorEmail) + " | 192.0.2.1",
	}, rows[:3])
	require.Len(t, rows, 6) // and the three users' creation by the system

	// Filters, as typed, narrow it.
	doc = page(t, b.send(t, admin, http.MethodGet, "/admin/audit?action=user.create&since=2026-03-02+08:00&until=2026-03-02T09:30:00Z", nil))
	require.Len(t, doc.Find(`[data-testid="audit-table"] tbody tr`).Nodes, 3)
	require.Equal(t, "user.create", inputValue(doc, "action"))
	require.Equal(t, "2026-03-02 08:00", inputValue(doc, "since"))
	require.Equal(t, 1, testID(doc, "filter-clear").Length())
	doc = page(t, b.send(t, admin, http.MethodGet, "/admin/audit?actor=nobody", nil))
	require.Equal(t, "No entries match", squash(testID(doc, "empty-state").Find("h2").Text()))

	// A time that is none is said beside its field.
	rec = b.send(t, admin, http.MethodGet, "/admin/audit?since=yesterday", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, `"yesterday" must be a UTC time such as 2026-03-01 10:00, or RFC 3339`, testID(page(t, rec), "error-since").Text())
	rec = b.send(t, admin, http.MethodGet, "/admin/audit?cursor=zzz", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, "Cursor: is not a cursor from a previous page.", testID(page(t, rec), "error-message").Text())

	// The API: one page at a time, with the cursor to the next.
	rec = b.send(t, admin, http.MethodGet, "/api/v1/audit?object=api_token", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	var got api.AuditPage
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Len(t, got.Entries, 1)
	e := got.Entries[0]
	require.Equal(t, []string{"admin@example.com", "user", "api_token.create", "api_token", tokenID, "192.0.2.1", "2026-03-02T10:00:00Z"},
		[]string{e.Actor, string(e.ActorKind), e.Action, e.Object, e.ObjectID, e.RemoteAddr, e.At.Format(time.RFC3339)})
	require.Nil(t, e.Before)
	require.JSONEq(t, `{"id":`+tokenID+`,"name":"ci","prefix":"`+afterPrefix(t, e)+`","scopes":["read"],"revoked":false}`, string(e.After))
	require.Empty(t, got.Next)

	var seen []string
	cursor := ""
	for range 10 {
		rec := b.send(t, admin, http.MethodGet, "/api/v1/audit?action=user.create&limit=2&cursor="+url.QueryEscape(cursor), nil)
		require.Equal(t, http.StatusOK, rec.Code)
		var p api.AuditPage
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
		for _, e := range p.Entries {
			seen = append(seen, e.ObjectID)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	require.ElementsMatch(t, []string{uid(viewerEmail), uid(editorEmail), uid(adminEmail)}, seen)
	require.Len(t, seen, 3)

	for _, tc := range []struct{ query, body string }{
		{"limit=0", `{"error":{"message":"limit: \"0\" is not a whole number from 1 to 500","fields":{"limit":"\"0\" is not a whole number from 1 to 500"}}}`},
		{"since=2026-03-02T10:00:00Z&until=2026-03-02T09:00:00Z", `{"error":{"message":"since: must be before until","fields":{"since":"must be before until"}}}`},
		{"cursor=zzz", `{"error":{"message":"cursor: is not a cursor from a previous page","fields":{"cursor":"is not a cursor from a previous page"}}}`},
	} {
		rec := b.send(t, admin, http.MethodGet, "/api/v1/audit?"+tc.query, nil)
		require.Equal(t, http.StatusBadRequest, rec.Code, tc.query)
		require.JSONEq(t, tc.body, rec.Body.String(), tc.query)
	}
}

// afterPrefix is the token prefix an api_token entry records.
func afterPrefix(t *testing.T, e api.AuditEntry) string {
	t.Helper()
	var doc struct {
		Prefix string `json:"prefix"`
	}
	require.NoError(t, json.Unmarshal(e.After, &doc))
	require.Regexp(t, `^wmk_[0-9A-Za-z]{8}$`, doc.Prefix)
	return doc.Prefix
}
