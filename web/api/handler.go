// Package api serves Waymark's JSON API under /api/v1: journeys and their
// stats, SLOs, deploy markers and the gate, incidents, the audit log and
// notification channels. Every error is JSON, worded by httpx.Classify.
package api

import (
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/builderhttp"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Deps are what the API reads and changes. Every one is required: a
// feature the server runs without is given as its Off stand-in.
type Deps struct {
	// Store holds journey definitions.
	Store *journeystore.Store
	// Journeys changes journeys, with their audit entry and recompute.
	Journeys *journeyedit.Service
	// Rollups answers the stats endpoint.
	Rollups journeyhttp.Rollups
	// Alerting answers SLOs, deploys, the gate and channels.
	Alerting alerthttp.Service
	// Incidents keeps incidents, with their audit entries.
	Incidents *incidenthttp.Flow
	// Channels saves channels, with their audit entries.
	Channels *alerthttp.ChannelFlow
	// Source is the trace source the rollups read, for /api/v1/sources.
	Source journeyhttp.Source
	// Builder suggests, previews and proposes journeys from the traces.
	Builder builderhttp.Service
	// APIToken, when set, must be sent as a bearer token to record deploy
	// markers on a server without accounts.
	APIToken string
}

// Handler serves the API; its methods are the endpoints, routed in the web
// package.
type Handler struct {
	*httpx.Base
	store     *journeystore.Store
	journeys  *journeyedit.Service
	rollups   journeyhttp.Rollups
	alerting  alerthttp.Service
	inc       *incidenthttp.Flow
	incidents incidenthttp.Store
	ch        *alerthttp.ChannelFlow
	apiToken  string
	source    journeyhttp.Source
	builder   builderhttp.Service
}

// New returns the API's handler.
func New(b *httpx.Base, d Deps) *Handler {
	return &Handler{
		Base:      b,
		store:     d.Store,
		journeys:  d.Journeys,
		rollups:   d.Rollups,
		alerting:  d.Alerting,
		inc:       d.Incidents,
		incidents: d.Incidents.Incidents,
		ch:        d.Channels,
		apiToken:  d.APIToken,
		source:    d.Source,
		builder:   d.Builder,
	}
}
