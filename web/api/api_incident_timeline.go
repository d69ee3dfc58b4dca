package api

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentTimeline returns an incident's timeline in time order: its
// own times, status changes, linked traces, and the deploys and alerts
// around it.
func (h *Handler) IncidentTimeline(w http.ResponseWriter, r *http.Request) {
	in, err := h.inc.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	deploys, alerts, err := h.inc.TimelineEvents(r.Context(), in)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	events, err := h.incidents.Timeline(r.Context(), in.ID, deploys, alerts)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	if events == nil {
		events = []incident.Event{}
	}
	h.WriteJSON(w, r, http.StatusOK, apiTimeline{Events: events})
}
