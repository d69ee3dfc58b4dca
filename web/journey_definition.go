package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// journeyDefinition shows how one journey is defined: steps and their
// patterns, SLOs, YAML, history.
func (h *handler) journeyDefinition(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.fail(w, r, notFoundJourney(slug, err))
		return
	}
	hist, err := h.store.JourneyHistory(r.Context(), slug)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	y, err := journeys.EncodeYAML(rec.Journey)
	if err != nil {
		h.fail(w, r, fmt.Errorf("export journey %q: %w", slug, err))
		return
	}
	d := views.JourneyDetail{
		Journey:   rec.Journey,
		Version:   rec.Version,
		CreatedAt: rec.CreatedAt,
		UpdatedAt: rec.UpdatedAt,
		UpdatedBy: rec.UpdatedBy,
		YAML:      string(y),
	}
	for _, v := range hist {
		d.History = append(d.History, views.HistoryEntry{
			Version: v.Version, Action: v.Action, ChangedBy: v.ChangedBy, ChangedAt: v.ChangedAt,
		})
	}
	h.render(w, r, http.StatusOK, views.JourneyDefinition(h.site, d))
}

// notFoundJourney words a store miss for the client; other errors pass
// through unchanged.
func notFoundJourney(slug string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("journey %q not found", slug), err: err}
	}
	return err
}
