package incidents

import (
	"net/http"
)

// IncidentEdit shows the editor filled with a stored incident.
func (h *Handler) IncidentEdit(w http.ResponseWriter, r *http.Request) {
	in, err := h.inc.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.renderIncidentForm(w, r, http.StatusOK, incidentForm(in), nil)
}
