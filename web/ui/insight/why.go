package insight

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/journeyhttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// Why shows what differs between the two groups of a comparison:
// ?step=N&compare=dropped|slow[&threshold=] over the range as the map
// reads it, the top values with paired bars.
func (h *Handler) Why(w http.ResponseWriter, r *http.Request) {
	d, err := journeyhttp.ReadDiffRequest(r, h.store, h.Now())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	got, err := journeyhttp.ReadDifferences(r.Context(), h.rollups, d)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.Render(w, r, http.StatusOK, WhyPage(h.Site, whyView(d, got)))
}

// WhyView is what the Why? page shows.
type WhyView struct {
	Head layout.JourneyHead
	// Question heads the page; Groups says what each bar stands for.
	Question      string
	Summary       string
	SelectedLabel string
	BaselineLabel string
	Note          string
	Rows          []WhyRow
	// MapURL is back to the map over the same range; Other is the other
	// comparison of the same step, when there is one.
	MapURL     string
	OtherURL   string
	OtherLabel string
	RangeLabel string
}

// WhyRow is one attribute value with its paired bars.
type WhyRow struct {
	Key, Value                   string
	ShareSelected, ShareBaseline float64
	CountSelected, CountBaseline int64
	Significant                  bool
	Verdict                      string
	// Bar widths in SVG units.
	SelectedW, BaselineW float64
	MapURL, TracesURL    string
}

// whyBarMax is the width of a 100% bar.
const whyBarMax = 220.0

func whyView(d journeyhttp.DiffRequest, got journeyhttp.Differences) WhyView {
	j := d.Record.Journey
	v := WhyView{
		Head:       layout.JourneyHead{Journey: j, Version: d.Record.Version},
		MapURL:     journeyhttp.MapURL(j.Metadata.Slug, d.Window, nil),
		RangeLabel: layout.FormatTime(d.Window.From) + " – " + layout.FormatTime(d.Window.To),
	}
	n := len(j.Spec.Steps)
	switch got.Compare {
	case rollup.CompareDropped:
		v.Question = fmt.Sprintf("Why do journeys drop after %s?", got.StepName)
		v.Summary = fmt.Sprintf("%s dropped after %s; %s went on to %s.", plural(got.Selected, "journey"), got.StepName, layout.Count(got.Baseline), got.NextName)
		v.SelectedLabel = "dropped after " + got.StepName
		v.BaselineLabel = "went on to " + got.NextName
		if got.InFlight > 0 {
			v.Note = fmt.Sprintf("%s still inside their window are left out: they may yet go on.", plural(got.InFlight, "journey"))
		}
		v.OtherURL = whyURL(j.Metadata.Slug, d.Window, got.Step, rollup.CompareSlow)
		v.OtherLabel = "Why is " + got.StepName + " slow?"
	default:
		v.Question = fmt.Sprintf("Why is %s slow?", got.StepName)
		v.Summary = fmt.Sprintf("%s of %s took longer than %s; %s did not.", plural(got.Selected, "span"), got.StepName, layout.Millis(got.ThresholdMS), layout.Count(got.Baseline))
		v.SelectedLabel = "slower than " + layout.Millis(got.ThresholdMS)
		v.BaselineLabel = "the rest"
		if d.Threshold == 0 {
			v.Note = "The threshold is the step's p95 over the range."
		}
		if got.Step < n {
			v.OtherURL = whyURL(j.Metadata.Slug, d.Window, got.Step, rollup.CompareDropped)
			v.OtherLabel = "Why do journeys drop after " + got.StepName + "?"
		}
	}
	for _, a := range got.Attributes {
		v.Rows = append(v.Rows, WhyRow{
			Key: a.Key, Value: a.Value, ShareSelected: a.ShareSelected, ShareBaseline: a.ShareBaseline,
			CountSelected: a.CountSelected, CountBaseline: a.CountBaseline, Significant: a.Significant,
			Verdict:   direction(a, v.SelectedLabel) + verdict(a, got.Tested),
			SelectedW: barWidth(a.ShareSelected), BaselineW: barWidth(a.ShareBaseline),
			MapURL: a.MapURL, TracesURL: a.MapURL + "#step-" + strconv.Itoa(got.Step),
		})
	}
	return v
}

// whyURL is the Why? page of a comparison at step (1-based) over w.
func whyURL(slug string, w journeyhttp.Window, step int, compareWhat string) string {
	q := url.Values{}
	q.Set("step", strconv.Itoa(step))
	q.Set("compare", compareWhat)
	q.Set("from", w.From.UTC().Format("2006-01-02T15:04:05Z"))
	q.Set("to", w.To.UTC().Format("2006-01-02T15:04:05Z"))
	return layout.JourneyPath(slug, "/why") + "?" + q.Encode()
}

func barWidth(share float64) float64 {
	if share <= 0 {
		return 0
	}
	// A value a few carry is still visibly there.
	return max(whyBarMax*share, 2)
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return layout.Count(n) + " " + noun + "s"
}

// direction says which group the value is more common in.
func direction(a journeyhttp.DiffAttribute, selected string) string {
	switch {
	case a.ShareSelected > a.ShareBaseline:
		return "More common among those " + selected + ". "
	case a.ShareSelected < a.ShareBaseline:
		return "Less common among those " + selected + ". "
	}
	return "As common in both groups. "
}

// verdict says in plain words how likely chance alone would give a gap
// as wide as the one between the shares.
func verdict(a journeyhttp.DiffAttribute, tested int) string {
	odds := chanceOdds(a.PValue)
	switch {
	case a.Significant:
		return "Real difference: chance alone would give a gap this wide " + odds + ", even allowing for the " + strconv.Itoa(tested) + " values compared."
	case a.PValue < 0.05:
		return "Maybe a difference: chance gives a gap this wide " + odds + ", which is not rare enough when " + strconv.Itoa(tested) + " values are compared."
	default:
		return "Probably chance: a gap this wide happens " + odds + "."
	}
}

func chanceOdds(p float64) string {
	switch {
	case p < 0.001:
		return "less than once in 1,000 times"
	case p >= 0.5:
		return "more often than not"
	}
	return "about once in " + layout.Count(int64(math.Round(1/p))) + " times"
}

// barsLabel says what a row's two bars show, for screen readers and as
// the chart's title.
func barsLabel(v WhyView, r WhyRow) string {
	return fmt.Sprintf("%s=%s: %s of %s, %s of %s", r.Key, r.Value, layout.Ratio(r.ShareSelected), v.SelectedLabel, layout.Ratio(r.ShareBaseline), v.BaselineLabel)
}
