package layout

import "context"

// Viewer is who is looking at a page, as the navigation shows them and as
// pages decide which actions to offer. Pages read it from the context they
// are rendered with, so that no handler has to pass it down.
type Viewer struct {
	// Name is the email of a user, the name of an API token.
	Name string
	// Role is the user's role ("viewer", "editor", "admin"); empty for a
	// token.
	Role string
	// User is set for a person signed in (by password or auth proxy), who
	// can sign out.
	User bool
	// Session is set when the user signed in with a password, so that a
	// sign-out ends something; behind an auth proxy there is nothing to end.
	Session bool
	// CanEditJourneys, CanEditIncidents and Admin say which actions the
	// pages offer. The server checks every request regardless.
	CanEditJourneys  bool
	CanEditIncidents bool
	Admin            bool
}

type viewerKey struct{}

// WithViewer returns ctx carrying v, for the pages rendered with it.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the viewer in ctx. Without one (a server with no
// accounts, or a page shown before sign-in) every action is offered, as
// the server then allows them all.
func ViewerFrom(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(viewerKey{}).(Viewer)
	return v, ok
}

// CanEditJourneys reports whether the page should offer journey changes.
func CanEditJourneys(ctx context.Context) bool {
	v, ok := ViewerFrom(ctx)
	return !ok || v.CanEditJourneys
}

// CanEditIncidents reports whether the page should offer incident changes.
func CanEditIncidents(ctx context.Context) bool {
	v, ok := ViewerFrom(ctx)
	return !ok || v.CanEditIncidents
}
