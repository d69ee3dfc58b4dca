package journeyhttp

import (
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// Source describes the trace source the rollups read, for the sources page
// and API. Target is where it is (Tempo's URL, or the receiver's address).
type Source struct {
	Kind   string
	Target string
	// Lag is how far behind now the rollups read on purpose, so that
	// spans still in flight to the source are not missed.
	Lag time.Duration
}

// KeepUpSlack is how far past the lag a journey's rollups may trail
// before it counts as falling behind: one run interval plus one bucket.
const KeepUpSlack = 2 * time.Minute

// JourneyCost is one journey's rollup freshness and what its last run
// cost the source.
type JourneyCost struct {
	Slug string `json:"slug"`
	// Behind is now minus the end of the last complete bucket; zero
	// before the first run.
	Behind          time.Duration `json:"-"`
	BehindText      string        `json:"behind"`
	KeepingUp       bool          `json:"keeping_up"`
	CompleteThrough time.Time     `json:"complete_through"`
	LastRunAt       time.Time     `json:"last_run_at"`
	LastRunTook     string        `json:"last_run_took"`
	SpansRead       int64         `json:"spans_read"`
	NewSpans        int64         `json:"new_spans"`
	RecountSpans    int64         `json:"recount_spans"`
	// Amplification is spans read per new span: near 1 when each run
	// reads only what is new.
	Amplification  float64   `json:"amplification"`
	Requests       int       `json:"source_requests"`
	InspectedBytes int64     `json:"inspected_bytes"`
	OpenInstances  int       `json:"open_instances"`
	Runs           int64     `json:"runs"`
	LastError      string    `json:"last_error,omitempty"`
	FailingSince   time.Time `json:"failing_since,omitzero"`
}

// SourceStatus is the trace source with every journey's cost.
type SourceStatus struct {
	Kind     string        `json:"kind"`
	Target   string        `json:"target,omitempty"`
	Lag      string        `json:"lag"`
	Journeys []JourneyCost `json:"journeys"`
	// Behind counts the journeys whose rollups trail by more than the lag
	// plus KeepUpSlack, or whose last run failed.
	Behind int `json:"journeys_behind"`
}

// NewSourceStatus weighs fs against now: a journey keeps up while its
// last complete bucket ends within the lag plus KeepUpSlack of now.
func NewSourceStatus(src Source, fs []rollup.Freshness, now time.Time) SourceStatus {
	out := SourceStatus{Kind: src.Kind, Target: src.Target, Lag: DurationText(src.Lag), Journeys: make([]JourneyCost, 0, len(fs))}
	for _, f := range fs {
		c := JourneyCost{
			Slug:            f.Slug,
			CompleteThrough: f.CompleteThrough,
			LastRunAt:       f.LastRunAt,
			LastRunTook:     DurationText(f.LastRunDuration.Round(time.Millisecond)),
			SpansRead:       f.LastSpans,
			NewSpans:        f.LastNewSpans,
			RecountSpans:    f.LastRecountSpans,
			Amplification:   f.LastAmplification(),
			Requests:        f.LastFetch.Requests,
			InspectedBytes:  f.LastFetch.InspectedBytes,
			OpenInstances:   f.OpenInstances,
			Runs:            f.Totals.Runs,
			LastError:       f.LastError,
			FailingSince:    f.FailingSince,
		}
		if !f.CompleteThrough.IsZero() {
			c.Behind = max(now.Sub(f.CompleteThrough), 0).Round(time.Second)
			c.BehindText = DurationText(c.Behind)
			c.KeepingUp = c.Behind <= src.Lag+KeepUpSlack && !f.Failing()
		}
		if !c.KeepingUp {
			out.Behind++
		}
		out.Journeys = append(out.Journeys, c)
	}
	return out
}

// DurationText spells d as journey definitions do ("2m", "1h30m", "0s").
func DurationText(d time.Duration) string { return journeys.NewDuration(d).String() }
