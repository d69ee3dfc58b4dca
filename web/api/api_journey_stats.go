package api

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// JourneyStats returns a journey's numbers over a range:
// ?from=RFC3339&to=RFC3339 (by default the hour up to now, minute-aligned)
// or ?range=15m|1h|6h|24h|7d, and optionally ?segment=KEY=VALUE.
func (h *Handler) JourneyStats(w http.ResponseWriter, r *http.Request) {
	jq, err := journeyhttp.ReadQuery(r, h.store, h.Now())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	st, err := journeyhttp.JourneyStats(r.Context(), h.rollups, h.TraceURL, jq.Record.Journey, jq.Window, jq.Segment)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, st)
}
