package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// incidentStatus moves an incident to the status of the button pressed. A
// move the workflow refuses re-renders the page with why (422), changing
// nothing.
func (h *handler) incidentStatus(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, formError(err))
		return
	}
	to := incident.Status(strings.TrimSpace(r.PostForm.Get("status")))
	before := h.incidentBefore(r, id)
	after, err := h.incidents.SetStatus(r.Context(), id, to, h.actorOf(r, "web"))
	var ve *journeys.ValidationError
	switch {
	case err == nil:
		h.auditIncident(r, "incident.status", id, before, after)
		redirect(w, r, views.IncidentPath(id, ""))
	case errors.As(err, &ve):
		h.renderIncident(w, r, http.StatusUnprocessableEntity, id, views.LinkForm{}, "Status not changed: "+ve.Fields["status"]+".")
	case errors.Is(err, incident.ErrConflict):
		h.renderIncident(w, r, http.StatusConflict, id, views.LinkForm{},
			"Status not changed: the incident changed at the same moment; check it and try again.")
	default:
		h.fail(w, r, incidentError(err))
	}
}
