package incidents

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentTraceLink links a trace to an incident, snapshot and all: the
// "link a trace" form and the one-click "Link" of a suggestion. A refused
// link re-renders the page with the form as typed and why beside the
// field: 422 invalid, 404 a trace the source does not hold, 409 already
// linked, 413 too large to keep. Nothing is stored then.
func (h *Handler) IncidentTraceLink(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.Fail(w, r, httpx.FormError(err))
		return
	}
	lf := LinkForm{
		TraceID: strings.TrimSpace(r.PostForm.Get("trace_id")),
		Note:    strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get("note"), "\r\n", "\n")),
		Step:    strings.TrimSpace(r.PostForm.Get("step")),
	}
	step, err := parseStepRef(lf.Step)
	if err != nil {
		lf.SetErrors(map[string]string{"step": err.Error()})
		h.renderIncident(w, r, http.StatusUnprocessableEntity, id, lf, "The trace was not linked.")
		return
	}
	link, err := h.incidents.LinkTrace(r.Context(), id, lf.TraceID, lf.Note, step, h.ActorOf(r, "web"))
	if err != nil {
		e := incidenthttp.LinkError(err, lf.TraceID)
		var he *httpx.Error
		if !errors.As(e, &he) || he.Status >= 500 || (he.Status == http.StatusNotFound && len(he.Fields) == 0) {
			// The incident itself is missing, or the store failed.
			h.Fail(w, r, e)
			return
		}
		lf.SetErrors(he.Fields)
		h.renderIncident(w, r, he.Status, id, lf, "The trace was not linked: "+he.Msg+".")
		return
	}
	h.inc.Audit(r, "incident.trace_link", id, nil, link)
	httpx.Redirect(w, r, IncidentPath(id, ""))
}

// IncidentTracePick forwards the "Add to incident" form beside a trace to
// the incident picked in it. 307 makes the browser post the same form to
// /incidents/{id}/traces.
func (h *Handler) IncidentTracePick(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.Fail(w, r, httpx.FormError(err))
		return
	}
	raw := strings.TrimSpace(r.PostForm.Get("incident"))
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		h.Fail(w, r, &httpx.Error{Status: http.StatusUnprocessableEntity, Msg: "choose the incident to add the trace to",
			Fields: map[string]string{"incident": "required"}})
		return
	}
	http.Redirect(w, r, IncidentPath(id, "/traces"), http.StatusTemporaryRedirect)
}
