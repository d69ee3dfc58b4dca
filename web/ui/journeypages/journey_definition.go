package journeypages

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// JourneyDefinition shows how one journey is defined: steps and their
// patterns, SLOs, YAML, history.
func (h *Handler) JourneyDefinition(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	hist, err := h.store.JourneyHistory(r.Context(), slug)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	y, err := journeys.EncodeYAML(rec.Journey)
	if err != nil {
		h.Fail(w, r, fmt.Errorf("export journey %q: %w", slug, err))
		return
	}
	d := JourneyDetail{
		Journey:   rec.Journey,
		Version:   rec.Version,
		CreatedAt: rec.CreatedAt,
		UpdatedAt: rec.UpdatedAt,
		UpdatedBy: rec.UpdatedBy,
		YAML:      string(y),
	}
	for _, v := range hist {
		d.History = append(d.History, HistoryEntry{
			Version: v.Version, Action: v.Action, ChangedBy: v.ChangedBy, ChangedAt: v.ChangedAt,
		})
	}
	h.Render(w, r, http.StatusOK, JourneyDefinition(h.Site, d))
}
