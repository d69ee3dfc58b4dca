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
	ctx, before := h.journeyWrite(r, slug)
	if err := h.store.DeleteJourney(ctx, slug, h.actorOf(r, "web")); err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	h.auditJourneyDelete(r, slug, before)
	redirect(w, r, "/journeys")
}
