package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// apiJourneyDelete deletes a journey: 204, or 404 when there is none.
func (h *handler) apiJourneyDelete(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	ctx, before := h.journeyWrite(r, slug)
	if err := h.store.DeleteJourney(ctx, slug, h.actorOf(r, "api")); err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	h.auditJourneyDelete(r, slug, before)
	w.WriteHeader(http.StatusNoContent)
}
