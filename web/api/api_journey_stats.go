package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// JourneyStats returns a journey's numbers over a range:
// ?from=RFC3339&to=RFC3339 (by default the hour up to now, minute-aligned)
// or ?range=15m|1h|6h|24h|7d, and optionally ?segment=KEY=VALUE.
func (h *Handler) JourneyStats(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	q := r.URL.Query()
	win, err := journeyhttp.ParseWindow(q, h.Now())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := journeyhttp.BadSlug(slug); err != nil {
		h.Fail(w, r, err)
		return
	}
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	seg, err := journeyhttp.ParseSegment(q.Get("segment"), rec.Journey)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	st, err := journeyhttp.JourneyStats(r.Context(), h.rollups, h.TraceURL, rec.Journey, win, seg)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, st)
}
