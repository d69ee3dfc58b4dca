package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/alerting"
)

// apiSLOList returns the alert state of each SLO of a journey with the
// numbers of its latest evaluation, in the journey's order.
func (h *handler) apiSLOList(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	if _, err := h.store.GetJourney(r.Context(), slug); err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	states, err := h.alerting.JourneySLOStates(r.Context(), slug)
	if err != nil {
		h.fail(w, r, alertingJourneyError(slug, err))
		return
	}
	if states == nil {
		states = []alerting.SLOState{}
	}
	h.writeJSON(w, r, http.StatusOK, struct {
		SLOs []alerting.SLOState `json:"slos"`
	}{states})
}

// apiSLOGet returns what an SLO's page shows: its numbers now from the
// rollups, the stored alert state, the burn-down, the recent transitions
// and exemplar traces.
func (h *handler) apiSLOGet(w http.ResponseWriter, r *http.Request) {
	slug, name := chi.URLParam(r, "slug"), chi.URLParam(r, "name")
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	if _, err := findSLO(rec.Journey, name); err != nil {
		h.fail(w, r, err)
		return
	}
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	st, err := h.alerting.SLOStatus(r.Context(), slug, name, h.now())
	if err != nil {
		h.fail(w, r, sloError(slug, name, err))
		return
	}
	h.writeJSON(w, r, http.StatusOK, st)
}
