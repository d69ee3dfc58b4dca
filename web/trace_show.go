package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// traceShow shows one trace as a waterfall. The id may lack the leading
// zeros Tempo strips from ids.
func (h *handler) traceShow(w http.ResponseWriter, r *http.Request) {
	raw := chi.URLParam(r, "id")
	id, ok := journeys.NormalizeTraceID(raw)
	if !ok {
		h.fail(w, r, errorf(http.StatusBadRequest, "%q is not a trace id: expected 1 to 32 hexadecimal characters", raw))
		return
	}
	p := views.TracePage{TraceID: id, Configured: h.traces != nil, External: h.externalTraceURL(id)}
	ref := traceRef{traceID: id}
	if h.traces != nil {
		t, err := h.traces.Trace(r.Context(), id)
		if err == nil && len(t.Spans) == 0 {
			err = fmt.Errorf("trace %s has no spans: %w", id, journeys.ErrTraceNotFound)
		}
		switch {
		case errors.Is(err, journeys.ErrTraceNotFound):
			h.fail(w, r, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("trace %s not found", id), err: err})
			return
		case err != nil:
			h.fail(w, r, &httpError{status: http.StatusBadGateway, msg: "the trace source failed to return the trace; try again", err: err})
			return
		}
		p.Waterfall = views.NewWaterfall(t)
		ref.at, ref.error = p.Waterfall.Start, firstError(t)
	}
	if h.incidents != nil {
		p.Incidents = h.traceIncidentActions(r, ref)
	}
	h.render(w, r, http.StatusOK, views.TraceShow(h.site, p))
}

// traceIncidentActions offers to open an incident from the trace or add it
// to an open one. ?journey= and ?step= (as the map's exemplar links carry
// them) name the journey step the trace stands for; they are passed on
// when the journey is one Waymark knows.
func (h *handler) traceIncidentActions(r *http.Request, ref traceRef) *views.TraceIncidentActions {
	q := r.URL.Query()
	line := ""
	if slug := strings.TrimSpace(q.Get("journey")); slug != "" {
		step := strings.TrimSpace(q.Get("step"))
		if _, name, ok := h.resolveStep(r.Context(), slug, step); ok {
			ref.journey, ref.step = slug, step
			line = stepLine(slug, name)
		}
	}
	return traceActions(ref, line, h.openChoices(r.Context()))
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
