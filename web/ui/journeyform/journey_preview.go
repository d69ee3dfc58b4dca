package journeyform

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// previewRanges are the ranges the "Preview journey" button offers.
var previewRanges = []string{"15m", "1h", "6h", "24h"}

// PreviewView is a journey's preview as the editor shows it.
type PreviewView struct {
	// Range names the range previewed ("1h"); From and To bound it.
	Range    string
	From, To time.Time
	Steps    []PreviewStepView
	Entered  int64
	// Completed reached the last step; InFlight entered but could still
	// go on.
	Completed int64
	InFlight  int64
	Partial   bool
	Reason    string
	Took      time.Duration
}

// PreviewStepView is one step of a preview: what its pattern matched and
// how many instances reached it.
type PreviewStepView struct {
	Name      string
	Spans     int64
	Errors    int64
	ErrorRate float64
	P95       time.Duration
	Samples   []Sample
	Read      bool
	Warning   string

	Reached    int64
	Conversion float64
	Overall    float64
	// FromPreviousP50 and FromPreviousP95 are the time from the previous
	// step; zero for step 1.
	FromPreviousP50 time.Duration
	FromPreviousP95 time.Duration
}

// Sample is a trace to open: its id and where it opens.
type Sample struct {
	ID, URL string
}

// Dropped is how many of the previous step's instances did not reach this
// one.
func (s PreviewStepView) Dropped(prev PreviewStepView) int64 { return max(prev.Reached-s.Reached, 0) }

func previewView(p *preview.Preview, rng string, traceURL func(string) string) *PreviewView {
	v := &PreviewView{Range: rng, From: p.From, To: p.To, Entered: p.Funnel.Entered, Completed: p.Funnel.Completed,
		InFlight: p.Funnel.InFlight, Partial: p.Partial, Reason: p.Reason, Took: p.Took}
	for k, s := range p.Steps {
		sv := PreviewStepView{Name: s.Name, Spans: s.Spans, Errors: s.Errors, ErrorRate: s.ErrorRate, P95: s.P95,
			Read: s.Read, Warning: s.Warning}
		for _, id := range s.Samples {
			sv.Samples = append(sv.Samples, Sample{ID: id, URL: traceURL(id)})
		}
		if k < len(p.Funnel.Steps) {
			f := p.Funnel.Steps[k]
			sv.Reached, sv.Conversion, sv.Overall = f.Reached, f.Conversion, f.Overall
			sv.FromPreviousP50, sv.FromPreviousP95 = f.FromPreviousP50, f.FromPreviousP95
		}
		v.Steps = append(v.Steps, sv)
	}
	return v
}

// previewWindow is the range named rng ("1h") ending at the last whole
// minute; an unknown name is the last hour.
func (h *Handler) previewWindow(rng string) (string, time.Time, time.Time) {
	if !slices.Contains(previewRanges, rng) {
		rng = "1h"
	}
	i := slices.IndexFunc(journeyhttp.RangePresets, func(p journeyhttp.RangePreset) bool { return p.Name == rng })
	to := h.Now().UTC().Truncate(time.Minute)
	return rng, to.Add(-journeyhttp.RangePresets[i].D), to
}

// runPreview previews j over the range named rng. A journey that does not
// validate gives its fields; anything else that fails gives a message for
// the whole preview.
func (h *Handler) runPreview(ctx context.Context, j journeys.Journey, rng string) (*PreviewView, map[string]string, string) {
	rng, from, to := h.previewWindow(rng)
	p, err := h.builder.Preview(ctx, preview.Request{Journey: j, From: from, To: to})
	var ve *journeys.ValidationError
	switch {
	case errors.As(err, &ve):
		return nil, ve.Fields, ""
	case err != nil:
		e := httpx.Classify(err)
		if e.Status >= 500 {
			h.Log.ErrorContext(ctx, "preview journey", "error", err)
		}
		return nil, nil, "Could not preview the journey: " + e.Msg
	}
	return previewView(p, rng, h.TraceURL), nil, ""
}

