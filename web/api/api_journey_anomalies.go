package api

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// JourneyAnomalies lists the runs of each step's throughput, error rate and
// p95, and of the journey's conversion, that lie outside the band their
// seasonal baseline expects over the range (as the stats API reads it),
// latest first.
func (h *Handler) JourneyAnomalies(w http.ResponseWriter, r *http.Request) {
	jq, err := journeyhttp.ReadQuery(r, h.store, h.Now())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if jq.Segment != nil {
		h.Fail(w, r, segmentRefused("anomalies"))
		return
	}
	out, err := journeyhttp.ReadAnomalies(r.Context(), h.rollups, jq.Record.Journey, jq.Window)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, out)
}
