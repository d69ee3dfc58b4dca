package journeyform

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// JourneyCreate saves the editor of /journeys/new.
func (h *Handler) JourneyCreate(w http.ResponseWriter, r *http.Request) {
	h.saveForm(w, r, "")
}

// JourneyUpdate saves the editor of /journeys/{slug}/edit. A changed slug
// renames the journey, history and all.
func (h *Handler) JourneyUpdate(w http.ResponseWriter, r *http.Request) {
	h.saveForm(w, r, chi.URLParam(r, "slug"))
}

// saveForm handles every button of the editor. Add and remove re-render the
// form with the rows changed; save validates, then stores the journey and
// redirects to it, or re-renders the form with each message beside its
// field (422, or 409 for a slug that is taken).
func (h *Handler) saveForm(w http.ResponseWriter, r *http.Request, slug string) {
	if err := r.ParseForm(); err != nil {
		h.Fail(w, r, httpx.FormError(err))
		return
	}
	f := readJourneyForm(r.PostForm)
	f.Editing = slug != ""
	f.Action = "/journeys/new"
	if f.Editing {
		f.Action = layout.JourneyPath(slug, "/edit")
	}
	if r.PostForm.Get("action") == "preview" {
		h.previewForm(w, r, f)
		return
	}
	if applyFormAction(f, r.PostForm.Get("action")) {
		f.SetErrors(nil)
		h.ready(r.Context(), f)
		h.Render(w, r, http.StatusOK, JourneyEdit(h.Site, f))
		return
	}

	dropBlankRows(f)
	j, errs := formJourney(f)
	j.Normalize()
	if err := j.Validate(); err != nil {
		var ve *journeys.ValidationError
		if !errors.As(err, &ve) {
			h.Fail(w, r, fmt.Errorf("validate journey: %w", err))
			return
		}
		errs = httpx.MergeErrors(errs, ve.Fields)
	}
	if len(errs) > 0 {
		h.renderForm(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	if r.PostForm.Get("action") != "save-anyway" {
		if quiet := h.unmatchedSteps(r.Context(), j); len(quiet) > 0 {
			// Most likely a mistyped service or span name: say so before
			// it is saved and shows nothing forever.
			f.Message = unmatchedMessage(j, quiet)
			f.Unmatched = true
			h.renderForm(w, r, http.StatusOK, f, nil)
			return
		}
	}

	res, err := h.saveJourney(r, slug, j)
	var ve *journeys.ValidationError
	switch {
	case errors.Is(err, journeystore.ErrConflict):
		h.renderForm(w, r, http.StatusConflict, f, map[string]string{
			"metadata.slug": fmt.Sprintf("a journey with slug %q already exists; choose another", j.Metadata.Slug),
		})
		return
	case errors.As(err, &ve):
		h.renderForm(w, r, http.StatusUnprocessableEntity, f, ve.Fields)
		return
	case err != nil:
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	httpx.Redirect(w, r, layout.JourneyPath(res.Record.Journey.Metadata.Slug, ""))
}

// saveJourney creates j (slug "") or replaces the journey at slug with it,
// for the editor and the YAML import.
func (h *Handler) saveJourney(r *http.Request, slug string, j journeys.Journey) (journeyedit.Result, error) {
	who := h.Who(r, "web")
	if slug == "" {
		return h.journeys.Create(r.Context(), who, j)
	}
	return h.journeys.Update(r.Context(), who, slug, j)
}

func (h *Handler) renderForm(w http.ResponseWriter, r *http.Request, status int, f *JourneyForm, errs map[string]string) {
	// Padding after the rows were read keeps every index in errs pointing at
	// the row the user filled.
	filled := len(f.Steps)
	padSteps(f)
	f.SetErrors(formMessages(errs, filled))
	h.ready(r.Context(), f)
	h.Render(w, r, status, JourneyEdit(h.Site, f))
}