// StepPreview is what one step's pattern matched in the last hour, shown
// beside the step as it is edited.
type StepPreview struct {
	Index int
	// Hint is shown instead of numbers: the step has no pattern yet, or
	// the pattern does not read.
	Hint string
	// Error says the source could not answer.
	Error string
	Step  PreviewStepView
	// Quiet is set when nothing matched in the hour but something did in
	// the day before.
	Quiet bool
}

// JourneyStepPreview answers the editor's live preview of one step: the
// spans its pattern matched in the last hour, their error rate and p95,
// and three traces to open. It reads the step's inputs (steps[N].*, N
// from ?step=) from the query, as htmx sends them.
func (h *Handler) JourneyStepPreview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := readJourneyForm(q)
	i := stepParam(q.Get("step"))
	k := slices.IndexFunc(rowIndexes(q, "steps["), func(n int) bool { return n == i })
	sp := StepPreview{Index: i}
	switch {
	case i < 0 || k < 0:
		sp.Hint = "fill in a service and a span name to see what this step matches"
	default:
		sp = h.stepPreview(r.Context(), i, f.Steps[k])
	}
	h.Render(w, r, http.StatusOK, stepPreviewBox(sp))
}

func (h *Handler) stepPreview(ctx context.Context, i int, s StepForm) StepPreview {
	sp := StepPreview{Index: i}
	if s.Service == "" && s.Span == "" && s.SpanRegex == "" {
		sp.Hint = "fill in a service and a span name to see what this step matches"
		return sp
	}
	one := &JourneyForm{CorrelationBy: journeys.CorrelateByTrace, Steps: []StepForm{s, s}}
	one.Steps[0].Name, one.Steps[1].Name = "step", "again"
	j, errs := formJourney(one)
	if len(errs) > 0 {
		sp.Hint = "this step's attribute matchers do not read yet"
		return sp
	}
	v, fields, msg := h.runPreview(ctx, j, "1h")
	switch {
	case len(fields) > 0:
		for _, p := range (&journeys.ValidationError{Fields: fields}).Paths() {
			sp.Hint = "not yet a pattern: " + fields[p]
			break
		}
	case msg != "":
		sp.Error = msg
	default:
		sp.Step = v.Steps[0]
		sp.Quiet = sp.Step.Read && sp.Step.Spans == 0 && sp.Step.Warning == ""
	}
	return sp
}

func stepParam(s string) int {
	n := -1
	for _, c := range s {
		if c < '0' || c > '9' || n > 1000 {
			return -1
		}
		n = max(n, 0)*10 + int(c-'0')
	}
	return n
}

// previewCounts says how many entered the funnel and how far they got.
func previewCounts(p *PreviewView) string {
	s := layout.Count(p.Entered) + " entered, " + layout.Count(p.Completed) + " reached the last step"
	if p.InFlight > 0 {
		s += ", " + layout.Count(p.InFlight) + " may still go on"
	}
	return s + "."
}

// unmatchedSteps lists the steps of j that matched no span in the last
// 24 hours. It looks at the last quarter of an hour, then back a day for
// the steps that matched nothing there (the preview's look-back stops at
// the first span). A source that cannot answer blocks nothing: the
// journey is saved as before.
func (h *Handler) unmatchedSteps(ctx context.Context, j journeys.Journey) []int {
	if !h.live {
		return nil
	}
	_, from, to := h.previewWindow("15m")
	p, err := h.builder.Preview(ctx, preview.Request{Journey: j, From: from, To: to})
	if err != nil {
		h.Log.WarnContext(ctx, "check steps before saving", "error", err)
		return nil
	}
	var out []int
	for k, s := range p.Steps {
		if s.Unmatched {
			out = append(out, k)
		}
	}
	return out
}

// unmatchedMessage says which steps matched nothing.
func unmatchedMessage(j journeys.Journey, steps []int) string {
	names := make([]string, len(steps))
	for i, k := range steps {
		names[i] = fmt.Sprintf("step %d (%s)", k+1, j.Spec.Steps[k].Name)
	}
	verb := "matches"
	if len(steps) > 1 {
		verb = "match"
	}
	return "Not saved yet: " + strings.Join(names, ", ") + " " + verb +
		" no span of the last 24 hours. Check the service, span name, kind and attributes, or save anyway."
}
