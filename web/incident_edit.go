package web

import (
	"net/http"
)

// incidentEdit shows the editor filled with a stored incident.
func (h *handler) incidentEdit(w http.ResponseWriter, r *http.Request) {
	in, ok := h.loadIncident(w, r)
	if !ok {
		return
	}
	h.renderIncidentForm(w, r, http.StatusOK, incidentForm(in), nil)
}
