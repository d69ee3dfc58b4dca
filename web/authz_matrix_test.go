package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/journeys"
)

// wantCSP is the content security policy every response carries: scripts,
// styles and images from Waymark only, nothing inline, never framed.
const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// caller is one column of the matrix: nobody, a user of each role, a token
// of each scope.
type caller string

const (
	nobody        caller = "anonymous"
	viewer        caller = "viewer"
	editor        caller = "editor"
	admin         caller = "admin"
	readToken     caller = "token read"
	gateToken     caller = "token gate:read"
	deployToken   caller = "token deployments:write"
	journeyToken  caller = "token journeys:write"
	incidentToken caller = "token incidents:write"
)

var callers = []caller{nobody, viewer, editor, admin, readToken, gateToken, deployToken, journeyToken, incidentToken}

// rule is who may call a route, and what the others who are signed in are
// told: people in terms of roles, tokens in terms of scopes.
type rule struct {
	who            []caller
	people, tokens string
}

// Who may call a route, written out from the roles' and scopes' meaning
// (not computed from the code under test).
var (
	everyone = rule{who: callers}
	users    = rule{who: []caller{viewer, editor, admin},
		tokens: "this needs a signed-in user, not an API token"}
	readers = rule{who: []caller{viewer, editor, admin, readToken},
		tokens: "this needs the read scope"}
	gateReaders = rule{who: []caller{viewer, editor, admin, readToken, gateToken},
		tokens: "this needs the gate:read scope"}
	journeyWriters = rule{who: []caller{editor, admin, journeyToken},
		people: "this needs the editor role", tokens: "this needs the journeys:write scope"}
	deployWriters = rule{who: []caller{editor, admin, deployToken},
		people: "this needs the editor role", tokens: "this needs the deployments:write scope"}
	// incidentWriters change incidents through the API.
	incidentWriters = rule{who: []caller{editor, admin, incidentToken},
		people: "this needs the editor role", tokens: "this needs the incidents:write scope"}
	// editors change incidents on their pages, which are for people.
	editors = rule{who: []caller{editor, admin},
		people: "this needs the editor role", tokens: "this needs a signed-in user with the editor role, not an API token"}
	admins = rule{who: []caller{admin},
		people: "this needs the admin role", tokens: "this needs a signed-in user with the admin role, not an API token"}
)

// routeCase is one row of the matrix: a request to the route, who may make
// it, and the status they get. Requests that would change something are
// chosen to be refused by the handler itself (invalid input, an unknown
// id), so that the status still proves the handler was reached, and the
// rows do not depend on one another.
type routeCase struct {
	target string
	body   string
	ctype  string
	who    rule
	ok     int
	// ends is set for sign-outs, which end the session they are sent
	// with: they run last, each with a session of its own.
	ends bool
}

