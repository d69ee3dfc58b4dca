package tempo

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Cutoff is zero: Tempo does not say when it received a span, so its late
// spans are found by counting (FirstLate).
func (s *Source) Cutoff(context.Context) (time.Time, error) { return time.Time{}, nil }

// FirstLate counts each step's spans per minute of [q.From, q.To) with one
// TraceQL metrics query per step (count_over_time over the step's filter,
// which inspects about a hundredth of what a search of the same spans
// does) and returns the earliest minute where Tempo holds a different
// number of spans than the rollups counted.
func (s *Source) FirstLate(ctx context.Context, q journeys.LateQuery) (time.Time, bool, journeys.FetchStats, error) {
	var first time.Time
	var cost journeys.FetchStats
	found := false
	for k, p := range q.Steps {
		filter, err := CompileFilter(p)
		if err != nil {
			return time.Time{}, false, cost, fmt.Errorf("look for late spans: %w", err)
		}
		res, err := s.c.MetricsQueryRange(ctx, MetricsRequest{
			Query: filter + " | count_over_time()",
			Start: q.From,
			End:   q.To,
			Step:  time.Minute,
		})
		cost.Requests++
		if err != nil {
			return time.Time{}, false, cost, fmt.Errorf("look for late spans: %w", err)
		}
		cost.InspectedBytes += res.Metrics.InspectedBytes
		cost.TotalBlocks += res.Metrics.TotalBlocks
		cost.TotalJobs += res.Metrics.TotalJobs
		cost.CompletedJobs += res.Metrics.CompletedJobs
		// A sample counts the step before its timestamp: the one at 10:01
		// counts the spans that started in [10:00, 10:01) (checked against
		// a recording of Tempo 3.0.3 and its traffic's truth).
		tempo := map[int64]int64{}
		for _, ser := range res.Series {
			for _, sm := range ser.Samples {
				b := sm.Time.UTC().Truncate(time.Minute).Add(-time.Minute)
				tempo[b.UnixNano()] += int64(math.Round(sm.Value))
			}
		}
		for b := q.From.UTC().Truncate(time.Minute); b.Before(q.To); b = b.Add(time.Minute) {
			if found && !b.Before(first) {
				break
			}
			if tempo[b.UnixNano()] != q.Counted(k, b) {
				first, found = b, true
				break
			}
		}
	}
	return first, found, cost, nil
}
