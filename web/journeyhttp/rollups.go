package journeyhttp

import (
	"context"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Rollups are the journey numbers the pages and the API read; the rollup
// store is one, and RollupsOff stands in on a server computing none.
type Rollups interface {
	Stats(ctx context.Context, slug string, from, to time.Time, seg *rollup.Segment) (rollup.JourneyStats, error)
	Series(ctx context.Context, slug string, from, to time.Time, every time.Duration, seg *rollup.Segment) ([]rollup.StepSeries, error)
	SegmentValues(ctx context.Context, slug, key string, from, to time.Time) ([]rollup.SegmentValue, error)
	SegmentReached(ctx context.Context, slug, key string, values []string, from, to time.Time) (map[string][]int64, error)
	Backfills(ctx context.Context, slug string, limit int) ([]rollup.Backfill, error)
	Freshness(ctx context.Context, slug string) (rollup.Freshness, error)
	AllFreshness(ctx context.Context) ([]rollup.Freshness, error)
	Insights
}

// RollupsOff is the Rollups of a server that computes none: every read
// answers httpx.ErrNoRollups, a 503 that says so.
type RollupsOff struct{}

var _ Rollups = RollupsOff{}

// Stats answers ErrNoRollups.
func (RollupsOff) Stats(context.Context, string, time.Time, time.Time, *rollup.Segment) (rollup.JourneyStats, error) {
	return rollup.JourneyStats{}, httpx.ErrNoRollups
}

// SegmentReached answers ErrNoRollups.
func (RollupsOff) SegmentReached(context.Context, string, string, []string, time.Time, time.Time) (map[string][]int64, error) {
	return nil, httpx.ErrNoRollups
}

// Series answers ErrNoRollups.
func (RollupsOff) Series(context.Context, string, time.Time, time.Time, time.Duration, *rollup.Segment) ([]rollup.StepSeries, error) {
	return nil, httpx.ErrNoRollups
}

// SegmentValues answers ErrNoRollups.
func (RollupsOff) SegmentValues(context.Context, string, string, time.Time, time.Time) ([]rollup.SegmentValue, error) {
	return nil, httpx.ErrNoRollups
}

// Backfills answers ErrNoRollups.
func (RollupsOff) Backfills(context.Context, string, int) ([]rollup.Backfill, error) {
	return nil, httpx.ErrNoRollups
}

// Freshness answers ErrNoRollups.
func (RollupsOff) Freshness(context.Context, string) (rollup.Freshness, error) {
	return rollup.Freshness{}, httpx.ErrNoRollups
}

// AllFreshness answers ErrNoRollups.
func (RollupsOff) AllFreshness(context.Context) ([]rollup.Freshness, error) {
	return nil, httpx.ErrNoRollups
}

// Traces fetches one whole trace. Both trace sources, Tempo and the
// embedded store, implement it; an unknown id is an error wrapping
// journeys.ErrTraceNotFound.
type Traces interface {
	Trace(ctx context.Context, traceID string) (journeys.Trace, error)
}

// TracesOff is the Traces of a server with no trace source: every fetch
// answers httpx.ErrNoTraces.
type TracesOff struct{}

// Trace answers ErrNoTraces.
func (TracesOff) Trace(context.Context, string) (journeys.Trace, error) {
	return journeys.Trace{}, httpx.ErrNoTraces
}

// Insights are the rollup reads behind the what-differs, anomaly and heat
// map views: the rollup store is one, and RollupsOff stands in.
type Insights interface {
	Differences(ctx context.Context, j journeys.Journey, q rollup.DiffQuery) (rollup.Differences, error)
	Anomalies(ctx context.Context, j journeys.Journey, q rollup.AnomalyQuery) ([]rollup.Anomaly, error)
	WeekHeatmap(ctx context.Context, slug string, step int, from, to time.Time, loc *time.Location) (rollup.WeekHeatmap, error)
	EndpointHeatmap(ctx context.Context, j journeys.Journey, from, to time.Time) (rollup.EndpointHeatmap, error)
	RevenueAtRisk(ctx context.Context, j journeys.Journey, from, to time.Time, seg *rollup.Segment) (rollup.RevenueAtRisk, error)
}

var _ Insights = RollupsOff{}

// Differences answers ErrNoRollups.
func (RollupsOff) Differences(context.Context, journeys.Journey, rollup.DiffQuery) (rollup.Differences, error) {
	return rollup.Differences{}, httpx.ErrNoRollups
}

// Anomalies answers ErrNoRollups.
func (RollupsOff) Anomalies(context.Context, journeys.Journey, rollup.AnomalyQuery) ([]rollup.Anomaly, error) {
	return nil, httpx.ErrNoRollups
}

// WeekHeatmap answers ErrNoRollups.
func (RollupsOff) WeekHeatmap(context.Context, string, int, time.Time, time.Time, *time.Location) (rollup.WeekHeatmap, error) {
	return rollup.WeekHeatmap{}, httpx.ErrNoRollups
}

// EndpointHeatmap answers ErrNoRollups.
func (RollupsOff) EndpointHeatmap(context.Context, journeys.Journey, time.Time, time.Time) (rollup.EndpointHeatmap, error) {
	return rollup.EndpointHeatmap{}, httpx.ErrNoRollups
}

// RevenueAtRisk answers ErrNoRollups.
func (RollupsOff) RevenueAtRisk(context.Context, journeys.Journey, time.Time, time.Time, *rollup.Segment) (rollup.RevenueAtRisk, error) {
	return rollup.RevenueAtRisk{}, httpx.ErrNoRollups
}
