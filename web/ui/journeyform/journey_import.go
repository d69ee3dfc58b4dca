package journeyform

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// JourneyImport creates a journey from a pasted YAML document.
func (h *Handler) JourneyImport(w http.ResponseWriter, r *http.Request) {
	h.saveYAML(w, r, "")
}

// JourneyImportUpdate replaces a journey with an edited YAML document.
func (h *Handler) JourneyImportUpdate(w http.ResponseWriter, r *http.Request) {
	h.saveYAML(w, r, chi.URLParam(r, "slug"))
}

func (h *Handler) saveYAML(w http.ResponseWriter, r *http.Request, slug string) {
	if err := r.ParseForm(); err != nil {
		h.Fail(w, r, httpx.FormError(err))
		return
	}
	f := JourneyYAMLForm{
		Editing: slug != "",
		Slug:    slug,
		Action:  "/journeys/import",
		Text:    r.PostForm.Get("yaml"),
	}
	if f.Editing {
		f.Action = layout.JourneyPath(slug, "/import")
	}
	f.Live = h.live
	if r.PostForm.Get("action") == "preview" {
		h.previewYAML(w, r, f)
		return
	}
	invalid := func(status int, err error, message string) {
		var ve *journeys.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Paths() {
				f.Errors = append(f.Errors, layout.FieldError{Path: p, Message: ve.Fields[p]})
			}
		}
		f.Message = message
		h.Render(w, r, status, JourneyYAML(h.Site, f))
	}

	js, err := journeys.DecodeYAML([]byte(f.Text))
	if err != nil {
		invalid(http.StatusUnprocessableEntity, err, "")
		return
	}
	if len(js) != 1 {
		invalid(http.StatusUnprocessableEntity, nil, fmt.Sprintf(
			"found %d journeys; paste one at a time, or apply several with `waymark journeys apply`", len(js)))
		return
	}
	j := js[0]
	j.Normalize()
	if err := j.Validate(); err != nil {
		invalid(http.StatusUnprocessableEntity, err, "")
		return
	}
	res, err := h.saveJourney(r, slug, j)
	var ve *journeys.ValidationError
	switch {
	case errors.Is(err, journeystore.ErrConflict):
		invalid(http.StatusConflict, &journeys.ValidationError{Fields: map[string]string{
			"metadata.slug": fmt.Sprintf("a journey with slug %q already exists; choose another", j.Metadata.Slug),
		}}, "")
		return
	case errors.As(err, &ve):
		invalid(http.StatusUnprocessableEntity, err, "")
		return
	case err != nil:
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	httpx.Redirect(w, r, layout.JourneyPath(res.Record.Journey.Metadata.Slug, ""))
}
