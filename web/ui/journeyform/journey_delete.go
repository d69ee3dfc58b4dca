package journeyform

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/web/httpx"
)

// JourneyDeleteConfirm asks before deleting.
func (h *Handler) JourneyDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	h.Render(w, r, http.StatusOK, JourneyDelete(h.Site, slug, rec.Journey.Metadata.Name))
}

// JourneyDelete deletes a journey and goes back to the list.
func (h *Handler) JourneyDelete(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	if _, err := h.journeys.Delete(r.Context(), h.Who(r, "web"), slug); err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	httpx.Redirect(w, r, "/journeys")
}
