package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// unlinkedTrace is what the audit log keeps of a trace unlinked.
type unlinkedTrace struct {
	TraceID string `json:"trace_id"`
}

// unlinked is the audit document of traceID as a URL gave it, written the
// way links are stored.
func unlinked(traceID string) unlinkedTrace {
	if norm, ok := journeys.NormalizeTraceID(strings.TrimSpace(traceID)); ok {
		traceID = norm
	}
	return unlinkedTrace{TraceID: traceID}
}

// incidentTraceUnlink removes a linked trace and its snapshot.
func (h *handler) incidentTraceUnlink(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	traceID := chi.URLParam(r, "traceID")
	err = h.incidents.UnlinkTrace(r.Context(), id, traceID)
	switch {
	case err == nil:
		h.auditIncident(r, "incident.trace_unlink", id, unlinked(traceID), nil)
		redirect(w, r, views.IncidentPath(id, ""))
	case errors.Is(err, incident.ErrNotFound):
		// Either the incident or the link is missing; the page says which.
		h.renderIncident(w, r, http.StatusNotFound, id, views.LinkForm{},
			fmt.Sprintf("Trace %s is not linked to this incident; nothing was unlinked.", traceID))
	default:
		h.fail(w, r, err)
	}
}
