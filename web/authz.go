package web

import (
	"errors"
	"net/http"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/views"
)

// access is what a route asks of its caller. Every route behind sign-in
// declares one in routes.go; the role × route matrix test holds them to it.
type access struct {
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
	// accessAny is anyone signed in, by session, auth proxy or token.
	accessAny = access{refuse: func(auth.Principal) string { return "" }}
	// accessUser is a person, not an API token: signing out everywhere.
	accessUser = access{accounts: true, refuse: func(p auth.Principal) string {
		if p.IsUser() {
			return ""
		}
		return "this needs a signed-in user, not an API token"
	}}
	// accessRead is every page and every GET of the API: viewers and the
	// read scope.
	accessRead = scopeAccess(auth.ScopeRead)
	// accessGate is the deployment gate: gate:read, read, or any user.
	accessGate = scopeAccess(auth.ScopeGateRead)
	// accessJourneysWrite changes journeys: editors and journeys:write.
	accessJourneysWrite = scopeAccess(auth.ScopeJourneysWrite)
	// accessDeploymentsWrite records deploy markers: editors and
	// deployments:write.
	accessDeploymentsWrite = scopeAccess(auth.ScopeDeploymentsWrite)
	// accessIncidentsWrite changes incidents through the API: editors, and
	// incidents:write for alert automation that opens them.
	accessIncidentsWrite = scopeAccess(auth.ScopeIncidentsWrite)
	// accessEditor changes incidents on their pages: editors, never a
	// token, since the pages' forms are for people.
	accessEditor = roleAccess(auth.RoleEditor)
	// accessAdmin manages users, tokens and settings, and reads the audit
	// log.
	accessAdmin = access{accounts: true, refuse: roleAccess(auth.RoleAdmin).refuse}
)

func scopeAccess(s auth.Scope) access {
	return access{refuse: func(p auth.Principal) string { return p.DenyScope(s) }}
}

func roleAccess(role auth.Role) access {
	return access{refuse: func(p auth.Principal) string { return p.DenyRole(role) }}
}

// require guards a route with a. Without accounts (no Auth) every route is
// open, as before accounts existed, but for those about accounts, which
// are not there (404).
//
// An anonymous caller is answered by auth's own guard: browsers go to the
// login page and come back, htmx swaps in a full-page redirect, API clients
// get 401 with WWW-Authenticate. A known caller who may not pass gets a 403
// through the one error helper, a page like every other error page.
func (h *handler) require(a access) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if h.auth == nil && a.accounts {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.fail(w, r, errorf(http.StatusNotFound, "this server has no accounts"))
			})
		}
		if h.auth == nil {
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
				h.fail(w, r, &httpError{status: http.StatusForbidden, msg: msg})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// signedIn runs after Auth.Middleware on every route behind sign-in. It
// tells the pages who is looking, and keeps any answer out of shared and
// browser caches: behind sign-in every page is someone's, and a page left
// in the cache after sign-out would still show it.
func (h *handler) signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			r = r.WithContext(views.WithViewer(r.Context(), viewerOf(p)))
		}
		next.ServeHTTP(w, r)
	})
}

// viewerOf is what the pages need to know of a principal.
func viewerOf(p auth.Principal) views.Viewer {
	v := views.Viewer{
		Name:             p.Name,
		User:             p.IsUser(),
		Session:          p.Via == auth.ViaSession,
		CanEditJourneys:  accessJourneysWrite.refuse(p) == "",
		CanEditIncidents: accessEditor.refuse(p) == "",
		Admin:            accessAdmin.refuse(p) == "",
	}
	if p.Kind != auth.ActorToken {
		v.Role = string(p.Role)
	}
	return v
}

// principal is the caller of r, if the server has accounts and r was
// signed in.
func principal(r *http.Request) (auth.Principal, bool) {
	return auth.PrincipalFrom(r.Context())
}

// authError tells the client what went wrong with an account or a token:
// the typed errors of auth become 403, 404, 409 and 422 in its own words.
func authError(err error) error {
	var ve *auth.ValidationError
	switch {
	case errors.As(err, &ve):
		return &httpError{status: http.StatusUnprocessableEntity, msg: ve.Error(), fields: map[string]string{ve.Field: ve.Message}, err: err}
	case errors.Is(err, auth.ErrLastAdmin):
		return &httpError{status: http.StatusConflict, msg: auth.ErrLastAdmin.Error(), err: err}
	case errors.Is(err, auth.ErrNotFound):
		return &httpError{status: http.StatusNotFound, msg: "not found", err: err}
	case errors.Is(err, auth.ErrConflict):
		return &httpError{status: http.StatusConflict, msg: "conflict", err: err}
	case errors.Is(err, auth.ErrForbidden):
		return &httpError{status: http.StatusForbidden, msg: "forbidden", err: err}
	}
	return err
}
