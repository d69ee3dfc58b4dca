package journeyform

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// JourneyEdit shows the editor filled with a stored journey, or its YAML.
func (h *Handler) JourneyEdit(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	if r.URL.Query().Get("tab") == "yaml" {
		y, err := journeys.EncodeYAML(rec.Journey)
		if err != nil {
			h.Fail(w, r, fmt.Errorf("export journey %q: %w", slug, err))
			return
		}
		h.Render(w, r, http.StatusOK, JourneyYAML(h.Site, JourneyYAMLForm{
			Editing: true, Slug: slug, Action: layout.JourneyPath(slug, "/import"), Text: string(y), Live: h.live,
		}))
		return
	}
	f := journeyForm(rec.Journey)
	f.Editing = true
	f.Action = layout.JourneyPath(slug, "/edit")
	f.SetErrors(nil)
	h.ready(r.Context(), f)
	h.Render(w, r, http.StatusOK, JourneyEdit(h.Site, f))
}
