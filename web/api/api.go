package api

import (
	"time"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/journeys"
)

// apiJourney is a stored journey as the API returns it: the definition in
// its JSON form (the same fields as the YAML), and the record around it.
type apiJourney struct {
	Journey   journeys.Journey `json:"journey"`
	Version   int              `json:"version"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
	UpdatedBy string           `json:"updated_by"`
}

func toAPIJourney(rec journeystore.JourneyRecord) apiJourney {
	rec.Journey.Normalize()
	return apiJourney{
		Journey:   rec.Journey,
		Version:   rec.Version,
		CreatedAt: rec.CreatedAt.UTC(),
		UpdatedAt: rec.UpdatedAt.UTC(),
		UpdatedBy: rec.UpdatedBy,
	}
}

// apiJourneySummary is one journey in the list: enough to pick one, not the
// whole definition.
type apiJourneySummary struct {
	Slug        string               `json:"slug"`
	Name        string               `json:"name"`
	Owner       string               `json:"owner,omitempty"`
	Description string               `json:"description,omitempty"`
	StepCount   int                  `json:"step_count"`
	Correlation journeys.Correlation `json:"correlation"`
	Version     int                  `json:"version"`
	CreatedAt   time.Time            `json:"created_at"`
	UpdatedAt   time.Time            `json:"updated_at"`
	UpdatedBy   string               `json:"updated_by"`
}

type apiJourneyList struct {
	Journeys []apiJourneySummary `json:"journeys"`
}
