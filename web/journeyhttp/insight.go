package journeyhttp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/anomaly"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// DefaultTop is how many attribute values a comparison shows unless
// ?top= says otherwise; MaxTop bounds it.
const (
	DefaultTop = 10
	MaxTop     = 100
)

// DiffRequest is what a what-differs request names: the journey, window
// and segment of Query, the step (0-based here, 1-based in the URL), what
// to compare, the slow threshold and how many values to keep.
type DiffRequest struct {
	Query
	Step      int
	Compare   string
	Threshold time.Duration
	Top       int
}

// ReadDiffRequest reads ?step=N&compare=dropped|slow[&threshold=][&top=]
// on top of ReadQuery.
func ReadDiffRequest(r *http.Request, st *journeystore.Store, now time.Time) (DiffRequest, error) {
	jq, err := ReadQuery(r, st, now)
	if err != nil {
		return DiffRequest{}, err
	}
	q := r.URL.Query()
	d := DiffRequest{Query: jq, Top: DefaultTop}
	switch d.Compare = q.Get("compare"); d.Compare {
	case rollup.CompareDropped, rollup.CompareSlow:
	case "":
		return d, httpx.ParamError("compare", "is required: %q or %q", rollup.CompareDropped, rollup.CompareSlow)
	default:
		return d, httpx.ParamError("compare", "%q is not %q or %q", clip(d.Compare), rollup.CompareDropped, rollup.CompareSlow)
	}
	n := len(jq.Record.Journey.Spec.Steps)
	last := n
	if d.Compare == rollup.CompareDropped {
		last = n - 1
	}
	if d.Step, err = ParseStep(q.Get("step"), last, true); err != nil {
		if d.Compare == rollup.CompareDropped && last < 1 {
			return d, httpx.ParamError("step", "the journey has one step: there is no drop-off to compare")
		}
		return d, err
	}
	if v := q.Get("threshold"); v != "" {
		if d.Compare != rollup.CompareSlow {
			return d, httpx.ParamError("threshold", "only applies to compare=slow")
		}
		dur, err := journeys.ParseDuration(v)
		if err != nil || dur.D <= 0 {
			return d, httpx.ParamError("threshold", "%q is not a positive duration such as 800ms or 2s", clip(v))
		}
		d.Threshold = dur.D
	}
	if v := q.Get("top"); v != "" {
		t, err := strconv.Atoi(v)
		if err != nil || t < 1 || t > MaxTop {
			return d, httpx.ParamError("top", "%q is not a whole number from 1 to %d", clip(v), MaxTop)
		}
		d.Top = t
	}
	if d.Segment != nil {
		// The rollups count each segment key apart: they cannot say how a
		// second key's values spread within one value of the first.
		return d, httpx.ParamError("segment", "a comparison covers all traffic: the rollups cannot cross %s with the other keys; drop segment= and read the %s row of the answer", d.Segment.Key, d.Segment.Key)
	}
	return d, nil
}

// ParseStep reads a 1-based step number from 1 to last and returns it
// 0-based; empty is step 1 unless required.
func ParseStep(v string, last int, required bool) (int, error) {
	if v == "" {
		if required {
			return 0, httpx.ParamError("step", "is required: a step number from 1 to %d", max(last, 1))
		}
		v = "1"
	}
	k, err := strconv.Atoi(v)
	if err != nil || k < 1 || k > last {
		if last < 1 {
			return 0, httpx.ParamError("step", "%q: the journey has no step to ask about", clip(v))
		}
		return 0, httpx.ParamError("step", "%q is not a step number from 1 to %d", clip(v), last)
	}
	return k - 1, nil
}

