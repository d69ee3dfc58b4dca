package incidents

import (
	"errors"
	"net/http"
	"strings"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentStatus moves an incident to the status of the button pressed. A
// move the workflow refuses re-renders the page with why (422), changing
// nothing.
func (h *Handler) IncidentStatus(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.Fail(w, r, httpx.FormError(err))
		return
	}
	to := incident.Status(strings.TrimSpace(r.PostForm.Get("status")))
	before := h.inc.Before(r, id)
	after, err := h.incidents.SetStatus(r.Context(), id, to, h.ActorOf(r, "web"))
	var ve *journeys.ValidationError
	switch {
	case err == nil:
		h.inc.Audit(r, "incident.status", id, before, after)
		httpx.Redirect(w, r, IncidentPath(id, ""))
	case errors.As(err, &ve):
		h.renderIncident(w, r, http.StatusUnprocessableEntity, id, LinkForm{}, "Status not changed: "+ve.Fields["status"]+".")
	case errors.Is(err, incident.ErrConflict):
		h.renderIncident(w, r, http.StatusConflict, id, LinkForm{},
			"Status not changed: the incident changed at the same moment; check it and try again.")
	default:
		h.Fail(w, r, incidenthttp.Err(err))
	}
}
