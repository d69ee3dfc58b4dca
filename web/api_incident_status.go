package web

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/incident"
)

// apiIncidentStatus moves an incident to another status, keeping the rest:
// 200 with the incident, 422 for a move the workflow refuses, 409 when the
// version given is stale.
func (h *handler) apiIncidentStatus(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body apiStatusInput
	if err := decodeJSON(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	to, actor := incident.Status(body.Status), h.actorOf(r, "api")
	before := h.incidentBefore(r, id)
	var out incident.Incident
	if body.Version == 0 {
		out, err = h.incidents.SetStatus(r.Context(), id, to, actor)
	} else {
		// The version read is checked by Update; the rest is kept as it
		// is now.
		cur, gerr := h.incidents.Get(r.Context(), id)
		if gerr != nil {
			h.fail(w, r, incidentError(gerr))
			return
		}
		cur.Status, cur.Version = to, body.Version
		out, err = h.incidents.Update(r.Context(), cur, actor)
	}
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	h.auditIncident(r, "incident.status", id, before, out)
	h.writeJSON(w, r, http.StatusOK, out)
}
