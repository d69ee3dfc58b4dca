package web

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/views"
)

// journeyList shows every journey.
func (h *handler) journeyList(w http.ResponseWriter, r *http.Request) {
	recs, err := h.store.ListJourneys(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list := make([]views.JourneySummary, 0, len(recs))
	for _, rec := range recs {
		m := rec.Journey.Metadata
		list = append(list, views.JourneySummary{
			Slug:        m.Slug,
			Name:        m.Name,
			Owner:       m.Owner,
			Steps:       len(rec.Journey.Spec.Steps),
			Correlation: rec.Journey.Spec.Correlation,
			Version:     rec.Version,
			UpdatedAt:   rec.UpdatedAt,
			UpdatedBy:   rec.UpdatedBy,
		})
	}
	h.render(w, r, http.StatusOK, views.JourneyList(h.site, list))
}
