package api

import (
	"net/http"
	"strconv"
)

// apiIncidentPath is the API URL of an incident, plus a suffix.
func apiIncidentPath(id int64, suffix string) string {
	return "/api/v1/incidents/" + strconv.FormatInt(id, 10) + suffix
}

// IncidentGet returns one incident.
func (h *Handler) IncidentGet(w http.ResponseWriter, r *http.Request) {
	in, err := h.inc.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, in)
}
