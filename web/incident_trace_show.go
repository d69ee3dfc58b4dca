package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/web/views"
)

// incidentTraceShow shows a linked trace's waterfall from its snapshot, so
// that it reads the same after the trace source has expired the trace, and
// says whether the source still holds it.
func (h *handler) incidentTraceShow(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in, err := h.incidents.Get(ctx, id)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	traceID := chi.URLParam(r, "traceID")
	t, err := h.incidents.Snapshot(ctx, id, traceID)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	links, err := h.incidents.LinkedTraces(ctx, id)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	p := views.IncidentTracePage{Incident: in, Waterfall: views.NewWaterfall(t), External: h.externalTraceURL(t.TraceID)}
	for _, l := range links {
		if l.TraceID == t.TraceID {
			p.Link = l
		}
	}
	p.Live = h.liveText(ctx, t.TraceID)
	h.render(w, r, http.StatusOK, views.IncidentTrace(h.site, p))
}
