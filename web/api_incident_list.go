package web

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
)

// apiIncidentList lists incidents, latest start first, with the filters
// of the incidents page (status, journey, from, to) and limit.
func (h *handler) apiIncidentList(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	f, err := parseIncidentFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.incidents.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	if list == nil {
		list = []incident.Incident{}
	}
	h.writeJSON(w, r, http.StatusOK, apiIncidentList{Incidents: list})
}

// apiIncidentCreate opens an incident: 201 with it and its URL. With
// trace_id it is opened from that trace, linked and snapshotted in the same
// transaction, and the answer carries the linked trace.
func (h *handler) apiIncidentCreate(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	var body apiIncidentInput
	if err := decodeJSON(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := body.incident()
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	if in.ID != 0 {
		h.fail(w, r, incidentError(&journeys.ValidationError{Fields: map[string]string{
			"id": "must be empty: the server numbers new incidents; PUT /api/v1/incidents/{id} changes one",
		}}))
		return
	}
	actor := h.actorOf(r, "api")
	out := apiIncidentCreated{}
	if body.TraceID != "" || !body.Step.IsZero() || body.Note != "" {
		var link incident.LinkedTrace
		out.Incident, link, err = h.incidents.CreateFromTrace(r.Context(), in, body.TraceID, body.Note, body.Step, actor)
		out.LinkedTrace = &link
	} else {
		out.Incident, err = h.incidents.Create(r.Context(), in, actor)
	}
	if err != nil {
		h.fail(w, r, linkError(err, body.TraceID))
		return
	}
	h.auditIncident(r, "incident.create", out.ID, nil, out.Incident)
	w.Header().Set("Location", apiIncidentPath(out.ID, ""))
	h.writeJSON(w, r, http.StatusCreated, out)
}
