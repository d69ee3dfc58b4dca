package journeypages

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/web/ui/layout"
	"github.com/waymarkhq/waymark/web/ui/slos"
)

// JourneyMap is everything the journey map shows.
type JourneyMap struct {
	Head     layout.JourneyHead
	Range    RangePicker
	Segments SegmentPicker
	Fresh    Freshness
	// Stats is nil when the server has no rollup store.
	Stats *MapStats
	// SLOs are the journey's SLO states; nil when the server evaluates no
	// SLOs.
	SLOs []slos.SLOBadge
	// Backfills are the recomputations of the journey's history running
	// or recently finished.
	Backfills []slos.BackfillStatus
	// Forecasts say when each SLO's budget runs out at the recent burn.
	Forecasts []ForecastLine
}

// RangePicker is the time range shown and the ranges offered.
type RangePicker struct {
	From, To time.Time
	// Preset is the range picked ("1h"), or "custom" for From and To.
	Preset  string
	Presets []string
	// Segment is the segment query value (KEY=VALUE or ""), which range
	// links keep.
	Segment string
	// Typed is set when the range was not valid: the form shows FromText
	// and ToText as typed, and Invalid what is wrong with each field
	// ("from", "to", "range", "segment").
	Typed            bool
	FromText, ToText string
	Invalid          map[string]string
	// By is the segment key the breakdown compares (?by=), kept by
	// range links and the form when not the default.
	By        string
	defaultBy string
	// Paused (?live=0) stops a range ending now from refreshing itself;
	// range links and the form keep it.
	Paused bool
}

// SegmentPicker offers the journey's segments: all traffic, or one value of
// one segment key.
type SegmentPicker struct {
	// Selected is the current KEY=VALUE, or "" for all traffic.
	Selected string
	Groups   []SegmentGroup
}

// SegmentGroup is one segment key and the values seen in the range.
type SegmentGroup struct {
	Key     string
	Options []SegmentOption
}

// SegmentOption is one value of a segment key.
type SegmentOption struct {
	// Param is the query value, KEY=VALUE.
	Param   string
	Value   string
	Entered int64
}

// Freshness says how current a journey's numbers are.
type Freshness struct {
	// Configured is false when the server has no rollup store.
	Configured bool
	// UpdatedAt is the last run; zero before the first.
	UpdatedAt       time.Time
	CompleteThrough time.Time
	// DelayedSince is when the current run failures began, Error the
	// latest failure; zero while healthy.
	DelayedSince time.Time
	Error        string
	// LastRunTook, LastSpans and Amplification are what the last run
	// cost: its time, the spans it read and those per new span.
	LastRunTook   time.Duration
	LastSpans     int64
	Amplification float64
	// HasData is set when the range has numbers, which a backfill may
	// have written before any live run.
	HasData bool
	// Now decides whether instants need their date.
	Now time.Time
}

// MapStats are the numbers of the journey map over the range and segment.
type MapStats struct {
	// Slug is the journey's.
	Slug                                           string
	Entered, Completed, InFlight, Dropped, Errored int64
	Conversion                                     float64
	// Versions lists the journey versions the numbers were computed
	// under; more than one means the range spans an edit.
	Versions []int
	// Sampled is the share of the traffic the numbers were read from;
	// below 1 they are estimates weighted up from sampled traces.
	Sampled float64
	Steps   []MapStep
	// PointWidth is the width of one sparkline point; From is where the
	// first starts.
	PointWidth time.Duration
	From       time.Time
	// Deploys are those of the journey's services in the range, newest
	// first, marked on the sparklines and listed under the map.
	Deploys []slos.DeployMarker
	// Health says whether the range's numbers are usual for the time.
	Health Health
	// Transitions are the time-to-next-step histograms.
	Transitions []TransitionView
	// Risk is nil unless the journey has a value attribute.
	Risk *RiskView
	// Breakdown is nil when the journey has no segment keys.
	Breakdown *Breakdown
}

