package web

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/views"
)

// minSteps is how many step rows a new journey's form starts with: a
// journey needs at least two.
const minSteps = 2

// journeyNew shows an empty editor, or its YAML tab.
func (h *handler) journeyNew(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("tab") == "yaml" {
		h.render(w, r, http.StatusOK, views.JourneyYAML(h.site, views.JourneyYAMLForm{Action: "/journeys/import"}))
		return
	}
	f := &views.JourneyForm{Action: "/journeys/new", CorrelationBy: "trace"}
	padSteps(f)
	f.SetErrors(nil)
	h.render(w, r, http.StatusOK, views.JourneyEdit(h.site, f))
}

// padSteps gives the form at least minSteps step rows to fill in.
func padSteps(f *views.JourneyForm) {
	for len(f.Steps) < minSteps {
		f.Steps = append(f.Steps, views.StepForm{})
	}
}
