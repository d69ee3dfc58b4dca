// Package incidents serves the incident pages: the list, the form, an
// incident with its linked traces, timeline and impact chart, a linked
// trace's snapshot and the post-mortem download, with their views.
package incidents

import (
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Deps are what the incident pages read and change. Every one is
// required: a feature the server runs without is given as its Off
// stand-in.
type Deps struct {
	// Incidents keeps incidents, with their audit entries.
	Incidents *incidenthttp.Flow
	// Store holds the journeys an incident may name.
	Store *journeystore.Store
	// Rollups draw the impact chart.
	Rollups journeyhttp.Rollups
	// Traces previews the trace an incident is opened from.
	Traces journeyhttp.Traces
	// PublicURL is the base of the links in post-mortems; empty leaves
	// them relative.
	PublicURL string
}

// Handler serves the incident pages; its methods are the pages, routed in
// the web package.
type Handler struct {
	*httpx.Base
	inc       *incidenthttp.Flow
	incidents incidenthttp.Store
	store     *journeystore.Store
	rollups   journeyhttp.Rollups
	traces    journeyhttp.Traces
	publicURL string
}

// New returns the incident pages' handler.
func New(b *httpx.Base, d Deps) *Handler {
	return &Handler{Base: b, inc: d.Incidents, incidents: d.Incidents.Incidents, store: d.Store,
		rollups: d.Rollups, traces: d.Traces, publicURL: d.PublicURL}
}