// clip shortens a parameter for an error message and makes it printable.
func clip(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\\0"), "?")
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Differences is the what-differs answer of the API and of the Why? page.
type Differences struct {
	Journey string    `json:"journey"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// Step is 1-based; StepName its name, NextName the next step's for
	// compare=dropped.
	Step     int    `json:"step"`
	StepName string `json:"step_name"`
	NextName string `json:"next_name,omitempty"`
	Compare  string `json:"compare"`
	// Selected and Baseline are the sizes of the two groups: the dropped
	// and those that went on, or the slow spans and the rest; InFlight the
	// instances left out because they may yet go on.
	Selected       int64   `json:"selected"`
	Baseline       int64   `json:"baseline"`
	InFlight       int64   `json:"in_flight"`
	ThresholdMS    float64 `json:"threshold_ms,omitempty"`
	ThresholdExact bool    `json:"threshold_exact,omitempty"`
	// Tested counts the attribute values compared, of which Attributes
	// keeps the most different.
	Tested     int             `json:"tested"`
	Attributes []DiffAttribute `json:"attributes"`
}

// DiffAttribute is one attribute value of a comparison.
type DiffAttribute struct {
	Key           string  `json:"key"`
	Value         string  `json:"value"`
	ShareSelected float64 `json:"share_selected"`
	ShareBaseline float64 `json:"share_baseline"`
	CountSelected int64   `json:"count_selected"`
	CountBaseline int64   `json:"count_baseline"`
	PValue        float64 `json:"p_value"`
	// QValue is the p-value adjusted for every value tested
	// (Benjamini–Hochberg); Significant says it is under 5%.
	QValue      float64 `json:"q_value"`
	Significant bool    `json:"significant"`
	// MapURL is the journey map within this value, where its traces are.
	MapURL string `json:"map_url"`
}

// ReadDifferences compares the two groups d names.
func ReadDifferences(ctx context.Context, ins Insights, d DiffRequest) (Differences, error) {
	j := d.Record.Journey
	slug := j.Metadata.Slug
	q := rollup.DiffQuery{Slug: slug, From: d.Window.From, To: d.Window.To, Step: d.Step, Compare: d.Compare, Threshold: d.Threshold}
	got, err := ins.Differences(ctx, j, q)
	if err != nil {
		return Differences{}, insightError(err, slug)
	}
	out := Differences{
		Journey: slug, From: d.Window.From, To: d.Window.To, Step: d.Step + 1, StepName: j.Spec.Steps[d.Step].Name,
		Compare: d.Compare, Selected: got.Selected, Baseline: got.Baseline, InFlight: got.InFlight,
		ThresholdMS: got.ThresholdMS, ThresholdExact: got.ThresholdExact, Tested: len(got.Attributes),
		Attributes: []DiffAttribute{},
	}
	if d.Compare == rollup.CompareDropped {
		out.NextName = j.Spec.Steps[d.Step+1].Name
	}
	for _, a := range got.Attributes[:min(len(got.Attributes), d.Top)] {
		out.Attributes = append(out.Attributes, DiffAttribute{
			Key: a.Key, Value: a.Value, ShareSelected: a.ShareSelected, ShareBaseline: a.ShareBaseline,
			CountSelected: a.CountSelected, CountBaseline: a.CountBaseline, PValue: a.PValue, QValue: a.QValue,
			Significant: a.Significant, MapURL: MapURL(slug, d.Window, &rollup.Segment{Key: a.Key, Value: a.Value}),
		})
	}
	return out, nil
}

// MapURL is the journey map over w within seg (nil for all traffic).
func MapURL(slug string, w Window, seg *rollup.Segment) string {
	q := url.Values{}
	q.Set("from", w.From.UTC().Format(time.RFC3339))
	q.Set("to", w.To.UTC().Format(time.RFC3339))
	if seg != nil && !seg.All() {
		q.Set("segment", seg.Key+"="+seg.Value)
	}
	return "/journeys/" + url.PathEscape(slug) + "?" + q.Encode()
}

// insightError words the engine's refusals as the client's fault.
func insightError(err error, slug string) error {
	if errors.Is(err, rollup.ErrBadComparison) {
		msg := err.Error()
		if i := strings.Index(msg, rollup.ErrBadComparison.Error()+": "); i >= 0 {
			msg = msg[i+len(rollup.ErrBadComparison.Error())+2:]
		}
		return httpx.Errorf(http.StatusBadRequest, "%s", msg)
	}
	return httpx.Missing(fmt.Errorf("read insight: %w", err), "journey %q", slug)
}

// Baseline kinds of an anomaly, as the API names them.
const (
	BaselineWeekly   = "weekly"
	BaselineDaily    = "daily"
	BaselineTrailing = "trailing"
)

// Anomalies is the anomalies answer of the API.
type Anomalies struct {
	Journey   string    `json:"journey"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Anomalies []Anomaly `json:"anomalies"`
}

// Anomaly is one run of points outside the expected band.
type Anomaly struct {
	// Step is 1-based, null for the journey's conversion.
	Step     *int   `json:"step"`
	StepName string `json:"step_name,omitempty"`
	Metric   string `json:"metric"`
	// From and To bound the run; At is the point furthest outside its
	// band, and the values are that point's: throughput per minute,
	// rates as fractions, p95 in milliseconds.
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	At           time.Time `json:"at"`
	Value        float64   `json:"value"`
	Expected     float64   `json:"expected"`
	ExpectedLow  float64   `json:"expected_low"`
	ExpectedHigh float64   `json:"expected_high"`
	// Baseline is weekly or daily (seasonal) or trailing (the fallback
	// with too little history); BaselineText says it in words.
	Baseline     string `json:"baseline"`
	BaselineText string `json:"baseline_text"`
	// Summary says it in one sentence.
	Summary string `json:"summary"`
}

// ReadAnomalies looks for the anomalies of j over w; conversion is judged
// only for cohorts whose window has closed by the freshness's edge.
func ReadAnomalies(ctx context.Context, rollups Rollups, j journeys.Journey, w Window) (Anomalies, error) {
	slug := j.Metadata.Slug
	fresh, err := rollups.Freshness(ctx, slug)
	if err != nil {
		return Anomalies{}, httpx.Missing(fmt.Errorf("read freshness: %w", err), "journey %q", slug)
	}
	got, err := rollups.Anomalies(ctx, j, rollup.AnomalyQuery{From: w.From, To: w.To, CompleteThrough: fresh.CompleteThrough})
	if err != nil {
		return Anomalies{}, insightError(err, slug)
	}
	out := Anomalies{Journey: slug, From: w.From, To: w.To, Anomalies: make([]Anomaly, 0, len(got))}
	for _, a := range got {
		out.Anomalies = append(out.Anomalies, AnomalyOf(j, a))
	}
	return out, nil
}

// AnomalyOf words one of the engine's anomalies.
func AnomalyOf(j journeys.Journey, a rollup.Anomaly) Anomaly {
	x := Anomaly{
		Metric: a.Metric, From: a.From.UTC(), To: a.To.UTC(), At: a.At.UTC(), Value: a.Value, Expected: a.Expected,
		ExpectedLow: a.ExpectedLow, ExpectedHigh: a.ExpectedHigh, BaselineText: a.Baseline,
	}
	switch a.Baseline {
	case anomaly.BaselineWeekly:
		x.Baseline = BaselineWeekly
	case anomaly.BaselineDaily:
		x.Baseline = BaselineDaily
	default:
		x.Baseline = BaselineTrailing
	}
	if a.Step >= 0 {
		k := a.Step + 1
		x.Step = &k
		if a.Step < len(j.Spec.Steps) {
			x.StepName = j.Spec.Steps[a.Step].Name
		} else {
			x.StepName = "step " + strconv.Itoa(k)
		}
	}
	x.Summary = anomalySentence(j, x, a.Change())
	return x
}

// anomalySentence is the health line's wording: "checkout conversion 18%
// below its usual for Tuesday 14:00".
func anomalySentence(j journeys.Journey, a Anomaly, change float64) string {
	what := metricWords[a.Metric]
	subject := a.StepName + " " + what
	if a.Step == nil {
		name := j.Metadata.Name
		if name == "" {
			name = j.Metadata.Slug
		}
		subject = name + " " + what
	}
	var how string
	switch {
	case a.Expected == 0:
		how = "at " + metricValue(a.Metric, a.Value) + " where nothing is usual"
	case change >= 1:
		how = fmt.Sprintf("%.1f× its usual", a.Value/a.Expected)
	case change >= 0:
		how = fmt.Sprintf("%d%% above its usual", int(math.Round(100*change)))
	default:
		how = fmt.Sprintf("%d%% below its usual", int(math.Round(-100*change)))
	}
	at := a.At.Format("Monday 15:04")
	switch a.Baseline {
	case BaselineWeekly:
		return fmt.Sprintf("%s %s for %s UTC (%s against %s expected)", subject, how, at, metricValue(a.Metric, a.Value), metricValue(a.Metric, a.Expected))
	case BaselineDaily:
		return fmt.Sprintf("%s %s for %s UTC on recent days (%s against %s expected; under two weeks of history, so weekdays and weekends are not told apart)",
			subject, how, a.At.Format("15:04"), metricValue(a.Metric, a.Value), metricValue(a.Metric, a.Expected))
	default:
		return fmt.Sprintf("%s %s of the last 6 hours at %s UTC (%s against %s expected; too little history for a seasonal baseline, so this is a trailing one)",
			subject, how, at, metricValue(a.Metric, a.Value), metricValue(a.Metric, a.Expected))
	}
}

var metricWords = map[string]string{
	rollup.MetricThroughput: "throughput",
	rollup.MetricErrorRate:  "error rate",
	rollup.MetricP95:        "p95 latency",
	rollup.MetricConversion: "conversion",
}

func metricValue(metric string, v float64) string {
	switch metric {
	case rollup.MetricThroughput:
		return strconv.FormatFloat(v, 'g', 3, 64) + "/min"
	case rollup.MetricP95:
		return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
	default:
		return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
	}
}

// Heat map kinds and metrics.
const (
	HeatmapWeek     = "week"
	HeatmapEndpoint = "endpoint"
)

// HeatmapMetrics are the metrics an hour-of-week heat map can show.
var HeatmapMetrics = []string{rollup.MetricThroughput, rollup.MetricErrorRate, rollup.MetricP95}

// HeatmapRequest is what a heat map request names.
type HeatmapRequest struct {
	Query
	Kind   string
	Metric string
	// Step is 0-based.
	Step int
}

// ReadHeatmapRequest reads ?kind=week|endpoint&metric=&step= on top of
// ReadQuery.
func ReadHeatmapRequest(r *http.Request, st *journeystore.Store, now time.Time) (HeatmapRequest, error) {
	jq, err := ReadQuery(r, st, now)
	if err != nil {
		return HeatmapRequest{}, err
	}
	q := r.URL.Query()
	h := HeatmapRequest{Query: jq, Kind: q.Get("kind"), Metric: q.Get("metric")}
	if h.Kind == "" {
		h.Kind = HeatmapWeek
	}
	if h.Kind != HeatmapWeek && h.Kind != HeatmapEndpoint {
		return h, httpx.ParamError("kind", "%q is not %q or %q", clip(h.Kind), HeatmapWeek, HeatmapEndpoint)
	}
	if h.Segment != nil {
		return h, httpx.ParamError("segment", "heat maps are of all traffic")
	}
	if h.Kind == HeatmapEndpoint {
		if h.Metric != "" && h.Metric != rollup.MetricP95 {
			return h, httpx.ParamError("metric", "the endpoint heat map shows p95 only, not %q", clip(h.Metric))
		}
		if q.Get("step") != "" {
			return h, httpx.ParamError("step", "the endpoint heat map covers every step")
		}
		h.Metric = rollup.MetricP95
		if hours := int((h.Window.To.Sub(h.Window.From.Truncate(time.Hour)) + time.Hour - 1) / time.Hour); hours > rollup.MaxHeatmapHours {
			return h, httpx.ParamError("from", "the endpoint heat map covers at most %d days, not %d hours", rollup.MaxHeatmapHours/24, hours)
		}
		return h, nil
	}
	if h.Metric == "" {
		h.Metric = rollup.MetricThroughput
	}
	if !containsString(HeatmapMetrics, h.Metric) {
		return h, httpx.ParamError("metric", "%q is not one of %s", clip(h.Metric), strings.Join(HeatmapMetrics, ", "))
	}
	if h.Step, err = ParseStep(q.Get("step"), len(jq.Record.Journey.Spec.Steps), false); err != nil {
		return h, err
	}
	return h, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WeekHeatmap is one step's hour-of-week heat map, as the API answers it.
type WeekHeatmap struct {
	Journey string    `json:"journey"`
	Kind    string    `json:"kind"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// Step is 1-based.
	Step     int    `json:"step"`
	StepName string `json:"step_name"`
	Metric   string `json:"metric"`
	Zone     string `json:"zone"`
	// Cells are the 168 hours of the week, Sunday 00:00 first.
	Cells []WeekCell `json:"cells"`
	// Max is the greatest value of a cell with spans.
	Max float64 `json:"max"`
}

// WeekCell is one hour of the week.
type WeekCell struct {
	// Day is 0 for Sunday; Hour 0–23.
	Day  int `json:"day"`
	Hour int `json:"hour"`
	// Value is the metric: spans per minute, errors over spans, or p95
	// in milliseconds; 0 without spans.
	Value  float64 `json:"value"`
	Spans  int64   `json:"spans"`
	Errors int64   `json:"errors"`
	// Hours counts the range's hours that fell in the cell.
	Hours int `json:"hours"`
}

// ReadWeekHeatmap reads the hour-of-week heat map h asks for, in UTC.
func ReadWeekHeatmap(ctx context.Context, ins Insights, h HeatmapRequest) (WeekHeatmap, error) {
	j := h.Record.Journey
	slug := j.Metadata.Slug
	got, err := ins.WeekHeatmap(ctx, slug, h.Step, h.Window.From, h.Window.To, time.UTC)
	if err != nil {
		return WeekHeatmap{}, insightError(err, slug)
	}
	out := WeekHeatmap{Journey: slug, Kind: HeatmapWeek, From: h.Window.From, To: h.Window.To, Step: h.Step + 1,
		StepName: j.Spec.Steps[h.Step].Name, Metric: h.Metric, Zone: got.Zone, Cells: make([]WeekCell, 0, 7*24)}
	for d := range got.Cells {
		for hr, c := range got.Cells[d] {
			x := WeekCell{Day: d, Hour: hr, Spans: c.Spans, Errors: c.Errors, Hours: c.Hours}
			if c.Spans > 0 {
				switch h.Metric {
				case rollup.MetricThroughput:
					x.Value = c.Throughput()
				case rollup.MetricErrorRate:
					x.Value = c.ErrorRate()
				default:
					x.Value = c.P95
				}
				out.Max = max(out.Max, x.Value)
			}
			out.Cells = append(out.Cells, x)
		}
	}
	return out, nil
}

// EndpointHeatmap is the service × endpoint p95 heat map, as the API
// answers it.
type EndpointHeatmap struct {
	Journey string         `json:"journey"`
	Kind    string         `json:"kind"`
	From    time.Time      `json:"from"`
	To      time.Time      `json:"to"`
	Metric  string         `json:"metric"`
	Hours   []time.Time    `json:"hours"`
	Rows    []EndpointLine `json:"rows"`
	// Max is the greatest p95 of a cell with spans.
	Max float64 `json:"max"`
}

// EndpointLine is one service and endpoint, hour by hour.
type EndpointLine struct {
	Service  string `json:"service"`
	Endpoint string `json:"endpoint"`
	// Steps are 1-based.
	Steps []int          `json:"steps"`
	Cells []EndpointCell `json:"cells"`
}

// EndpointCell is one hour of one endpoint; P95 is 0 without spans.
type EndpointCell struct {
	P95    float64 `json:"p95_ms"`
	Spans  int64   `json:"spans"`
	Errors int64   `json:"errors"`
}

// ReadEndpointHeatmap reads the service × endpoint heat map over h's
// window.
func ReadEndpointHeatmap(ctx context.Context, ins Insights, h HeatmapRequest) (EndpointHeatmap, error) {
	j := h.Record.Journey
	slug := j.Metadata.Slug
	got, err := ins.EndpointHeatmap(ctx, j, h.Window.From, h.Window.To)
	if err != nil {
		return EndpointHeatmap{}, insightError(err, slug)
	}
	out := EndpointHeatmap{Journey: slug, Kind: HeatmapEndpoint, From: got.From, To: got.To, Metric: rollup.MetricP95,
		Hours: got.Hours, Rows: make([]EndpointLine, 0, len(got.Rows))}
	for _, r := range got.Rows {
		l := EndpointLine{Service: r.Service, Endpoint: r.Endpoint, Steps: make([]int, len(r.Steps)), Cells: make([]EndpointCell, len(r.Cells))}
		for i, k := range r.Steps {
			l.Steps[i] = k + 1
		}
		for i, c := range r.Cells {
			l.Cells[i] = EndpointCell{P95: c.P95, Spans: c.Spans, Errors: c.Errors}
			if c.Spans > 0 {
				out.Max = max(out.Max, c.P95)
			}
		}
		out.Rows = append(out.Rows, l)
	}
	return out, nil
}
