package auth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"
)

// testMux is a tiny app guarded the way the web layer guards its routes.
func testMux(a *Auth) http.Handler {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, found := PrincipalFrom(r.Context())
		if !found {
			fmt.Fprint(w, "hello anonymous")
			return
		}
		fmt.Fprintf(w, "hello %s (%s via %s from %s)", p.Name, p.Kind, p.Via, p.RemoteAddr)
	})
	r := chi.NewRouter()
	r.Use(a.Middleware)
	r.Get("/", ok)
	r.With(RequireRole(RoleViewer)).Get("/journeys", ok)
	r.With(RequireRole(RoleEditor)).Post("/journeys/{slug}", ok)
	r.With(RequireRole(RoleAdmin)).Get("/admin/users", ok)
	r.With(RequireScope(ScopeRead)).Get("/api/v1/journeys", ok)
	r.With(RequireScope(ScopeGateRead)).Get("/api/v1/journeys/{slug}/gate", ok)
	r.With(RequireScope(ScopeDeploymentsWrite)).Post("/api/v1/deployments", ok)
	r.With(RequireScope(ScopeJourneysWrite)).Put("/api/v1/journeys/{slug}", ok)
	r.With(RequireScope(ScopeIncidentsWrite)).Post("/api/v1/incidents", ok)
	return r
}

// caller adds one principal's credentials to a request.
type caller struct {
	name string
	auth func(*http.Request)
}

func TestMiddlewareRouteMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mux := testMux(b.auth)

	callers := []caller{{name: "anonymous", auth: func(*http.Request) {}}}
	for _, role := range Roles {
		email := string(role) + "@example.com"
		b.user(t, email, role)
		token := b.login(t, email).Token
		callers = append(callers, caller{string(role), func(r *http.Request) { r.AddCookie(SessionCookie(token, true)) }})
	}
	for _, s := range Scopes {
		secret, _, err := b.auth.CreateToken(b.ctx, System, "ci "+string(s), []Scope{s})
		require.NoError(t, err)
		callers = append(callers, caller{string(s), func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }})
	}

	// Columns: anonymous, viewer, editor, admin, then tokens scoped read,
	// gate:read, deployments:write, journeys:write, incidents:write.
	routes := []struct {
		method, path string
		want         [9]int
	}{
		{"GET", "/", [9]int{200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/journeys", [9]int{303, 200, 200, 200, 403, 403, 403, 403, 403}},
		{"POST", "/journeys/checkout", [9]int{303, 403, 200, 200, 403, 403, 403, 403, 403}},
		{"GET", "/admin/users", [9]int{303, 403, 403, 200, 403, 403, 403, 403, 403}},
		{"GET", "/api/v1/journeys", [9]int{401, 200, 200, 200, 200, 403, 403, 403, 403}},
		{"GET", "/api/v1/journeys/checkout/gate", [9]int{401, 200, 200, 200, 200, 200, 403, 403, 403}},
		{"POST", "/api/v1/deployments", [9]int{401, 403, 200, 200, 403, 403, 200, 403, 403}},
		{"PUT", "/api/v1/journeys/checkout", [9]int{401, 403, 200, 200, 403, 403, 403, 200, 403}},
		{"POST", "/api/v1/incidents", [9]int{401, 403, 200, 200, 403, 403, 403, 403, 200}},
	}
	require.Len(t, callers, 9)
	for _, rt := range routes {
		for i, c := range callers {
			req := httptest.NewRequest(rt.method, rt.path, nil)
			c.auth(req)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			require.Equal(t, rt.want[i], rec.Code, "%s %s as %s: %s", rt.method, rt.path, c.name, rec.Body.String())
		}
	}
}

func TestMiddlewareAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.Error = func(w http.ResponseWriter, r *http.Request, status int, msg string) {
			w.WriteHeader(status)
			fmt.Fprintf(w, "<p data-testid=error>%s</p>", msg)
		}
	})
	mux := testMux(b.auth)
	b.user(t, "viewer@example.com", RoleViewer)
	session := b.login(t, "viewer@example.com").Token
	secret, _, err := b.auth.CreateToken(b.ctx, System, "gate", []Scope{ScopeGateRead})
	require.NoError(t, err)
	revoked, rtok, err := b.auth.CreateToken(b.ctx, System, "old", []Scope{ScopeRead})
	require.NoError(t, err)
	_, err = b.auth.RevokeToken(b.ctx, System, rtok.ID)
	require.NoError(t, err)

	tests := []struct {
		name     string
		method   string
		target   string
		header   map[string]string
		cookie   string
		status   int
		body     string
		location string
		extra    map[string]string
	}{
		{name: "anonymous page", method: "GET", target: "/journeys?range=24h&step=a%20b", status: 303,
			location: "/login?next=%2Fjourneys%3Frange%3D24h%26step%3Da%2520b"},
		{name: "anonymous post keeps no next", method: "POST", target: "/journeys/x", status: 303, location: "/login"},
		{name: "anonymous htmx", method: "GET", target: "/journeys", header: map[string]string{"HX-Request": "true"}, status: 401,
			extra: map[string]string{"HX-Redirect": "/login?next=%2Fjourneys"}},
		{name: "anonymous api", method: "GET", target: "/api/v1/journeys", status: 401,
			body:  `{"error":{"message":"sign in or send an API token"}}` + "\n",
			extra: map[string]string{"Content-Type": "application/json", "WWW-Authenticate": `Bearer realm="waymark"`}},
		{name: "anonymous wants json", method: "GET", target: "/journeys", header: map[string]string{"Accept": "application/json"}, status: 401,
			body: `{"error":{"message":"sign in or send an API token"}}` + "\n"},
		{name: "stale cookie is anonymous", method: "GET", target: "/", cookie: strings.Repeat("A", 43), status: 200, body: "hello anonymous"},
		{name: "viewer", method: "GET", target: "/journeys", cookie: session, status: 200,
			body: "hello viewer@example.com (user via session from 192.0.2.1)"},
		{name: "viewer forbidden page", method: "GET", target: "/admin/users", cookie: session, status: 403,
			body: "<p data-testid=error>this needs the admin role</p>"},
		{name: "viewer forbidden api", method: "POST", target: "/api/v1/deployments", cookie: session, status: 403,
			body: `{"error":{"message":"this needs the editor role"}}` + "\n"},
		{name: "viewer may not open incidents", method: "POST", target: "/api/v1/incidents", cookie: session, status: 403,
			body: `{"error":{"message":"this needs the editor role"}}` + "\n"},
		{name: "token may not open incidents", method: "POST", target: "/api/v1/incidents", header: map[string]string{"Authorization": "Bearer " + secret}, status: 403,
			body: `{"error":{"message":"this needs the incidents:write scope"}}` + "\n"},
		{name: "token", method: "GET", target: "/api/v1/journeys/x/gate", header: map[string]string{"Authorization": "Bearer " + secret}, status: 200,
			body: "hello gate (token via token from 192.0.2.1)"},
		{name: "token on page", method: "GET", target: "/journeys", header: map[string]string{"Authorization": "Bearer " + secret}, status: 403,
			body: `{"error":{"message":"this needs a signed-in user with the viewer role, not an API token"}}` + "\n"},
		{name: "token out of scope", method: "GET", target: "/api/v1/journeys", header: map[string]string{"Authorization": "Bearer " + secret}, status: 403,
			body: `{"error":{"message":"this needs the read scope"}}` + "\n"},
		{name: "revoked token", method: "GET", target: "/", header: map[string]string{"Authorization": "Bearer " + revoked}, status: 401,
			body: `{"error":{"message":"invalid or revoked API token"}}` + "\n"},
		{name: "bad token beats a good cookie", method: "GET", target: "/", cookie: session, header: map[string]string{"Authorization": "Bearer wmk_nope"}, status: 401,
			body: `{"error":{"message":"invalid or revoked API token"}}` + "\n"},
		{name: "basic auth", method: "GET", target: "/", header: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, status: 401,
			body: `{"error":{"message":"unsupported Authorization scheme: send \"Authorization: Bearer \u003ctoken\u003e\""}}` + "\n"},
		{name: "proxy header ignored when proxy mode is off", method: "GET", target: "/", header: map[string]string{"X-Forwarded-Email": "viewer@example.com"}, status: 200,
			body: "hello anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, nil)
			req.RemoteAddr = "192.0.2.1:5555"
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.cookie != "" {
				req.AddCookie(SessionCookie(tt.cookie, true))
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.body != "" {
				require.Equal(t, tt.body, rec.Body.String())
			}
			require.Equal(t, tt.location, rec.Header().Get("Location"))
			for k, v := range tt.extra {
				require.Equal(t, v, rec.Header().Get(k), k)
			}
		})
	}
}

