package incidents

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentCreate saves the form of /incidents/new. With a trace id it opens
// the incident and links the trace, snapshot and all, in one transaction;
// nothing is stored when either fails. Messages land beside their fields:
// 422 for invalid input, 404 for a trace the source does not hold, 413 for
// a trace too large to keep.
func (h *Handler) IncidentCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.Fail(w, r, httpx.FormError(err))
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
		cp.Normalize(h.Now())
		var ve *journeys.ValidationError
		if errors.As(cp.Validate(), &ve) {
			valid := ve.Fields
			if fromTrace && in.StartedAt.IsZero() {
				delete(valid, "started_at")
			}
			errs = httpx.MergeErrors(errs, valid)
		}
		h.renderIncidentForm(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}

	actor := h.ActorOf(r, "web")
	var created incident.Incident
	if fromTrace {
		created, _, err = h.incidents.CreateFromTrace(r.Context(), in, f.TraceID, f.Note, step, actor)
	} else {
		created, err = h.incidents.Create(r.Context(), in, actor)
	}
	if err != nil {
		h.formFailure(w, r, f, incidenthttp.LinkError(err, f.TraceID))
		return
	}
	h.inc.Audit(r, "incident.create", created.ID, nil, created)
	httpx.Redirect(w, r, IncidentPath(created.ID, ""))
}

// formFailure re-renders the editor for a client error, with its fields or
// its message; anything else is the error page.
func (h *Handler) formFailure(w http.ResponseWriter, r *http.Request, f *IncidentForm, err error) {
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status >= 500 {
		h.Fail(w, r, err)
		return
	}
	if len(he.Fields) == 0 {
		f.Message = httpx.UpperFirst(he.Msg) + "."
	}
	h.renderIncidentForm(w, r, he.Status, f, he.Fields)
}

// IncidentUpdate saves the form of /incidents/{id}/edit. The version it was
// opened on must still be current: a save over someone else's is refused
// with 409 and the form kept as typed.
func (h *Handler) IncidentUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.Fail(w, r, httpx.FormError(err))
		return
	}
	f := readIncidentForm(r.PostForm)
	f.Editing, f.ID, f.Action = true, id, IncidentPath(id, "/edit")
	version, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("version")))
	if err != nil || version <= 0 {
		h.Fail(w, r, httpx.Errorf(http.StatusBadRequest, "malformed form data: version must be the positive number the form was opened on"))
		return
	}
	f.Version = version
	cur, err := h.incidents.Get(r.Context(), id)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	f.Statuses = statusOptions(cur.Status)
	in, errs := formIncident(f)
	if len(errs) > 0 {
		cp := in
		cp.Normalize(h.Now())
		var ve *journeys.ValidationError
		if errors.As(cp.Validate(), &ve) {
			errs = httpx.MergeErrors(errs, ve.Fields)
		}
		h.renderIncidentForm(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	saved, err := h.incidents.Update(r.Context(), in, h.ActorOf(r, "web"))
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
		h.formFailure(w, r, f, incidenthttp.Err(err))
		return
	}
	h.inc.Audit(r, "incident.update", saved.ID, cur, saved)
	httpx.Redirect(w, r, IncidentPath(saved.ID, ""))
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "someone"
	}
	return s
}