// TestRoleRouteMatrix sends every route the router has to every kind of
// caller and checks the status each gets. A route missing from the matrix
// fails the test: whoever adds a route decides who may call it here.
func TestRoleRouteMatrix(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{alerting: true})
	ctx := context.Background()

	// The shop journey with an SLO, an incident citing a trace, a deploy.
	j := b.journey
	j.Spec.SLOs = []journeys.SLO{{Name: "s3-success", Step: "s3", Kind: journeys.SLOSuccess,
		Objective: 0.9, Window: journeys.NewDuration(journeys.Day)}}
	_, _, err := b.store.PutJourney(ctx, j, "test")
	require.NoError(t, err)
	inc := itoa(int(b.openFromTrace(t, declinedTrace, nil)))
	dep, err := b.alerting.CreateDeployment(ctx, deploy.DeploymentInput{Service: "shop", Version: "1.0.0", Environment: "production", At: sat(time.Minute)})
	require.NoError(t, err)
	depID := fmt.Sprint(dep.ID)
	const form = "application/x-www-form-urlencoded"
	const jsonType = "application/json"

	matrix := map[string]routeCase{
		"GET /healthz":            {target: "/healthz", who: everyone, ok: 200},
		"GET /readyz":             {target: "/readyz", who: everyone, ok: 200},
		"GET /metrics":            {target: "/metrics", who: everyone, ok: 200},
		"GET /static/*":           {target: "/static/app.css", who: everyone, ok: 200},
		"GET /login":              {target: "/login", who: everyone, ok: 200},
		"POST /login":             {target: "/login", ctype: form, who: everyone, ok: 422},
		"POST /logout":            {target: "/logout", who: everyone, ok: 303, ends: true},
		"POST /logout/everywhere": {target: "/logout/everywhere", who: users, ok: 303, ends: true},

		"GET /":                                        {target: "/", who: readers, ok: 302},
		"GET /journeys":                                {target: "/journeys", who: readers, ok: 200},
		"GET /journeys/new":                            {target: "/journeys/new", who: journeyWriters, ok: 200},
		"POST /journeys/new":                           {target: "/journeys/new", ctype: form, who: journeyWriters, ok: 422},
		"POST /journeys/import":                        {target: "/journeys/import", ctype: form, who: journeyWriters, ok: 422},
		"GET /journeys/{slug}":                         {target: "/journeys/shop", who: readers, ok: 200},
		"GET /journeys/suggested":                      {target: "/journeys/suggested", who: readers, ok: 200},
		"GET /journeys/suggest/{what}":                 {target: "/journeys/suggest/services?list=services-0", who: journeyWriters, ok: 200},
		"GET /journeys/preview/step":                   {target: "/journeys/preview/step?step=0", who: journeyWriters, ok: 200},
		"GET /journeys/{slug}/definition":              {target: "/journeys/shop/definition", who: readers, ok: 200},
		"GET /journeys/{slug}/why":                     {target: "/journeys/shop/why?step=1&compare=slow", who: readers, ok: 200},
		"GET /journeys/{slug}/heatmap":                 {target: "/journeys/shop/heatmap", who: readers, ok: 200},
		"GET /journeys/{slug}/edit":                    {target: "/journeys/shop/edit", who: journeyWriters, ok: 200},
		"POST /journeys/{slug}/edit":                   {target: "/journeys/shop/edit", ctype: form, who: journeyWriters, ok: 422},
		"POST /journeys/{slug}/import":                 {target: "/journeys/shop/import", ctype: form, who: journeyWriters, ok: 422},
		"GET /journeys/{slug}/delete":                  {target: "/journeys/shop/delete", who: journeyWriters, ok: 200},
		"POST /journeys/{slug}/delete":                 {target: "/journeys/nope/delete", who: journeyWriters, ok: 404},
		"GET /journeys/{slug}/slos/{name}":             {target: "/journeys/shop/slos/s3-success", who: readers, ok: 200},
		"GET /traces/{id}":                             {target: "/traces/" + declinedTrace, who: readers, ok: 200},
		"GET /sources":                                 {target: "/sources", who: readers, ok: 200},
		"GET /sampling":                                {target: "/sampling", who: readers, ok: 200},
		"GET /api/v1/sources":                          {target: "/api/v1/sources", who: readers, ok: 200},
		"GET /api/v1/sampling/policy":                  {target: "/api/v1/sampling/policy", who: readers, ok: 200},
		"GET /incidents":                               {target: "/incidents", who: readers, ok: 200},
		"GET /incidents/new":                           {target: "/incidents/new", who: editors, ok: 200},
		"POST /incidents/new":                          {target: "/incidents/new", ctype: form, who: editors, ok: 422},
		"POST /incidents/traces":                       {target: "/incidents/traces", ctype: form, who: editors, ok: 422},
		"GET /incidents/{id}":                          {target: "/incidents/" + inc, who: readers, ok: 200},
		"GET /incidents/{id}/edit":                     {target: "/incidents/" + inc + "/edit", who: editors, ok: 200},
		"POST /incidents/{id}/edit":                    {target: "/incidents/" + inc + "/edit", ctype: form, who: editors, ok: 400},
		"POST /incidents/{id}/status":                  {target: "/incidents/" + inc + "/status", ctype: form, body: "status=nope", who: editors, ok: 422},
		"POST /incidents/{id}/traces":                  {target: "/incidents/" + inc + "/traces", ctype: form, body: "trace_id=zz", who: editors, ok: 422},
		"GET /incidents/{id}/traces/{traceID}":         {target: "/incidents/" + inc + "/traces/" + declinedTrace, who: readers, ok: 200},
		"POST /incidents/{id}/traces/{traceID}/unlink": {target: "/incidents/" + inc + "/traces/" + okTrace + "/unlink", who: editors, ok: 404},
		"GET /incidents/{id}/postmortem.md":            {target: "/incidents/" + inc + "/postmortem.md", who: readers, ok: 200},

		"GET /admin":                        {target: "/admin", who: admins, ok: 302},
		"GET /admin/users":                  {target: "/admin/users", who: admins, ok: 200},
		"POST /admin/users":                 {target: "/admin/users", ctype: form, who: admins, ok: 422},
		"POST /admin/users/{id}/role":       {target: "/admin/users/999999/role", ctype: form, body: "role=root", who: admins, ok: 422},
		"POST /admin/users/{id}/disable":    {target: "/admin/users/999999/disable", who: admins, ok: 404},
		"POST /admin/users/{id}/enable":     {target: "/admin/users/999999/enable", who: admins, ok: 404},
		"POST /admin/users/{id}/password":   {target: "/admin/users/999999/password", who: admins, ok: 404},
		"GET /admin/tokens":                 {target: "/admin/tokens", who: admins, ok: 200},
		"POST /admin/tokens":                {target: "/admin/tokens", ctype: form, who: admins, ok: 422},
		"POST /admin/tokens/{id}/revoke":    {target: "/admin/tokens/999999/revoke", who: admins, ok: 404},
		"GET /admin/audit":                  {target: "/admin/audit", who: admins, ok: 200},
		"GET /admin/channels":               {target: "/admin/channels", who: admins, ok: 200},
		"POST /admin/channels":              {target: "/admin/channels", ctype: form, who: admins, ok: 422},
		"GET /admin/channels/{id}/edit":     {target: "/admin/channels/999999/edit", who: admins, ok: 404},
		"POST /admin/channels/{id}/edit":    {target: "/admin/channels/999999/edit", ctype: form, who: admins, ok: 404},
		"POST /admin/channels/{id}/enable":  {target: "/admin/channels/999999/enable", who: admins, ok: 404},
		"POST /admin/channels/{id}/disable": {target: "/admin/channels/999999/disable", who: admins, ok: 404},
		"GET /admin/channels/{id}/delete":   {target: "/admin/channels/999999/delete", who: admins, ok: 404},
		"POST /admin/channels/{id}/delete":  {target: "/admin/channels/999999/delete", who: admins, ok: 404},

		"GET /api/v1/journeys":                                 {target: "/api/v1/journeys", who: readers, ok: 200},
		"GET /api/v1/journeys/{slug}":                          {target: "/api/v1/journeys/shop", who: readers, ok: 200},
		"POST /api/v1/journeys/preview":                        {target: "/api/v1/journeys/preview", who: readers, ok: 415},
		"GET /api/v1/journeys/suggested":                       {target: "/api/v1/journeys/suggested", who: readers, ok: 503},
		"GET /api/v1/suggest/{what}":                           {target: "/api/v1/suggest/spans", who: readers, ok: 400},
		"PUT /api/v1/journeys/{slug}":                          {target: "/api/v1/journeys/shop", who: journeyWriters, ok: 415},
		"DELETE /api/v1/journeys/{slug}":                       {target: "/api/v1/journeys/nope", who: journeyWriters, ok: 404},
		"GET /api/v1/journeys/{slug}/stats":                    {target: "/api/v1/journeys/shop/stats", who: readers, ok: 200},
		"GET /api/v1/journeys/{slug}/differences":              {target: "/api/v1/journeys/shop/differences?step=1&compare=slow", who: readers, ok: 200},
		"GET /api/v1/journeys/{slug}/anomalies":                {target: "/api/v1/journeys/shop/anomalies", who: readers, ok: 200},
		"GET /api/v1/journeys/{slug}/heatmap":                  {target: "/api/v1/journeys/shop/heatmap", who: readers, ok: 200},
		"GET /api/v1/journeys/{slug}/gate":                     {target: "/api/v1/journeys/shop/gate", who: gateReaders, ok: 200},
		"GET /api/v1/journeys/{slug}/slos":                     {target: "/api/v1/journeys/shop/slos", who: readers, ok: 200},
		"GET /api/v1/journeys/{slug}/slos/{name}":              {target: "/api/v1/journeys/shop/slos/s3-success", who: readers, ok: 200},
		"GET /api/v1/deployments":                              {target: "/api/v1/deployments", who: readers, ok: 200},
		"POST /api/v1/deployments":                             {target: "/api/v1/deployments", ctype: jsonType, body: "{}", who: deployWriters, ok: 422},
		"GET /api/v1/deployments/{id}":                         {target: "/api/v1/deployments/" + depID, who: readers, ok: 200},
		"GET /api/v1/incidents":                                {target: "/api/v1/incidents", who: readers, ok: 200},
		"POST /api/v1/incidents":                               {target: "/api/v1/incidents", ctype: jsonType, body: "{}", who: incidentWriters, ok: 422},
		"GET /api/v1/incidents/{id}":                           {target: "/api/v1/incidents/" + inc, who: readers, ok: 200},
		"PUT /api/v1/incidents/{id}":                           {target: "/api/v1/incidents/" + inc, ctype: jsonType, body: "{}", who: incidentWriters, ok: 422},
		"POST /api/v1/incidents/{id}/status":                   {target: "/api/v1/incidents/" + inc + "/status", ctype: jsonType, body: `{"status":"nope"}`, who: incidentWriters, ok: 422},
		"GET /api/v1/incidents/{id}/traces":                    {target: "/api/v1/incidents/" + inc + "/traces", who: readers, ok: 200},
		"POST /api/v1/incidents/{id}/traces":                   {target: "/api/v1/incidents/" + inc + "/traces", ctype: jsonType, body: "{}", who: incidentWriters, ok: 422},
		"DELETE /api/v1/incidents/{id}/traces/{traceID}":       {target: "/api/v1/incidents/" + inc + "/traces/" + okTrace, who: incidentWriters, ok: 404},
		"GET /api/v1/incidents/{id}/traces/{traceID}/snapshot": {target: "/api/v1/incidents/" + inc + "/traces/" + declinedTrace + "/snapshot", who: readers, ok: 200},
		"GET /api/v1/incidents/{id}/related":                   {target: "/api/v1/incidents/" + inc + "/related", who: readers, ok: 200},
		"GET /api/v1/incidents/{id}/timeline":                  {target: "/api/v1/incidents/" + inc + "/timeline", who: readers, ok: 200},
		"GET /api/v1/audit":                                    {target: "/api/v1/audit", who: admins, ok: 200},
		"GET /api/v1/channels":                                 {target: "/api/v1/channels", who: admins, ok: 200},
		"POST /api/v1/channels":                                {target: "/api/v1/channels", ctype: jsonType, body: "{}", who: admins, ok: 422},
		"GET /api/v1/channels/{id}":                            {target: "/api/v1/channels/999999", who: admins, ok: 404},
		"PUT /api/v1/channels/{id}":                            {target: "/api/v1/channels/999999", ctype: jsonType, body: "{}", who: admins, ok: 404},
		"DELETE /api/v1/channels/{id}":                         {target: "/api/v1/channels/999999", who: admins, ok: 404},
	}

	// Every route the router has is in the matrix, and nothing else.
	var registered []string
	err = chi.Walk(newHandler(offs(Options{})).routes().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		registered = append(registered, method+" "+route)
		return nil
	})
	require.NoError(t, err)
	var unlisted, stale []string
	for _, k := range registered {
		if _, ok := matrix[k]; !ok {
			unlisted = append(unlisted, k)
		}
	}
	for k := range matrix {
		if !slices.Contains(registered, k) {
			stale = append(stale, k)
		}
	}
	sort.Strings(unlisted)
	sort.Strings(stale)
	require.Empty(t, unlisted, "routes not in the matrix: add each, with who may call it")
	require.Empty(t, stale, "matrix rows for routes that do not exist")

	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range matrix {
			if !yield(k) {
				return
			}
		}
	})
	tokens := map[caller]string{
		readToken:     b.acc.token(t, "read", auth.ScopeRead),
		gateToken:     b.acc.token(t, "gate", auth.ScopeGateRead),
		deployToken:   b.acc.token(t, "deploys", auth.ScopeDeploymentsWrite),
		journeyToken:  b.acc.token(t, "journeys", auth.ScopeJourneysWrite),
		incidentToken: b.acc.token(t, "incidents", auth.ScopeIncidentsWrite),
	}
	emails := map[caller]string{viewer: viewerEmail, editor: editorEmail, admin: adminEmail}
	credentials := func(c caller) as {
		if tok, ok := tokens[c]; ok {
			return withToken(tok)
		}
		if email, ok := emails[c]; ok {
			return withCookie(b.acc.login(t, email))
		}
		return anonymous
	}

	for _, c := range callers {
		t.Run(string(c), func(t *testing.T) {
			t.Parallel()
			who := credentials(c)
			// Sign-outs last: they end the session they are sent with.
			order := append([]string(nil), keys...)
			slices.SortStableFunc(order, func(x, y string) int {
				ex, ey := matrix[x].ends, matrix[y].ends
				switch {
				case ex == ey:
					return 0
				case ey:
					return -1
				}
				return 1
			})
			for _, key := range order {
				rc := matrix[key]
				method, _, _ := strings.Cut(key, " ")
				if rc.ends {
					who = credentials(c)
				}
				var headers []string
				if rc.ctype != "" {
					headers = append(headers, "Content-Type", rc.ctype)
				}
				if method != http.MethodGet {
					headers = append(headers, "Sec-Fetch-Site", "same-origin")
				}
				rec := b.send(t, who, method, rc.target, strings.NewReader(rc.body), headers...)
				msg := fmt.Sprintf("%s as %s: %s", key, c, strings.TrimSpace(rec.Body.String()))
				if len(msg) > 400 {
					msg = msg[:400]
				}

				isAPI := strings.HasPrefix(rc.target, "/api/")
				_, isToken := tokens[c]
				switch {
				case slices.Contains(rc.who.who, c):
					require.Equal(t, rc.ok, rec.Code, msg)
				case c == nobody && isAPI:
					require.Equal(t, http.StatusUnauthorized, rec.Code, msg)
					require.Equal(t, `Bearer realm="waymark"`, rec.Header().Get("WWW-Authenticate"), msg)
					require.JSONEq(t, `{"error":{"message":"sign in or send an API token"}}`, rec.Body.String(), msg)
				case c == nobody:
					// Browsers go to sign in, and come back to what they
					// asked for.
					require.Equal(t, http.StatusSeeOther, rec.Code, msg)
					want := "/login"
					if method == http.MethodGet && rc.target != "/" {
						want += "?next=" + url.QueryEscape(rc.target)
					}
					require.Equal(t, want, rec.Header().Get("Location"), msg)
				default:
					require.Equal(t, http.StatusForbidden, rec.Code, msg)
					want := rc.who.people
					if isToken {
						want = rc.who.tokens
					}
					require.NotEmpty(t, want, "%s: the rule says nothing to %s", key, c)
					if isAPI {
						require.JSONEq(t, `{"error":{"message":`+strconv.Quote(want)+`}}`, rec.Body.String(), msg)
					} else {
						require.Equal(t, strings.ToUpper(want[:1])+want[1:]+".", testID(page(t, rec), "error-message").Text(), msg)
					}
				}

				// Every answer carries the security headers; every page
				// behind sign-in is kept out of caches.
				require.Equal(t, wantCSP, rec.Header().Get("Content-Security-Policy"), msg)
				require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"), msg)
				require.Equal(t, "same-origin", rec.Header().Get("Referrer-Policy"), msg)
				if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") && !slices.Equal(rc.who.who, everyone.who) {
					require.Equal(t, "no-store", rec.Header().Get("Cache-Control"), msg)
				}
			}
		})
	}
}

