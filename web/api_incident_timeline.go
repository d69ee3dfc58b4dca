package web

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/incident"
)

// apiIncidentTimeline returns an incident's timeline in time order: its
// own times, status changes, linked traces, and the deploys and alerts
// around it.
func (h *handler) apiIncidentTimeline(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.incidents.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	deploys, alerts, err := h.timelineEvents(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	events, err := h.incidents.Timeline(r.Context(), id, deploys, alerts)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	if events == nil {
		events = []incident.Event{}
	}
	h.writeJSON(w, r, http.StatusOK, apiTimeline{Events: events})
}
