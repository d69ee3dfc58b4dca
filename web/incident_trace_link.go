package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/web/views"
)

// incidentTraceLink links a trace to an incident, snapshot and all: the
// "link a trace" form and the one-click "Link" of a suggestion. A refused
// link re-renders the page with the form as typed and why beside the
// field: 422 invalid, 404 a trace the source does not hold, 409 already
// linked, 413 too large to keep. Nothing is stored then.
func (h *handler) incidentTraceLink(w http.ResponseWriter, r *http.Request) {
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
	lf := views.LinkForm{
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
	link, err := h.incidents.LinkTrace(r.Context(), id, lf.TraceID, lf.Note, step, h.actorOf(r, "web"))
	if err != nil {
		e := linkError(err, lf.TraceID)
		var he *httpError
		if !errors.As(e, &he) || he.status >= 500 || (he.status == http.StatusNotFound && len(he.fields) == 0) {
			// The incident itself is missing, or the store failed.
			h.fail(w, r, e)
			return
		}
		lf.SetErrors(he.fields)
		h.renderIncident(w, r, he.status, id, lf, "The trace was not linked: "+he.msg+".")
		return
	}
	h.auditIncident(r, "incident.trace_link", id, nil, link)
	redirect(w, r, views.IncidentPath(id, ""))
}

// incidentTracePick forwards the "Add to incident" form beside a trace to
// the incident picked in it. 307 makes the browser post the same form to
// /incidents/{id}/traces.
func (h *handler) incidentTracePick(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, formError(err))
		return
	}
	raw := strings.TrimSpace(r.PostForm.Get("incident"))
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, &httpError{status: http.StatusUnprocessableEntity, msg: "choose the incident to add the trace to",
			fields: map[string]string{"incident": "required"}})
		return
	}
	http.Redirect(w, r, views.IncidentPath(id, "/traces"), http.StatusTemporaryRedirect)
}
