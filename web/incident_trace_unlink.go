package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/views"
)

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
		redirect(w, r, views.IncidentPath(id, ""))
	case errors.Is(err, incident.ErrNotFound):
		// Either the incident or the link is missing; the page says which.
		h.renderIncident(w, r, http.StatusNotFound, id, views.LinkForm{},
			fmt.Sprintf("Trace %s is not linked to this incident; nothing was unlinked.", traceID))
	default:
		h.fail(w, r, err)
	}
}