// MapStep is one step's card.
type MapStep struct {
	Name string
	// Service is the service whose spans the step counts, empty when the
	// step matches spans of any service.
	Service                                  string
	Spans, Errors                            int64
	RatePerMinute, ErrorRate                 float64
	P50, P95, P99                            float64
	Reached                                  int64
	Conversion                               float64
	InFlight, DropOff                        int64
	TimeFromPreviousP50, TimeFromPreviousP95 float64
	// Budget is the error rate the step's success SLO allows (1 −
	// objective) and BudgetSLO that SLO's name; zero and empty when the
	// step has none.
	Budget    float64
	BudgetSLO string
	// Throughput, ErrorCounts and LatencyP95 are the step's sparklines,
	// one value per point.
	Throughput  []float64
	ErrorCounts []float64
	LatencyP95  []float64
	Slowest     []ExemplarLink
	Errored     []ExemplarLink
	// SpanAnomalies and P95Anomalies mark the anomalies on the two
	// sparklines.
	SpanAnomalies []SparkMark
	P95Anomalies  []SparkMark
	// WhyDropHref compares those that dropped before this step with
	// those that reached it (empty for the first step); WhySlowHref the
	// step's slow spans with the rest.
	WhyDropHref string
	WhySlowHref string
}

// ExemplarLink is one trace behind a step's numbers.
type ExemplarLink struct {
	TraceID  string
	Start    time.Time
	Duration time.Duration
	// Href is Waymark's waterfall; External the trace backend's UI, or
	// empty when none is configured.
	Href     string
	External string
	// Incidents offers to open an incident from the trace or add it to
	// one; nil when the server keeps no incidents.
	Incidents *layout.TraceIncidentActions
}

// hasData reports whether anything was counted in the range.
func (s *MapStats) hasData() bool {
	if s.Entered > 0 {
		return true
	}
	for _, st := range s.Steps {
		if st.Spans > 0 || st.Reached > 0 {
			return true
		}
	}
	return false
}

// mapURL is the journey map's URL for a range preset (or custom from/to)
// and a segment; paused keeps the map from refreshing itself.
func mapURL(slug, preset string, from, to time.Time, segment string, paused bool, by string) string {
	q := url.Values{}
	if preset == "custom" {
		q.Set("from", from.UTC().Format(time.RFC3339))
		q.Set("to", to.UTC().Format(time.RFC3339))
	} else {
		q.Set("range", preset)
	}
	if segment != "" {
		q.Set("segment", segment)
	}
	if paused {
		q.Set("live", "0")
	}
	if by != "" {
		q.Set("by", by)
	}
	return layout.JourneyPath(slug, "") + "?" + q.Encode()
}

// RefreshEvery is how often a map of a range ending now fetches itself
// again.
const RefreshEvery = time.Minute

// refreshes reports whether the map fetches itself every RefreshEvery: a
// range ending now moves, a custom one does not, and the viewer may pause.
func (m JourneyMap) refreshes() bool {
	return m.Stats != nil && !m.Range.Typed && m.Range.Preset != "custom" && !m.Range.Paused
}

// refreshTrigger is the htmx trigger of the map's refresh.
func refreshTrigger() string { return "every " + strconv.Itoa(int(RefreshEvery/time.Second)) + "s" }

// selfURL is the map's own URL, paused or not.
func (m JourneyMap) selfURL(paused bool) string {
	return mapURL(m.Head.Journey.Metadata.Slug, m.Range.Preset, m.Range.From, m.Range.To, m.Range.Segment, paused, m.Range.byParam())
}

// byParam is the ?by= links keep: empty for the journey's first key, the
// default.
func (p RangePicker) byParam() string {
	if p.By == "" || p.By == p.defaultBy {
		return ""
	}
	return p.By
}

