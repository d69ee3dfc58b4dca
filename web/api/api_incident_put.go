package api

import (
	"fmt"
	"net/http"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentPut replaces an incident with the body, which must carry the
// version it was read at: a stale one is refused with 409, so that two
// people editing at once cannot overwrite each other.
func (h *Handler) IncidentPut(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	var body apiIncidentInput
	if err := httpx.DecodeJSON(r, &body, "incident"); err != nil {
		h.Fail(w, r, err)
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
		h.Fail(w, r, incidenthttp.Err(v))
		return
	}
	in, err := body.incident()
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	in.ID = id
	before := h.inc.Before(r, id)
	out, err := h.incidents.Update(r.Context(), in, h.ActorOf(r, "api"))
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	h.inc.Audit(r, "incident.update", id, before, out)
	h.WriteJSON(w, r, http.StatusOK, out)
}
