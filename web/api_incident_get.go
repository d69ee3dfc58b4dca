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
	in, ok := h.loadIncident(w, r)
	if !ok {
		return
	}
	h.writeJSON(w, r, http.StatusOK, in)
}
