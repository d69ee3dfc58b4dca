package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/web/views"
)

// journeyDeleteConfirm asks before deleting.
func (h *handler) journeyDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	h.render(w, r, http.StatusOK, views.JourneyDelete(h.site, slug, rec.Journey.Metadata.Name))
}

// journeyDelete deletes a journey and goes back to the list.
func (h *handler) journeyDelete(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	if _, err := h.journeys.Delete(r.Context(), h.who(r, "web"), slug); err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	redirect(w, r, "/journeys")
}
