package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// apiJourneyDelete deletes a journey: 204, or 404 when there is none.
func (h *handler) apiJourneyDelete(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	if _, err := h.journeys.Delete(r.Context(), h.who(r, "api"), slug); err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
