// Package journeyform serves the pages that change journeys: the form
// editor, the YAML editor and import, and deletion, with their views.
package journeyform

import (
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Handler serves the journey editing pages; its methods are the pages,
// routed in the web package.
type Handler struct {
	*httpx.Base
	store    *journeystore.Store
	journeys *journeyedit.Service
}

// New returns the journey editing pages' handler: st reads journeys,
// journeys changes them.
func New(b *httpx.Base, st *journeystore.Store, journeys *journeyedit.Service) *Handler {
	return &Handler{Base: b, store: st, journeys: journeys}
}
