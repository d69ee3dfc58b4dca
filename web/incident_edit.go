package web

import (
	"net/http"
)

// incidentEdit shows the editor filled with a stored incident.
func (h *handler) incidentEdit(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.incidents.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	h.renderIncidentForm(w, r, http.StatusOK, incidentForm(in), nil)
}