// breakdownURL is the map compared by key.
func (m JourneyMap) breakdownURL(key string) string {
	p := m.Range
	p.By = key
	return mapURL(m.Head.Journey.Metadata.Slug, p.Preset, p.From, p.To, p.Segment, p.Paused, p.byParam())
}

// segmentURL is the map of one segment value, compared as now.
func (m JourneyMap) segmentURL(param string) string {
	p := m.Range
	return mapURL(m.Head.Journey.Metadata.Slug, p.Preset, p.From, p.To, param, p.Paused, p.byParam())
}

// stepID is the data-testid of one number of a step: step-2-p95.
func stepID(i int, what string) string { return "step-" + strconv.Itoa(i) + "-" + what }

func versionsText(vs []int) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.Itoa(v)
	}
	if len(parts) <= 2 {
		return strings.Join(parts, " and ")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func rangeLabel(p RangePicker) string {
	if p.Typed {
		return "no range shown"
	}
	if p.Preset != "custom" {
		return "last " + p.Preset
	}
	return layout.FormatTime(p.From) + " – " + layout.FormatTime(p.To)
}

// sparkDeployX places a deploy on a sparkline whose n points of width
// every start at from; ok is false outside the line.
func sparkDeployX(at, from time.Time, every time.Duration, n int) (float64, bool) {
	if n == 0 || every <= 0 || at.Before(from) || !at.Before(from.Add(time.Duration(n)*every)) {
		return 0, false
	}
	if n == 1 {
		return layout.SparkW / 2, true
	}
	// Point i is drawn at i·step for the bucket [from+i·every,
	// from+(i+1)·every); a deploy lands in proportion within it.
	pos := float64(at.Sub(from)) / float64(every)
	return min(pos*layout.SparkW/float64(n-1), layout.SparkW), true
}

// sparkDeploys are the deploy markers of one sparkline.
func sparkDeploys(s *MapStats, n int) []layout.DeployMark {
	var out []layout.DeployMark
	for _, d := range s.Deploys {
		if x, ok := sparkDeployX(d.At, s.From, s.PointWidth, n); ok {
			out = append(out, layout.DeployMark{X: x, Label: d.Label(), Title: d.Label() + " deployed " + layout.FormatTime(d.At)})
		}
	}
	return out
}

// Error rates at or above defaultBadRate are bad, and at or above
// defaultWarnRate worth a look, on steps without a success SLO.
const (
	defaultBadRate  = 0.01
	defaultWarnRate = 0.001
)

// errorLevel classes a step's error rate: "bad" above the error budget of
// its success SLO (or at 1% without one), "warn" above half the budget (or
// at 0.1%), "" otherwise, so that a rare error is not painted like an
// outage.
func errorLevel(rate, budget float64) string {
	bad, warn := defaultBadRate, defaultWarnRate
	if budget > 0 {
		bad, warn = budget, budget/2
	}
	switch {
	case rate <= 0:
		return ""
	case budget > 0 && rate > bad, budget <= 0 && rate >= bad:
		return "bad"
	case rate >= warn:
		return "warn"
	}
	return ""
}

// errorTitle says against what a step's error rate is judged.
func errorTitle(st MapStep) string {
	if st.Budget > 0 {
		return "red above the " + layout.Ratio(st.Budget) + " of errors " + st.BudgetSLO + " allows, amber above half of it"
	}
	return "red from " + layout.Ratio(defaultBadRate) + " of spans failing, amber from " + layout.Ratio(defaultWarnRate) + " (the step has no success SLO)"
}

// fromValue is what the From input shows: the range's start, or what was
// typed when the range was not valid.
func (p RangePicker) fromValue() string {
	if p.Typed {
		return p.FromText
	}
	return layout.IsoTime(p.From)
}

// toValue is what the To input shows.
func (p RangePicker) toValue() string {
	if p.Typed {
		return p.ToText
	}
	return layout.IsoTime(p.To)
}

// plural picks one or many by n.
func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
