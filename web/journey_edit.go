package web

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// journeyEdit shows the editor filled with a stored journey, or its YAML.
func (h *handler) journeyEdit(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	if r.URL.Query().Get("tab") == "yaml" {
		y, err := journeys.EncodeYAML(rec.Journey)
		if err != nil {
			h.fail(w, r, fmt.Errorf("export journey %q: %w", slug, err))
			return
		}
		h.render(w, r, http.StatusOK, views.JourneyYAML(h.site, views.JourneyYAMLForm{
			Editing: true, Slug: slug, Action: views.JourneyPath(slug, "/import"), Text: string(y),
		}))
		return
	}
	f := journeyForm(rec.Journey)
	f.Editing = true
	f.Action = views.JourneyPath(slug, "/edit")
	f.SetErrors(nil)
	h.render(w, r, http.StatusOK, views.JourneyEdit(h.site, f))
}
