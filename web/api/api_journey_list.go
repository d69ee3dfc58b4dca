package api

import "net/http"

// JourneyList lists every journey, ordered by slug.
func (h *Handler) JourneyList(w http.ResponseWriter, r *http.Request) {
	recs, err := h.store.ListJourneys(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	out := apiJourneyList{Journeys: make([]apiJourneySummary, 0, len(recs))}
	for _, rec := range recs {
		m := rec.Journey.Metadata
		out.Journeys = append(out.Journeys, apiJourneySummary{
			Slug:        m.Slug,
			Name:        m.Name,
			Owner:       m.Owner,
			Description: m.Description,
			StepCount:   len(rec.Journey.Spec.Steps),
			Correlation: rec.Journey.Spec.Correlation,
			Version:     rec.Version,
			CreatedAt:   rec.CreatedAt.UTC(),
			UpdatedAt:   rec.UpdatedAt.UTC(),
			UpdatedBy:   rec.UpdatedBy,
		})
	}
	h.WriteJSON(w, r, http.StatusOK, out)
}
