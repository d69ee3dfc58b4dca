package incidents

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentTraceUnlink removes a linked trace and its snapshot.
func (h *Handler) IncidentTraceUnlink(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	traceID := chi.URLParam(r, "traceID")
	err = h.incidents.UnlinkTrace(r.Context(), id, traceID)
	switch {
	case err == nil:
		h.inc.Audit(r, "incident.trace_unlink", id, incidenthttp.Unlinked(traceID), nil)
		httpx.Redirect(w, r, IncidentPath(id, ""))
	case errors.Is(err, incident.ErrNotFound):
		// Either the incident or the link is missing; the page says which.
		h.renderIncident(w, r, http.StatusNotFound, id, LinkForm{},
			fmt.Sprintf("Trace %s is not linked to this incident; nothing was unlinked.", traceID))
	default:
		h.Fail(w, r, err)
	}
}
