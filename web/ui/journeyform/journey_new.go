package journeyform

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/waymarkhq/waymark/journeys"
)

// minSteps is how many step rows a new journey's form starts with: a
// journey needs at least two.
const minSteps = 2

// JourneyNew shows an empty editor, or its YAML tab.
func (h *Handler) JourneyNew(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := &JourneyForm{CorrelationBy: "trace"}
	var err error
	switch {
	case q.Get("trace") != "" || len(q["pick"]) > 0:
		f, err = h.draftForm(r.Context(), q)
	case q.Get("suggested") != "":
		f, err = h.suggestedForm(r.Context(), q.Get("suggested"))
	}
	if tooFew(err) && q.Get("trace") != "" && len(q["pick"]) == 0 {
		// Back to the waterfall, the ticks kept, with the reason beside
		// the button.
		back := url.Values{"picked": {strconv.Itoa(len(q["span"]))}, "span": q["span"]}
		http.Redirect(w, r, "/traces/"+url.PathEscape(q.Get("trace"))+"?"+back.Encode()+"#journey-from-trace", http.StatusSeeOther)
		return
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	f.Action = "/journeys/new"
	if q.Get("tab") == "yaml" {
		yf := JourneyYAMLForm{Action: "/journeys/import", Live: h.live}
		if len(f.Steps) > 0 {
			j, _ := formJourney(f)
			y, err := journeys.EncodeYAML(j)
			if err != nil {
				h.Fail(w, r, fmt.Errorf("export drafted journey: %w", err))
				return
			}
			yf.Text = string(y)
		}
		h.Render(w, r, http.StatusOK, JourneyYAML(h.Site, yf))
		return
	}
	padSteps(f)
	f.SetErrors(nil)
	h.ready(r.Context(), f)
	h.Render(w, r, http.StatusOK, JourneyEdit(h.Site, f))
}

// padSteps gives the form at least minSteps step rows to fill in.
func padSteps(f *JourneyForm) {
	for len(f.Steps) < minSteps {
		f.Steps = append(f.Steps, StepForm{})
	}
}
