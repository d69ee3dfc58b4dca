package journeyform

import (
	"net/http"
)

// minSteps is how many step rows a new journey's form starts with: a
// journey needs at least two.
const minSteps = 2

// JourneyNew shows an empty editor, or its YAML tab.
func (h *Handler) JourneyNew(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("tab") == "yaml" {
		h.Render(w, r, http.StatusOK, JourneyYAML(h.Site, JourneyYAMLForm{Action: "/journeys/import"}))
		return
	}
	f := &JourneyForm{Action: "/journeys/new", CorrelationBy: "trace"}
	padSteps(f)
	f.SetErrors(nil)
	h.Render(w, r, http.StatusOK, JourneyEdit(h.Site, f))
}

// padSteps gives the form at least minSteps step rows to fill in.
func padSteps(f *JourneyForm) {
	for len(f.Steps) < minSteps {
		f.Steps = append(f.Steps, StepForm{})
	}
}
