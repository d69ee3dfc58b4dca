// Package journeypages serves the journey pages people read: the list of
// journeys with their numbers, a journey's map (funnel, steps, exemplars,
// SLO badges, deploys) and its definition, with the views they render.
package journeypages

import (
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Deps are what the journey pages read. Every one is required: a feature
// the server runs without is given as its Off stand-in.
type Deps struct {
	// Store holds journey definitions.
	Store *journeystore.Store
	// Rollups are the journeys' numbers.
	Rollups journeyhttp.Rollups
	// Alerting answers SLO states and deploys.
	Alerting alerthttp.Service
	// Incidents offers the incident actions beside exemplars.
	Incidents *incidenthttp.Flow
}

// Handler serves the journey pages; its methods are the pages, routed in
// the web package.
type Handler struct {
	*httpx.Base
	store    *journeystore.Store
	rollups  journeyhttp.Rollups
	alerting alerthttp.Service
	inc      *incidenthttp.Flow
}

// New returns the journey pages' handler.
func New(b *httpx.Base, d Deps) *Handler {
	return &Handler{Base: b, store: d.Store, rollups: d.Rollups, alerting: d.Alerting, inc: d.Incidents}
}
