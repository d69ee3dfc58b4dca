package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// incidentCreate saves the form of /incidents/new. With a trace id it opens
// the incident and links the trace, snapshot and all, in one transaction;
// nothing is stored when either fails. Messages land beside their fields:
// 422 for invalid input, 404 for a trace the source does not hold, 413 for
// a trace too large to keep.
func (h *handler) incidentCreate(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, formError(err))
		return
	}
	f := readIncidentForm(r.PostForm)
	f.Action = "/incidents/new"
	f.Statuses = statusOptions("")
	in, errs := formIncident(f)
	step, err := parseStepRef(f.Step)
	if err != nil {
		errs["step"] = err.Error()
	}
	fromTrace := f.TraceID != "" || f.Step != "" || f.Note != ""
	if fromTrace && f.TraceID == "" {
		errs["trace_id"] = "required to link the trace"
	}
	if len(errs) > 0 {
		// Validate what could be read too, so that every problem shows at
		// once; a start left empty is the trace's, not missing.
		cp := in
		cp.Normalize(h.now())
		var ve *journeys.ValidationError
		if errors.As(cp.Validate(), &ve) {
			valid := ve.Fields
			if fromTrace && in.StartedAt.IsZero() {
				delete(valid, "started_at")
			}
			errs = mergeErrors(errs, valid)
		}
		h.renderIncidentForm(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}

	actor := h.actorOf(r, "web")
	var created incident.Incident
	if fromTrace {
		created, _, err = h.incidents.CreateFromTrace(r.Context(), in, f.TraceID, f.Note, step, actor)
	} else {
		created, err = h.incidents.Create(r.Context(), in, actor)
	}
	if err != nil {
		h.formFailure(w, r, f, linkError(err, f.TraceID))
		return
	}
	h.auditIncident(r, "incident.create", created.ID, nil, created)
	redirect(w, r, views.IncidentPath(created.ID, ""))
}

// formFailure re-renders the editor for a client error, with its fields or
// its message; anything else is the error page.
func (h *handler) formFailure(w http.ResponseWriter, r *http.Request, f *views.IncidentForm, err error) {
	var he *httpError
	if !errors.As(err, &he) || he.status >= 500 {
		h.fail(w, r, err)
		return
	}
	if len(he.fields) == 0 {
		f.Message = upperFirst(he.msg) + "."
	}
	h.renderIncidentForm(w, r, he.status, f, he.fields)
}

// incidentUpdate saves the form of /incidents/{id}/edit. The version it was
// opened on must still be current: a save over someone else's is refused
// with 409 and the form kept as typed.
func (h *handler) incidentUpdate(w http.ResponseWriter, r *http.Request) {
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
	f := readIncidentForm(r.PostForm)
	f.Editing, f.ID, f.Action = true, id, views.IncidentPath(id, "/edit")
	version, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("version")))
	if err != nil || version <= 0 {
		h.fail(w, r, errorf(http.StatusBadRequest, "malformed form data: version must be the positive number the form was opened on"))
		return
	}
	f.Version = version
	cur, err := h.incidents.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	f.Statuses = statusOptions(cur.Status)
	in, errs := formIncident(f)
	if len(errs) > 0 {
		cp := in
		cp.Normalize(h.now())
		var ve *journeys.ValidationError
		if errors.As(cp.Validate(), &ve) {
			errs = mergeErrors(errs, ve.Fields)
		}
		h.renderIncidentForm(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	saved, err := h.incidents.Update(r.Context(), in, h.actorOf(r, "web"))
	switch {
	case errors.Is(err, incident.ErrConflict):
		latest, gerr := h.incidents.Get(r.Context(), id)
		msg := "This incident was changed by someone else since you opened it; nothing was saved. Reload it to see their changes."
		if gerr == nil {
			msg = fmt.Sprintf("This incident was changed by %s at %s (version %d, you opened version %d); nothing was saved. Reload it to see their changes.",
				dashIfEmpty(latest.UpdatedBy), latest.UpdatedAt.UTC().Format("2006-01-02 15:04:05 UTC"), latest.Version, version)
		}
		f.Message = msg
		h.renderIncidentForm(w, r, http.StatusConflict, f, nil)
		return
	case err != nil:
		h.formFailure(w, r, f, incidentError(err))
		return
	}
	h.auditIncident(r, "incident.update", saved.ID, cur, saved)
	redirect(w, r, views.IncidentPath(saved.ID, ""))
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "someone"
	}
	return s
}
