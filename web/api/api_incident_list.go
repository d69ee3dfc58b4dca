package api

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentList lists incidents, latest start first, with the filters
// of the incidents page (status, journey, from, to) and limit.
func (h *Handler) IncidentList(w http.ResponseWriter, r *http.Request) {
	f, err := incidenthttp.ParseFilter(r.URL.Query())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	list, err := h.incidents.List(r.Context(), f)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	if list == nil {
		list = []incident.Incident{}
	}
	h.WriteJSON(w, r, http.StatusOK, apiIncidentList{Incidents: list})
}

// IncidentCreate opens an incident: 201 with it and its URL. With
// trace_id it is opened from that trace, linked and snapshotted in the same
// transaction, and the answer carries the linked trace.
func (h *Handler) IncidentCreate(w http.ResponseWriter, r *http.Request) {
	var body apiIncidentInput
	if err := httpx.DecodeJSON(r, &body, "incident"); err != nil {
		h.Fail(w, r, err)
		return
	}
	in, err := body.incident()
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	if in.ID != 0 {
		h.Fail(w, r, incidenthttp.Err(&journeys.ValidationError{Fields: map[string]string{
			"id": "must be empty: the server numbers new incidents; PUT /api/v1/incidents/{id} changes one",
		}}))
		return
	}
	actor := h.ActorOf(r, "api")
	out := apiIncidentCreated{}
	if body.TraceID != "" || !body.Step.IsZero() || body.Note != "" {
		var link incident.LinkedTrace
		out.Incident, link, err = h.incidents.CreateFromTrace(r.Context(), in, body.TraceID, body.Note, body.Step, actor)
		out.LinkedTrace = &link
	} else {
		out.Incident, err = h.incidents.Create(r.Context(), in, actor)
	}
	if err != nil {
		h.Fail(w, r, incidenthttp.LinkError(err, body.TraceID))
		return
	}
	h.inc.Audit(r, "incident.create", out.ID, nil, out.Incident)
	w.Header().Set("Location", apiIncidentPath(out.ID, ""))
	h.WriteJSON(w, r, http.StatusCreated, out)
}
