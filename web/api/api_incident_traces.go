package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentTraces lists an incident's linked traces, earliest first.
func (h *Handler) IncidentTraces(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	links, err := h.incidents.LinkedTraces(r.Context(), id)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	if links == nil {
		links = []incident.LinkedTrace{}
	}
	h.WriteJSON(w, r, http.StatusOK, apiLinkedTraces{Traces: links})
}

// IncidentTraceLink links a trace and snapshots it: 201 with the link;
// 404 for a trace the source does not hold, 409 when already linked, 413
// when its snapshot is over the cap.
func (h *Handler) IncidentTraceLink(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	var body apiLinkInput
	if err := httpx.DecodeJSON(r, &body, "incident"); err != nil {
		h.Fail(w, r, err)
		return
	}
	link, err := h.incidents.LinkTrace(r.Context(), id, body.TraceID, body.Note, body.Step, h.ActorOf(r, "api"))
	if err != nil {
		h.Fail(w, r, incidenthttp.LinkError(err, body.TraceID))
		return
	}
	h.inc.Audit(r, "incident.trace_link", id, nil, link)
	w.Header().Set("Location", apiIncidentPath(id, "/traces/"+link.TraceID+"/snapshot"))
	h.WriteJSON(w, r, http.StatusCreated, link)
}

// IncidentTraceUnlink removes a linked trace and its snapshot: 204.
func (h *Handler) IncidentTraceUnlink(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	traceID := chi.URLParam(r, "traceID")
	if err := h.incidents.UnlinkTrace(r.Context(), id, traceID); err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	h.inc.Audit(r, "incident.trace_unlink", id, incidenthttp.Unlinked(traceID), nil)
	w.WriteHeader(http.StatusNoContent)
}

// IncidentSnapshot returns a linked trace as it was when linked, as
// OTLP JSON (a TracesData), ready to import into a trace backend.
func (h *Handler) IncidentSnapshot(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	js, err := h.incidents.SnapshotJSON(r.Context(), id, chi.URLParam(r, "traceID"))
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(js)
}
