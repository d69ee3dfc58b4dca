package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// SLOList returns the alert state of each SLO of a journey with the
// numbers of its latest evaluation, in the journey's order.
func (h *Handler) SLOList(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	if _, err := h.store.GetJourney(r.Context(), slug); err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	states, err := h.alerting.JourneySLOStates(r.Context(), slug)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	if states == nil {
		states = []sloeval.SLOState{}
	}
	h.WriteJSON(w, r, http.StatusOK, struct {
		SLOs []sloeval.SLOState `json:"slos"`
	}{states})
}

// SLOGet returns what an SLO's page shows: its numbers now from the
// rollups, the stored alert state, the burn-down, the recent transitions
// and exemplar traces.
func (h *Handler) SLOGet(w http.ResponseWriter, r *http.Request) {
	slug, name := chi.URLParam(r, "slug"), chi.URLParam(r, "name")
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	if _, err := journeyhttp.FindSLO(rec.Journey, name); err != nil {
		h.Fail(w, r, err)
		return
	}
	st, err := h.alerting.SLOStatus(r.Context(), slug, name, h.Now())
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "SLO %q of journey %q", name, slug))
		return
	}
	h.WriteJSON(w, r, http.StatusOK, st)
}
