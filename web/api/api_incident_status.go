package api

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentStatus moves an incident to another status, keeping the rest:
// 200 with the incident, 422 for a move the workflow refuses, 409 when the
// version given is stale.
func (h *Handler) IncidentStatus(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	var body apiStatusInput
	if err := httpx.DecodeJSON(r, &body, "incident"); err != nil {
		h.Fail(w, r, err)
		return
	}
	to, actor := incident.Status(body.Status), h.ActorOf(r, "api")
	before := h.inc.Before(r, id)
	var out incident.Incident
	if body.Version == 0 {
		out, err = h.incidents.SetStatus(r.Context(), id, to, actor)
	} else {
		// The version read is checked by Update; the rest is kept as it
		// is now.
		cur, gerr := h.incidents.Get(r.Context(), id)
		if gerr != nil {
			h.Fail(w, r, incidenthttp.Err(gerr))
			return
		}
		cur.Status, cur.Version = to, body.Version
		out, err = h.incidents.Update(r.Context(), cur, actor)
	}
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	h.inc.Audit(r, "incident.status", id, before, out)
	h.WriteJSON(w, r, http.StatusOK, out)
}
