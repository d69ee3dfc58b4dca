package journeyhttp

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Stats is a journey's numbers over a range, as the stats API returns
// them and the journey map shows them: the page is built from this very
// value, so that the two always agree.
type Stats struct {
	Journey string          `json:"journey"`
	From    time.Time       `json:"from"`
	To      time.Time       `json:"to"`
	Segment *rollup.Segment `json:"segment"`
	Steps   []StepStats     `json:"steps"`
	// OverallConversion is completed over entered.
	OverallConversion float64 `json:"overall_conversion"`
	InFlight          int64   `json:"in_flight"`
	Entered           int64   `json:"entered"`
	Completed         int64   `json:"completed"`
	Dropped           int64   `json:"dropped"`
	Errored           int64   `json:"errored"`
	// Versions lists the journey versions the numbers were computed
	// under.
	Versions []int `json:"versions"`
	// SampledShare is the share of the traffic the numbers were read
	// from: 1 when every trace was kept, 0.1 when the counts are
	// estimates weighted up from a tenth of the traces.
	SampledShare float64 `json:"sampled_share"`
}

// StepStats are one step's figures over the range, as the stats API
// answers them.
type StepStats struct {
	Name                   string  `json:"name"`
	Spans                  int64   `json:"spans"`
	Errors                 int64   `json:"errors"`
	ErrorRate              float64 `json:"error_rate"`
	LatencyMS              Latency `json:"latency_ms"`
	Reached                int64   `json:"reached"`
	ConversionFromPrevious float64 `json:"conversion_from_previous"`
	RatePerMinute          float64 `json:"rate_per_minute"`
	InFlight               int64   `json:"in_flight"`
	// DropOff counts the instances that reached the previous step and
	// dropped before this one: reached[k-1] − reached[k], less those still
	// in flight at step k-1 (their window is open). Once every window of
	// the range has closed, in_flight is 0 and drop_off is the plain
	// difference.
	DropOff            int64      `json:"drop_off"`
	TimeFromPreviousMS *StepTimes `json:"time_from_previous_ms"`
	ValueSum           float64    `json:"value_sum"`
	// DroppedValue sums the value attribute of the instances that stopped
	// at this step once their window closed, ErroredValue that of those
	// whose span of the step failed: the revenue at risk.
	DroppedValue float64     `json:"dropped_value"`
	ErroredValue float64     `json:"errored_value"`
	Exemplars    ExemplarSet `json:"exemplars"`
}

// Latency is a step's latency percentiles, in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// StepTimes is the time from the previous step to this one of the
// instances that made it: percentiles, their count and a histogram.
type StepTimes struct {
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Count int64   `json:"count"`
	// Histogram bins the times on a 1-2-5 scale; nil when nobody made it.
	Histogram *Histogram `json:"histogram"`
}

// Histogram is a distribution of durations: Counts[0] holds those below
// EdgesMS[0], Counts[i] those in [EdgesMS[i-1], EdgesMS[i]), the last those
// at or above the last edge.
type Histogram struct {
	EdgesMS []float64 `json:"edges_ms"`
	Counts  []uint64  `json:"counts"`
}

// ExemplarSet is a step's slowest and errored example traces.
type ExemplarSet struct {
	Slowest []Exemplar `json:"slowest"`
	Errored []Exemplar `json:"errored"`
}

// Exemplar is one example trace of a step.
type Exemplar struct {
	TraceID    string    `json:"trace_id"`
	Start      time.Time `json:"start"`
	DurationMS float64   `json:"duration_ms"`
	// URL is where a person reads the trace.
	URL string `json:"url"`
}

// JourneyStats reads a journey's numbers over w in one segment (nil for all
// traffic). Steps are named by the current definition; a step that only an
// earlier version had is named by its position.
func JourneyStats(ctx context.Context, rollups Rollups, traceURL func(string) string, j journeys.Journey, w Window, seg *rollup.Segment) (Stats, error) {
	slug := j.Metadata.Slug
	st, err := rollups.Stats(ctx, slug, w.From, w.To, seg)
	if err != nil {
		return Stats{}, httpx.Missing(fmt.Errorf("read stats: %w", err), "journey %q", slug)
	}
	out := Stats{
		Journey:           slug,
		From:              w.From,
		To:                w.To,
		Segment:           seg,
		Steps:             make([]StepStats, 0, len(st.Steps)),
		OverallConversion: st.Conversion,
		InFlight:          st.InFlight,
		Entered:           st.Entered,
		Completed:         st.Completed,
		Dropped:           st.Dropped,
		Errored:           st.Errored,
		Versions:          st.Versions,
		SampledShare:      st.SampledShare,
	}
	if out.Versions == nil {
		out.Versions = []int{}
	}
	minutes := w.Minutes()
	hists := rollup.TransitionHistograms(st)
	for k, s := range st.Steps {
		name := "step " + strconv.Itoa(k+1)
		if k < len(j.Spec.Steps) {
			name = j.Spec.Steps[k].Name
		}
		as := StepStats{
			Name:                   name,
			Spans:                  s.Spans,
			Errors:                 s.Errors,
			ErrorRate:              s.ErrorRate,
			LatencyMS:              Latency{P50: s.P50, P95: s.P95, P99: s.P99},
			Reached:                s.Reached,
			ConversionFromPrevious: s.ConversionFromPrevious,
			RatePerMinute:          float64(s.Spans) / minutes,
			InFlight:               s.InFlight,
			ValueSum:               s.ValueSum,
			DroppedValue:           s.DroppedValue,
			ErroredValue:           s.ErroredValue,
			Exemplars: ExemplarSet{
				Slowest: exemplars(s.Slowest, traceURL),
				Errored: exemplars(s.Errored, traceURL),
			},
		}
		if k > 0 {
			// Dropped before this step: reached the previous one and can no
			// longer go on. Those still inside their window are in flight,
			// whichever of the two steps they are at.
			prev := st.Steps[k-1]
			as.DropOff = max((prev.Reached-prev.InFlight)-(s.Reached-s.InFlight), 0)
			as.TimeFromPreviousMS = &StepTimes{P50: s.TimeFromPreviousP50, P95: s.TimeFromPreviousP95,
				P99: s.TimeFromPreviousP99, Count: s.TimeFromPreviousCount}
			if h := hists[k-1]; len(h.Counts) > 0 {
				as.TimeFromPreviousMS.Histogram = &Histogram{EdgesMS: h.EdgesMS, Counts: h.Counts}
			}
		}
		out.Steps = append(out.Steps, as)
	}
	return out, nil
}

func exemplars(ex []rollup.Exemplar, traceURL func(string) string) []Exemplar {
	out := make([]Exemplar, 0, len(ex))
	for _, e := range ex {
		out = append(out, Exemplar{
			TraceID:    e.TraceID,
			Start:      e.Start.UTC(),
			DurationMS: float64(e.Duration) / float64(time.Millisecond),
			URL:        traceURL(e.TraceID),
		})
	}
	return out
}
