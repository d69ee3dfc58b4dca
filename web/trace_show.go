package web

import (
	"errors"
	"fmt"
	"net/http"

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
	}
	h.render(w, r, http.StatusOK, views.TraceShow(h.site, p))
}
