// Package slos serves an SLO's page (state, budget burn-down, burn rates,
// transitions, exemplars, deploys) and the SLO badges and deploy markers
// other pages show, with their views.
package slos

import (
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Handler serves the SLO page, routed in the web package.
type Handler struct {
	*httpx.Base
	store    *journeystore.Store
	rollups  journeyhttp.Rollups
	alerting alerthttp.Service
}

// New returns the SLO page's handler.
func New(b *httpx.Base, st *journeystore.Store, rollups journeyhttp.Rollups, alerting alerthttp.Service) *Handler {
	return &Handler{Base: b, store: st, rollups: rollups, alerting: alerting}
}
