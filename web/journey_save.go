package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// journeyCreate saves the editor of /journeys/new.
func (h *handler) journeyCreate(w http.ResponseWriter, r *http.Request) {
	h.saveForm(w, r, "")
}

// journeyUpdate saves the editor of /journeys/{slug}/edit. A changed slug
// renames the journey, history and all.
func (h *handler) journeyUpdate(w http.ResponseWriter, r *http.Request) {
	h.saveForm(w, r, chi.URLParam(r, "slug"))
}

// saveForm handles every button of the editor. Add and remove re-render the
// form with the rows changed; save validates, then stores the journey and
// redirects to it, or re-renders the form with each message beside its
// field (422, or 409 for a slug that is taken).
func (h *handler) saveForm(w http.ResponseWriter, r *http.Request, slug string) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, formError(err))
		return
	}
	f := readJourneyForm(r.PostForm)
	f.Editing = slug != ""
	f.Action = "/journeys/new"
	if f.Editing {
		f.Action = views.JourneyPath(slug, "/edit")
	}
	if applyFormAction(f, r.PostForm.Get("action")) {
		f.SetErrors(nil)
		h.render(w, r, http.StatusOK, views.JourneyEdit(h.site, f))
		return
	}

	dropBlankRows(f)
	j, errs := formJourney(f)
	j.Normalize()
	if err := j.Validate(); err != nil {
		var ve *journeys.ValidationError
		if !errors.As(err, &ve) {
			h.fail(w, r, fmt.Errorf("validate journey: %w", err))
			return
		}
		errs = mergeErrors(errs, ve.Fields)
	}
	if len(errs) > 0 {
		h.renderForm(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}

	res, err := h.saveJourney(r, slug, j)
	var ve *journeys.ValidationError
	switch {
	case errors.Is(err, store.ErrConflict):
		h.renderForm(w, r, http.StatusConflict, f, map[string]string{
			"metadata.slug": fmt.Sprintf("a journey with slug %q already exists; choose another", j.Metadata.Slug),
		})
		return
	case errors.As(err, &ve):
		h.renderForm(w, r, http.StatusUnprocessableEntity, f, ve.Fields)
		return
	case err != nil:
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	redirect(w, r, views.JourneyPath(res.Record.Journey.Metadata.Slug, ""))
}

// saveJourney creates j (slug "") or replaces the journey at slug with it,
// for the editor and the YAML import.
func (h *handler) saveJourney(r *http.Request, slug string, j journeys.Journey) (journeyedit.Result, error) {
	who := h.who(r, "web")
	if slug == "" {
		return h.journeys.Create(r.Context(), who, j)
	}
	return h.journeys.Update(r.Context(), who, slug, j)
}

func (h *handler) renderForm(w http.ResponseWriter, r *http.Request, status int, f *views.JourneyForm, errs map[string]string) {
	// Padding after the rows were read keeps every index in errs pointing at
	// the row the user filled.
	padSteps(f)
	f.SetErrors(errs)
	h.render(w, r, status, views.JourneyEdit(h.site, f))
}

// formError classifies a failure to read a posted form: too large, or not a
// form at all.
func formError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return &httpError{status: http.StatusBadRequest, msg: "malformed form data", err: err}
}

// mergeErrors adds validation messages to those about text the form could
// not read. The latter win, and hide validation's messages beneath them:
// "line 2: unknown operator" says more than "line 2, op: required" about the
// zero value put in the unreadable line's place.
func mergeErrors(parse, valid map[string]string) map[string]string {
	out := make(map[string]string, len(parse)+len(valid))
	for p, m := range valid {
		hidden := false
		for q := range parse {
			if p == q || strings.HasPrefix(p, q+".") || strings.HasPrefix(p, q+"[") {
				hidden = true
				break
			}
		}
		if !hidden {
			out[p] = m
		}
	}
	for p, m := range parse {
		out[p] = m
	}
	return out
}
