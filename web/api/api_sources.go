package api

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Sources answers the trace source the rollups read and, per journey,
// whether its rollups keep up and what its last run cost the source.
func (h *Handler) Sources(w http.ResponseWriter, r *http.Request) {
	fs, err := h.rollups.AllFreshness(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, journeyhttp.NewSourceStatus(h.source, fs, h.Now()))
}
