package auth

import (
	"context"
	"fmt"
	"slices"
)

// ActorKind is what kind of principal acted.
type ActorKind string

// Actor kinds.
const (
	ActorUser   ActorKind = "user"
	ActorToken  ActorKind = "token"
	ActorSystem ActorKind = "system"
)

// Valid reports whether k is one of the actor kinds.
func (k ActorKind) Valid() bool {
	return k == ActorUser || k == ActorToken || k == ActorSystem
}

// How a principal proved who it is.
const (
	ViaSession   = "session"
	ViaToken     = "token"
	ViaBootstrap = "bootstrap-token"
	ViaProxy     = "auth-proxy"
	ViaSystem    = "system"
)

// Principal is who is making a request: a user (by session or auth proxy),
// an API token, or Waymark itself.
type Principal struct {
	Kind ActorKind
	// Via is how it was authenticated: ViaSession, ViaToken, ...
	Via string
	// UserID, Email and Role are set for users.
	UserID int64
	Email  string
	Role   Role
	// TokenID is set for API tokens (0 for the bootstrap token).
	TokenID int64
	// Name is what the audit log and the UI call the principal: the email
	// of a user, the name of a token, "system" or "cli:<login>".
	Name string
	// Scopes are a token's scopes; for a user those its role implies.
	Scopes []Scope
	// RemoteAddr is the client's address as the middleware saw it.
	RemoteAddr string
}

// System is Waymark itself, e.g. a scheduled job. It may do anything.
var System = Principal{Kind: ActorSystem, Via: ViaSystem, Name: "system", Role: RoleAdmin, Scopes: Scopes}

// CLI is the principal of a command run on the server by an operator, who
// holds the database credentials and so may do anything. The audit log
// names them "cli:<login>", or just "cli" when the login is not known.
func CLI(login string) Principal {
	p := System
	p.Name = "cli"
	if login != "" {
		p.Name += ":" + login
	}
	return p
}

// IsUser reports whether p is a signed-in user.
func (p Principal) IsUser() bool { return p.Kind == ActorUser && p.UserID != 0 }

// HasRole reports whether p holds role or a stronger one. A token holds no
// role; Waymark itself holds every role.
func (p Principal) HasRole(role Role) bool {
	switch p.Kind {
	case ActorUser, ActorSystem:
		return p.Role.Includes(role)
	}
	return false
}

// HasScope reports whether p may use the API with scope.
func (p Principal) HasScope(scope Scope) bool {
	return slices.ContainsFunc(p.Scopes, func(s Scope) bool { return s.Covers(scope) })
}

// DenyRole says why p may not do what needs role, or "" when it may. A
// token is told that no token can.
func (p Principal) DenyRole(role Role) string {
	switch {
	case p.HasRole(role):
		return ""
	case p.Kind == ActorToken:
		return fmt.Sprintf("this needs a signed-in user with the %s role, not an API token", role)
	}
	return fmt.Sprintf("this needs the %s role", role)
}

// DenyScope says why p may not do what needs scope, or "" when it may. A
// person holds scopes only through their role, so they are told the role
// to ask for; a token the scope it lacks.
func (p Principal) DenyScope(scope Scope) string {
	if p.HasScope(scope) {
		return ""
	}
	if p.Kind == ActorUser {
		if role, ok := RoleFor(scope); ok {
			return fmt.Sprintf("this needs the %s role", role)
		}
	}
	return fmt.Sprintf("this needs the %s scope", scope)
}

// Entry starts an audit entry of an action by p.
func (p Principal) Entry(action, object, objectID string) Entry {
	return Entry{Actor: p.Name, ActorKind: p.Kind, Action: action, Object: object, ObjectID: objectID, RemoteAddr: p.RemoteAddr}
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p, as the middleware does; for tests
// and background work that acts on someone's behalf.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal the middleware put in ctx, and false
// for an anonymous request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