func TestProxyAuth(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.Proxy = &ProxyAuth{Header: "X-Forwarded-Email", TrustedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}, DefaultRole: RoleViewer}
	})
	mux := testMux(b.auth)
	b.user(t, "boss@example.com", RoleAdmin)
	off := b.user(t, "gone@example.com", RoleEditor)
	_, err := b.auth.SetDisabled(b.ctx, System, off.ID, true)
	require.NoError(t, err)

	tests := []struct {
		name   string
		remote string
		email  []string
		path   string
		status int
		body   string
	}{
		{"new user gets the default role", "10.1.2.3:40000", []string{"New.Person@Example.com"}, "/journeys", 200,
			"hello new.person@example.com (user via auth-proxy from 10.1.2.3)"},
		{"default role is only viewer", "10.1.2.3:40000", []string{"new.person@example.com"}, "/admin/users", 403, "this needs the admin role\n"},
		{"existing user keeps their role", "[fd00::5]:1", []string{"boss@example.com"}, "/admin/users", 200,
			"hello boss@example.com (user via auth-proxy from fd00::5)"},
		{"from outside the proxy", "192.0.2.66:40000", []string{"boss@example.com"}, "/", 403,
			"the X-Forwarded-Email header is accepted only from the trusted auth proxy\n"},
		{"mapped address outside", "[::ffff:192.0.2.66]:1", []string{"boss@example.com"}, "/", 403,
			"the X-Forwarded-Email header is accepted only from the trusted auth proxy\n"},
		{"empty header from outside still refused", "192.0.2.66:40000", []string{""}, "/", 403,
			"the X-Forwarded-Email header is accepted only from the trusted auth proxy\n"},
		{"empty header from the proxy is anonymous", "10.0.0.1:1", []string{""}, "/", 200, "hello anonymous"},
		{"two headers", "10.0.0.1:1", []string{"boss@example.com", "new.person@example.com"}, "/", 403,
			"the X-Forwarded-Email header appears more than once\n"},
		{"not an email", "10.0.0.1:1", []string{"boss"}, "/", 403,
			"the auth proxy sent an invalid X-Forwarded-Email: \"boss\" is not an address like name@example.com\n"},
		{"disabled", "10.0.0.1:1", []string{"gone@example.com"}, "/", 403, "this account is disabled\n"},
		{"no header", "192.0.2.66:1", nil, "/", 200, "hello anonymous"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.path, nil)
		req.RemoteAddr = tt.remote
		for _, e := range tt.email {
			req.Header.Add("X-Forwarded-Email", e)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		require.Equal(t, tt.status, rec.Code, tt.name)
		require.Equal(t, tt.body, rec.Body.String(), tt.name)
	}

	u, err := b.auth.UserByEmail(b.ctx, "new.person@example.com")
	require.NoError(t, err)
	require.Equal(t, RoleViewer, u.Role)
	require.False(t, u.HasPassword)
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM users`), "created once, and nobody from outside")
	page, err := b.auth.ListAudit(b.ctx, AuditFilter{Actor: "auth-proxy"})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	require.Equal(t, "user.create", page.Entries[0].Action)
	require.Equal(t, ActorSystem, page.Entries[0].ActorKind)
}

func TestNewRejectsBadProxy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    ProxyAuth
		want string
	}{
		{ProxyAuth{TrustedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, "auth proxy: header must be set"},
		{ProxyAuth{Header: "X-Email"}, "auth proxy: trusted CIDRs must be set, or anyone could send the header"},
		{ProxyAuth{Header: "X-Email", TrustedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, DefaultRole: "root"},
			`auth proxy: default role "root" is not one of viewer, editor, admin`},
	}
	for _, tt := range tests {
		_, err := New(nil, Options{Proxy: &tt.p})
		require.EqualError(t, err, tt.want)
	}
}

func TestMiddlewareDatabaseDown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "viewer@example.com", RoleViewer)
	session := b.login(t, "viewer@example.com").Token
	mux := testMux(b.auth)
	b.pool.Close()

	for _, tt := range []struct {
		path, body string
	}{
		{"/journeys", "internal server error\n"},
		{"/api/v1/journeys", `{"error":{"message":"internal server error"}}` + "\n"},
	} {
		req := httptest.NewRequest("GET", tt.path, nil)
		req.AddCookie(SessionCookie(session, true))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		require.Equal(t, http.StatusInternalServerError, rec.Code, "an outage is not a sign-out")
		require.Equal(t, tt.body, rec.Body.String())
	}
	require.Contains(t, b.logs.String(), `level=ERROR msg="authenticate request" method=GET path=/journeys`)
}

// TestGuardWithoutMiddleware: a guard on its own still refuses, with the
// default answers.
func TestGuardWithoutMiddleware(t *testing.T) {
	t.Parallel()
	h := RequireRole(RoleViewer)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Fatal("let through") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/journeys", nil))
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/login?next=%2Fjourneys", rec.Header().Get("Location"))

	// WithPrincipal is how tests and background work act as someone.
	ok := RequireScope(ScopeRead)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	req := httptest.NewRequest("GET", "/api/v1/journeys", nil)
	req = req.WithContext(WithPrincipal(req.Context(), System))
	rec = httptest.NewRecorder()
	ok.ServeHTTP(rec, req)
	require.Equal(t, http.StatusNoContent, rec.Code)
}
