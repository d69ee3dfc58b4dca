// Package insight serves the pages that say why a journey's numbers are
// what they are: what differs between the instances that dropped (or the
// slow spans) and the rest, and the heat maps by hour of week and by
// service and endpoint.
package insight

import (
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Handler serves the insight pages; its methods are the pages, routed in
// the web package.
type Handler struct {
	*httpx.Base
	store   *journeystore.Store
	rollups journeyhttp.Rollups
}

// New returns the insight pages' handler; rollups may be RollupsOff, and
// the pages then say the server computes none.
func New(b *httpx.Base, st *journeystore.Store, rollups journeyhttp.Rollups) *Handler {
	return &Handler{Base: b, store: st, rollups: rollups}
}
