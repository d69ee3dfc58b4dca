package traces

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// TraceShow shows one trace as a waterfall. The id may lack the leading
// zeros Tempo strips from ids.
func (h *Handler) TraceShow(w http.ResponseWriter, r *http.Request) {
	raw := chi.URLParam(r, "id")
	id, ok := journeys.NormalizeTraceID(raw)
	if !ok {
		h.Fail(w, r, httpx.Errorf(http.StatusBadRequest, "%q is not a trace id: expected 1 to 32 hexadecimal characters", raw))
		return
	}
	p := TracePage{TraceID: id, Configured: h.Site.Traces, External: h.ExternalTraceURL(id)}
	ref := incidenthttp.TraceRef{TraceID: id}
	if h.Site.Traces {
		t, err := h.traces.Trace(r.Context(), id)
		if err == nil && len(t.Spans) == 0 {
			err = fmt.Errorf("trace %s has no spans: %w", id, journeys.ErrTraceNotFound)
		}
		switch {
		case errors.Is(err, journeys.ErrTraceNotFound):
			h.Fail(w, r, &httpx.Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("trace %s not found", id), Err: err})
			return
		case err != nil:
			h.Fail(w, r, &httpx.Error{Status: http.StatusBadGateway, Msg: "the trace source failed to return the trace; try again", Err: err})
			return
		}
		p.Waterfall = layout.NewWaterfall(t)
		if layout.CanEditJourneys(r.Context()) {
			p.Waterfall.PickForm = pickForm
			p.PickError, p.Waterfall.Picked = pickState(r.URL.Query())
		}
		ref.At, ref.Error = p.Waterfall.Start, firstError(t)
	}
	if h.Site.Incidents {
		p.Incidents = h.incidentActions(r, ref)
	}
	h.Render(w, r, http.StatusOK, TraceShow(h.Site, p))
}

// pickForm is the id of the form that drafts a journey from the spans
// ticked in the waterfall.
const pickForm = "journey-from-trace"

// pickState is what the editor sent back: ?picked=N when N spans were
// too few for a journey, with the ticked spans (?span=) to tick again.
func pickState(q url.Values) (string, map[string]bool) {
	n, err := strconv.Atoi(q.Get("picked"))
	if err != nil || n < 0 || n >= journeys.MinSteps {
		return "", nil
	}
	picked := map[string]bool{}
	for _, id := range q["span"] {
		picked[id] = true
	}
	return fmt.Sprintf("Tick at least %d spans, one per step: %s ticked.", journeys.MinSteps, tickedWords(n)), picked
}

func tickedWords(n int) string {
	switch n {
	case 0:
		return "none was"
	case 1:
		return "1 was"
	}
	return strconv.Itoa(n) + " were"
}

// incidentActions offers to open an incident from the trace or add it
// to an open one. ?journey= and ?step= (as the map's exemplar links carry
// them) name the journey step the trace stands for; they are passed on
// when the journey is one Waymark knows.
func (h *Handler) incidentActions(r *http.Request, ref incidenthttp.TraceRef) *layout.TraceIncidentActions {
	q := r.URL.Query()
	line := ""
	if slug := strings.TrimSpace(q.Get("journey")); slug != "" {
		step := strings.TrimSpace(q.Get("step"))
		if _, name, ok := h.inc.ResolveStep(r.Context(), slug, step); ok {
			ref.Journey, ref.Step = slug, step
			line = incidenthttp.StepLine(slug, name)
		}
	}
	return incidenthttp.Actions(ref, line, h.inc.OpenChoices(r.Context()))
}

// firstError is the message of the earliest failing span of a trace: its
// status message, else its exception type; "" when nothing failed or the
// failure says nothing.
func firstError(t journeys.Trace) string {
	var first *journeys.TraceSpan
	for i := range t.Spans {
		sp := &t.Spans[i]
		if sp.Error && (first == nil || sp.Start.Before(first.Start)) {
			first = sp
		}
	}
	if first == nil {
		return ""
	}
	if m := strings.TrimSpace(first.StatusMessage); m != "" {
		return m
	}
	for _, kv := range first.Attributes {
		if kv.Key == "exception.type" {
			return kv.Value
		}
	}
	return ""
}
