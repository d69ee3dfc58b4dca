package httpx

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// Access is what a route asks of its caller. Every route behind sign-in
// declares one in routes.go; the role × route matrix test holds them to it.
type Access struct {
	// refuse says why p may not pass, or "".
	refuse func(p auth.Principal) string
	// accounts is set for what only exists with accounts (the admin
	// pages, signing out everywhere): without them, there is nothing
	// there.
	accounts bool
}

// Requirements of routes. Users hold the scopes their role implies (every
// role reads; editors and admins also write journeys, deploy markers and
// incidents), so one scope check serves both people and API tokens. People
// refused are told the role to ask for, tokens the scope they lack.
var (
	// AccessAny is anyone signed in, by session, auth proxy or token.
	AccessAny = Access{refuse: func(auth.Principal) string { return "" }}
	// AccessUser is a person, not an API token: signing out everywhere.
	AccessUser = Access{accounts: true, refuse: func(p auth.Principal) string {
		if p.IsUser() {
			return ""
		}
		return "this needs a signed-in user, not an API token"
	}}
	// AccessRead is every page and every GET of the API: viewers and the
	// read scope.
	AccessRead = scopeAccess(auth.ScopeRead)
	// AccessGate is the deployment gate: gate:read, read, or any user.
	AccessGate = scopeAccess(auth.ScopeGateRead)
	// AccessJourneysWrite changes journeys: editors and journeys:write.
	AccessJourneysWrite = scopeAccess(auth.ScopeJourneysWrite)
	// AccessDeploymentsWrite records deploy markers: editors and
	// deployments:write.
	AccessDeploymentsWrite = scopeAccess(auth.ScopeDeploymentsWrite)
	// AccessIncidentsWrite changes incidents through the API: editors, and
	// incidents:write for alert automation that opens them.
	AccessIncidentsWrite = scopeAccess(auth.ScopeIncidentsWrite)
	// AccessEditor changes incidents on their pages: editors, never a
	// token, since the pages' forms are for people.
	AccessEditor = roleAccess(auth.RoleEditor)
	// AccessAdmin manages users, tokens and settings, and reads the audit
	// log.
	AccessAdmin = Access{accounts: true, refuse: roleAccess(auth.RoleAdmin).refuse}
)

func scopeAccess(s auth.Scope) Access {
	return Access{refuse: func(p auth.Principal) string { return p.DenyScope(s) }}
}

func roleAccess(role auth.Role) Access {
	return Access{refuse: func(p auth.Principal) string { return p.DenyRole(role) }}
}

// Require guards a route with a. Without accounts (no Auth) every route is
// open, as before accounts existed, but for those about accounts, which
// are not there (404).
//
// An anonymous caller is answered by auth's own guard: browsers go to the
// login page and come back, htmx swaps in a full-page redirect, API clients
// get 401 with WWW-Authenticate. A known caller who may not pass gets a 403
// through the one error helper, a page like every other error page.
func (b *Base) Require(a Access) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if b.Auth == nil && a.accounts {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b.Fail(w, r, Errorf(http.StatusNotFound, "this server has no accounts"))
			})
		}
		if b.Auth == nil {
			return next
		}
		// With no principal this always refuses, whatever the scope.
		anonymous := auth.RequireScope(auth.ScopeRead)(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := auth.PrincipalFrom(r.Context())
			if !ok {
				anonymous.ServeHTTP(w, r)
				return
			}
			if msg := a.refuse(p); msg != "" {
				b.Fail(w, r, &Error{Status: http.StatusForbidden, Msg: msg})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// SignedIn runs after Auth.Middleware on every route behind sign-in. It
// tells the pages who is looking, and keeps any answer out of shared and
// browser caches: behind sign-in every page is someone's, and a page left
// in the cache after sign-out would still show it.
func (b *Base) SignedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			r = r.WithContext(layout.WithViewer(r.Context(), ViewerOf(p)))
		}
		next.ServeHTTP(w, r)
	})
}

// ViewerOf is what the pages need to know of a principal.
func ViewerOf(p auth.Principal) layout.Viewer {
	v := layout.Viewer{
		Name:             p.Name,
		User:             p.IsUser(),
		Session:          p.Via == auth.ViaSession,
		CanEditJourneys:  AccessJourneysWrite.refuse(p) == "",
		CanEditIncidents: AccessEditor.refuse(p) == "",
		Admin:            AccessAdmin.refuse(p) == "",
	}
	if p.Kind != auth.ActorToken {
		v.Role = string(p.Role)
	}
	return v
}

// Principal is the caller of r, if the server has accounts and r was
// signed in.
func Principal(r *http.Request) (auth.Principal, bool) {
	return auth.PrincipalFrom(r.Context())
}

// Feature guards the routes of a feature the server may run without: when
// it is off they answer off (a 503 in words that say so) before any
// handler runs, so that a page that reads nothing, such as an empty form,
// does not offer what the server cannot do.
func (b *Base) Feature(on bool, off error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if on {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.Fail(w, r, off) })
	}
}
