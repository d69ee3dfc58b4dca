// Package pipeline serves the pages about how spans reach Waymark: the
// trace source with what keeping each journey's rollups fresh costs it,
// and the collector sampling policy derived from the journeys.
package pipeline

import (
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Handler serves the sources and sampling pages, routed in the web
// package.
type Handler struct {
	*httpx.Base
	store   *journeystore.Store
	rollups journeyhttp.Rollups
	source  journeyhttp.Source
}

// New returns the pages' handler.
func New(b *httpx.Base, st *journeystore.Store, rollups journeyhttp.Rollups, src journeyhttp.Source) *Handler {
	return &Handler{Base: b, store: st, rollups: rollups, source: src}
}
