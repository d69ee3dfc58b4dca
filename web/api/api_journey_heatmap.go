package api

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// JourneyHeatmap answers ?kind=week (the default): one step's
// (?step=N, 1 by default) ?metric=throughput|error_rate|p95 by hour of
// week, in UTC; or ?kind=endpoint: the p95 of every service and endpoint
// the journey's steps touch, hour by hour (31 days at most).
func (h *Handler) JourneyHeatmap(w http.ResponseWriter, r *http.Request) {
	hq, err := journeyhttp.ReadHeatmapRequest(r, h.store, h.Now())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if hq.Kind == journeyhttp.HeatmapEndpoint {
		out, err := journeyhttp.ReadEndpointHeatmap(r.Context(), h.rollups, hq)
		if err != nil {
			h.Fail(w, r, err)
			return
		}
		h.WriteJSON(w, r, http.StatusOK, out)
		return
	}
	out, err := journeyhttp.ReadWeekHeatmap(r.Context(), h.rollups, hq)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, out)
}

// segmentRefused is the answer to a segment on a view of all traffic.
func segmentRefused(what string) error {
	return httpx.ParamError("segment", "%s are of all traffic", what)
}
