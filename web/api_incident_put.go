package web

import (
	"fmt"
	"net/http"

	"github.com/waymarkhq/waymark/journeys"
)

// apiIncidentPut replaces an incident with the body, which must carry the
// version it was read at: a stale one is refused with 409, so that two
// people editing at once cannot overwrite each other.
func (h *handler) apiIncidentPut(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body apiIncidentInput
	if err := decodeJSON(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	v := &journeys.ValidationError{}
	switch {
	case body.ID != 0 && body.ID != id:
		v.Add("id", fmt.Sprintf("%d does not match the id in the URL, %d", body.ID, id))
	case body.TraceID != "" || body.Note != "" || !body.Step.IsZero():
		v.Add("trace_id", "link traces with POST "+apiIncidentPath(id, "/traces"))
	}
	if body.Version <= 0 {
		v.Add("version", "required: the version read, so that a change made meanwhile is not overwritten")
	}
	if len(v.Fields) > 0 {
		h.fail(w, r, incidentError(v))
		return
	}
	in, err := body.incident()
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	in.ID = id
	before := h.incidentBefore(r, id)
	out, err := h.incidents.Update(r.Context(), in, h.actorOf(r, "api"))
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	h.auditIncident(r, "incident.update", id, before, out)
	h.writeJSON(w, r, http.StatusOK, out)
}
