package api

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// JourneyDifferences says what differs between two groups of a journey's
// instances over a range: ?step=N&compare=dropped (those that reached step
// N and dropped before N+1 against those that went on) or compare=slow
// (step N's spans above its p95, or ?threshold=DURATION, against the
// rest), with the range as the stats API reads it and ?top= values
// (10 by default), most different first.
func (h *Handler) JourneyDifferences(w http.ResponseWriter, r *http.Request) {
	d, err := journeyhttp.ReadDiffRequest(r, h.store, h.Now())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	out, err := journeyhttp.ReadDifferences(r.Context(), h.rollups, d)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, out)
}
