package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// apiJourneyStats returns a journey's numbers over a range:
// ?from=RFC3339&to=RFC3339 (by default the hour up to now, minute-aligned)
// or ?range=15m|1h|6h|24h|7d, and optionally ?segment=KEY=VALUE.
func (h *handler) apiJourneyStats(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	q := r.URL.Query()
	win, err := parseWindow(q, h.now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := badSlug(slug); err != nil {
		h.fail(w, r, err)
		return
	}
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	seg, err := parseSegment(q.Get("segment"), rec.Journey)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.rollups == nil {
		h.fail(w, r, errNoRollups)
		return
	}
	st, err := h.journeyStats(r.Context(), rec.Journey, win, seg)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, st)
}
