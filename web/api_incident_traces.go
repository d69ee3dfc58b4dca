package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/incident"
)

// apiIncidentTraces lists an incident's linked traces, earliest first.
func (h *handler) apiIncidentTraces(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	links, err := h.incidents.LinkedTraces(r.Context(), id)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	if links == nil {
		links = []incident.LinkedTrace{}
	}
	h.writeJSON(w, r, http.StatusOK, apiLinkedTraces{Traces: links})
}

// apiIncidentTraceLink links a trace and snapshots it: 201 with the link;
// 404 for a trace the source does not hold, 409 when already linked, 413
// when its snapshot is over the cap.
func (h *handler) apiIncidentTraceLink(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body apiLinkInput
	if err := decodeJSON(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	link, err := h.incidents.LinkTrace(r.Context(), id, body.TraceID, body.Note, body.Step, h.actorOf(r, "api"))
	if err != nil {
		h.fail(w, r, linkError(err, body.TraceID))
		return
	}
	h.auditIncident(r, "incident.trace_link", id, nil, link)
	w.Header().Set("Location", apiIncidentPath(id, "/traces/"+link.TraceID+"/snapshot"))
	h.writeJSON(w, r, http.StatusCreated, link)
}

// apiIncidentTraceUnlink removes a linked trace and its snapshot: 204.
func (h *handler) apiIncidentTraceUnlink(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	traceID := chi.URLParam(r, "traceID")
	if err := h.incidents.UnlinkTrace(r.Context(), id, traceID); err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	h.auditIncident(r, "incident.trace_unlink", id, unlinked(traceID), nil)
	w.WriteHeader(http.StatusNoContent)
}

// apiIncidentSnapshot returns a linked trace as it was when linked, as
// OTLP JSON (a TracesData), ready to import into a trace backend.
func (h *handler) apiIncidentSnapshot(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	js, err := h.incidents.SnapshotJSON(r.Context(), id, chi.URLParam(r, "traceID"))
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(js)
}
