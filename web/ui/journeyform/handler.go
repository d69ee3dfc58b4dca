// Package journeyform serves the pages that change journeys: the form
// editor, the YAML editor and import, and deletion, with their views; and
// the journey builder's helpers beside them: suggestions as one types, a
// preview of each step and of the whole journey before it is saved, a
// journey drafted from spans ticked in a trace, and journeys proposed from
// traffic.
package journeyform

import (
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/web/builderhttp"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Deps are what the editing pages read and change; every one is required.
type Deps struct {
	// Store reads journeys.
	Store *journeystore.Store
	// Journeys changes them.
	Journeys *journeyedit.Service
	// Builder suggests, previews and proposes; builderhttp.Off leaves a
	// plain form.
	Builder builderhttp.Service
	// Traces reads the traces a journey is drafted from.
	Traces journeyhttp.Traces
}

// Handler serves the journey editing pages; its methods are the pages,
// routed in the web package.
type Handler struct {
	*httpx.Base
	store    *journeystore.Store
	journeys *journeyedit.Service
	builder  builderhttp.Service
	// live is set when the builder reads a trace source, so that the
	// editor asks it as one types.
	live   bool
	traces journeyhttp.Traces
}

// New returns the journey editing pages' handler.
func New(b *httpx.Base, d Deps) *Handler {
	_, off := d.Builder.(builderhttp.Off)
	return &Handler{Base: b, store: d.Store, journeys: d.Journeys, builder: d.Builder, live: !off, traces: d.Traces}
}
