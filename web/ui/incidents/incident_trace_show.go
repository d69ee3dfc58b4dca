package incidents

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// IncidentTraceShow shows a linked trace's waterfall from its snapshot, so
// that it reads the same after the trace source has expired the trace, and
// says whether the source still holds it.
func (h *Handler) IncidentTraceShow(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	ctx := r.Context()
	in, err := h.incidents.Get(ctx, id)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	traceID := chi.URLParam(r, "traceID")
	t, err := h.incidents.Snapshot(ctx, id, traceID)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	links, err := h.incidents.LinkedTraces(ctx, id)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	p := IncidentTracePage{Incident: in, Waterfall: layout.NewWaterfall(t), External: h.ExternalTraceURL(t.TraceID)}
	for _, l := range links {
		if l.TraceID == t.TraceID {
			p.Link = l
		}
	}
	p.Live = h.liveText(ctx, t.TraceID)
	h.Render(w, r, http.StatusOK, IncidentTrace(h.Site, p))
}
