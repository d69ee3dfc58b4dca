package layout

import "github.com/waymarkhq/waymark/journeys"

// JourneyHead is what the header of a journey's pages shows.
type JourneyHead struct {
	Journey journeys.Journey
	Version int
}

// Journey page tabs.
const (
	TabMap        = "map"
	TabDefinition = "definition"
	TabHeatmap    = "heatmap"
	// TabSLO marks an SLO's page, which has no tab of its own.
	TabSLO = "slo"
)
