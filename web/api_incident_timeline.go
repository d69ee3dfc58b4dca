package web

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/incident"
)

// apiIncidentTimeline returns an incident's timeline in time order: its
// own times, status changes, linked traces, and the deploys and alerts
// around it.
func (h *handler) apiIncidentTimeline(w http.ResponseWriter, r *http.Request) {
	in, ok := h.loadIncident(w, r)
	if !ok {
		return
	}
	deploys, alerts, err := h.timelineEvents(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	events, err := h.incidents.Timeline(r.Context(), in.ID, deploys, alerts)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	if events == nil {
		events = []incident.Event{}
	}
	h.writeJSON(w, r, http.StatusOK, apiTimeline{Events: events})
}
