package web

import (
	"net/http"
	"strconv"
)

// apiIncidentPath is the API URL of an incident, plus a suffix.
func apiIncidentPath(id int64, suffix string) string {
	return "/api/v1/incidents/" + strconv.FormatInt(id, 10) + suffix
}

// apiIncidentGet returns one incident.
func (h *handler) apiIncidentGet(w http.ResponseWriter, r *http.Request) {
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
	h.writeJSON(w, r, http.StatusOK, in)
}
