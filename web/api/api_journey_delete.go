package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/web/httpx"
)

// JourneyDelete deletes a journey: 204, or 404 when there is none.
func (h *Handler) JourneyDelete(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	if _, err := h.journeys.Delete(r.Context(), h.Who(r, "api"), slug); err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