// TestBootstrapToken keeps the deprecated WAYMARK_API_TOKEN working for
// deploy markers once accounts are on: auth accepts it, with every scope.
func TestBootstrapToken(t *testing.T) {
	t.Parallel()
	const bootstrap = "an-old-shared-deploy-secret"
	// What serve passes: the same token to both; web then leaves the
	// check to auth.
	s := setupIncidents(t, incidentConfig{
		alerting: true,
		auth:     func(o *auth.Options) { o.BootstrapToken = bootstrap },
		edit:     func(o *Options) { o.APIToken = bootstrap },
	})
	body := `{"service": "shop", "version": "1.5.0"}`
	rec := s.send(t, withToken(bootstrap), http.MethodPost, "/api/v1/deployments", strings.NewReader(body), "Content-Type", "application/json")
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	rec = s.send(t, withToken(bootstrap+"x"), http.MethodPost, "/api/v1/deployments", strings.NewReader(body), "Content-Type", "application/json")
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.JSONEq(t, `{"error":{"message":"invalid or revoked API token"}}`, rec.Body.String())
	// An editor signed in needs no token.
	rec = s.send(t, withCookie(s.acc.session), http.MethodPost, "/api/v1/deployments", strings.NewReader(body), "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
}

// TestViewerSeesNoChanges checks that pages offer a viewer no action the
// server would refuse them, and an editor every one.
func TestViewerSeesNoChanges(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	id := b.openFromTrace(t, declinedTrace, nil)
	viewerSession := withCookie(b.acc.login(t, viewerEmail))
	editorSession := withCookie(b.acc.session)
	pages := []struct {
		target string
		ids    []string
	}{
		{"/journeys", []string{"new-journey"}},
		{"/journeys/shop/definition", []string{"edit-link", "delete-link"}},
		{"/incidents", []string{"new-incident"}},
		{idPath(id, ""), []string{"edit-link", "status-actions", "link-form", "unlink"}},
		{"/traces/" + declinedTrace, []string{"open-incident"}},
	}
	for _, p := range pages {
		for _, tc := range []struct {
			who  as
			want int
		}{{viewerSession, 0}, {editorSession, 1}} {
			rec := b.send(t, tc.who, http.MethodGet, p.target, nil)
			require.Equal(t, http.StatusOK, rec.Code, p.target)
			doc := page(t, rec)
			for _, id := range p.ids {
				n := doc.Find(`[data-testid="` + id + `"], [data-testid$="-` + id + `"]`).Length()
				require.Equal(t, tc.want, min(n, 1), "%s %s", p.target, id)
			}
			// Nobody but an admin is offered the admin pages.
			require.Equal(t, 0, testID(doc, "nav-admin").Length())
		}
	}
}
