package insight

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/journeyhttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// defaultHeatRange is what the heat map page shows when asked no range: a
// week, so that every hour of the week has a cell.
const defaultHeatRange = "7d"

// Heatmap shows one step's ?metric= by hour of week (?step=N, 1 by
// default) and the p95 of every service and endpoint the journey touches,
// hour by hour, over the range (the last 7 days by default).
func (h *Handler) Heatmap(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("range") == "" && q.Get("from") == "" && q.Get("to") == "" {
		q.Set("range", defaultHeatRange)
		r2 := *r
		u := *r.URL
		u.RawQuery = q.Encode()
		r2.URL = &u
		r = &r2
	}
	hq, err := journeyhttp.ReadHeatmapRequest(r, h.store, h.Now())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	week, err := journeyhttp.ReadWeekHeatmap(r.Context(), h.rollups, hq)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	v := heatView(hq, week)
	if hours := hq.Window.To.Sub(hq.Window.From.Truncate(time.Hour)); hours > rollup.MaxHeatmapHours*time.Hour {
		v.EndpointNote = fmt.Sprintf("The service × endpoint heat map covers at most %d days: pick a shorter range to see it.", rollup.MaxHeatmapHours/24)
	} else {
		eq := hq
		eq.Kind = journeyhttp.HeatmapEndpoint
		ep, err := journeyhttp.ReadEndpointHeatmap(r.Context(), h.rollups, eq)
		if err != nil {
			h.Fail(w, r, err)
			return
		}
		v.Endpoint = endpointView(ep)
	}
	h.Render(w, r, http.StatusOK, HeatmapPage(h.Site, v))
}

// HeatView is what the heat map page shows.
type HeatView struct {
	Head       layout.JourneyHead
	RangeLabel string
	Metrics    []Choice
	Steps      []Choice
	Ranges     []Choice
	Week       WeekView
	// Endpoint is nil when the range is too long for it; EndpointNote
	// then says so.
	Endpoint     *EndpointView
	EndpointNote string
}

// Choice is one link of a selector.
type Choice struct {
	Label   string
	Href    string
	Current bool
	TestID  string
}

// Cell is one rectangle of a heat map.
type Cell struct {
	X, Y, W, H float64
	// Class is heat-0 (no data) to heat-6 (the highest value).
	Class string
	Title string
}

// Label is a text of a heat map's axis.
type Label struct {
	X, Y float64
	Text string
}

// WeekView is the hour-of-week heat map of one step.
type WeekView struct {
	Title  string
	Cells  []Cell
	Days   []Label
	Hours  []Label
	Legend string
}

// EndpointView is the service × endpoint p95 heat map.
type EndpointView struct {
	Cells   []Cell
	Rows    []Label
	Ticks   []Label
	Width   float64
	Height  float64
	ViewBox string
	Legend  string
}

// Heat map geometry, in SVG user units.
const (
	weekLabelW = 40.0
	weekTop    = 18.0
	weekCellW  = 24.0
	weekCellH  = 20.0
	epLabelW   = 200.0
	epTop      = 18.0
	epGridW    = 720.0
	epRowH     = 22.0
)

var dayNames = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

var metricLabels = map[string]string{
	rollup.MetricThroughput: "Throughput",
	rollup.MetricErrorRate:  "Error rate",
	rollup.MetricP95:        "p95 latency",
}

func heatURL(slug string, w journeyhttp.Window, metric string, step int) string {
	q := url.Values{}
	if w.Preset != "" && w.Preset != "custom" {
		q.Set("range", w.Preset)
	} else {
		q.Set("from", w.From.UTC().Format(time.RFC3339))
		q.Set("to", w.To.UTC().Format(time.RFC3339))
	}
	q.Set("metric", metric)
	q.Set("step", strconv.Itoa(step+1))
	return layout.JourneyPath(slug, "/heatmap") + "?" + q.Encode()
}

func heatView(hq journeyhttp.HeatmapRequest, week journeyhttp.WeekHeatmap) HeatView {
	j := hq.Record.Journey
	slug := j.Metadata.Slug
	v := HeatView{
		Head:       layout.JourneyHead{Journey: j, Version: hq.Record.Version},
		RangeLabel: layout.FormatTime(hq.Window.From) + " – " + layout.FormatTime(hq.Window.To),
	}
	for _, m := range journeyhttp.HeatmapMetrics {
		v.Metrics = append(v.Metrics, Choice{Label: metricLabels[m], Href: heatURL(slug, hq.Window, m, hq.Step), Current: m == hq.Metric, TestID: "heat-metric-" + m})
	}
	for k, st := range j.Spec.Steps {
		v.Steps = append(v.Steps, Choice{Label: strconv.Itoa(k+1) + ". " + st.Name, Href: heatURL(slug, hq.Window, hq.Metric, k), Current: k == hq.Step, TestID: "heat-step-" + strconv.Itoa(k+1)})
	}
	for _, p := range []string{"24h", "7d"} {
		w := journeyhttp.Window{Preset: p}
		v.Ranges = append(v.Ranges, Choice{Label: "last " + p, Href: heatURL(slug, w, hq.Metric, hq.Step), Current: hq.Window.Preset == p, TestID: "heat-range-" + p})
	}
	v.Week = WeekView{Title: metricLabels[hq.Metric] + " of " + week.StepName + " by hour of week (UTC)"}
	for d, name := range dayNames {
		v.Week.Days = append(v.Week.Days, Label{X: 6, Y: weekTop + float64(d)*weekCellH + 14, Text: name[:3]})
	}
	for hr := 0; hr < 24; hr += 3 {
		v.Week.Hours = append(v.Week.Hours, Label{X: weekLabelW + float64(hr)*weekCellW, Y: 12, Text: fmt.Sprintf("%02d", hr)})
	}
	for _, c := range week.Cells {
		title := fmt.Sprintf("%s %02d:00: ", dayNames[c.Day], c.Hour)
		if c.Spans == 0 {
			title += "no spans"
		} else {
			title += metricText(hq.Metric, c.Value) + fmt.Sprintf(" (%s spans over %s)", layout.Count(c.Spans), plural(int64(c.Hours), "hour"))
		}
		v.Week.Cells = append(v.Week.Cells, Cell{
			X: weekLabelW + float64(c.Hour)*weekCellW, Y: weekTop + float64(c.Day)*weekCellH, W: weekCellW - 1, H: weekCellH - 1,
			Class: heatClass(c.Value, week.Max, c.Spans > 0), Title: title,
		})
	}
	v.Week.Legend = "Darker is higher; the darkest cell is " + metricText(hq.Metric, week.Max) + ". Empty cells had no spans."
	return v
}

func endpointView(ep journeyhttp.EndpointHeatmap) *EndpointView {
	n := len(ep.Hours)
	v := &EndpointView{Width: epLabelW + epGridW, Height: epTop + float64(max(len(ep.Rows), 1))*epRowH}
	v.ViewBox = "0 0 " + layout.SvgNum(v.Width) + " " + layout.SvgNum(v.Height)
	if n == 0 {
		return v
	}
	cw := epGridW / float64(n)
	for i, r := range ep.Rows {
		y := epTop + float64(i)*epRowH
		v.Rows = append(v.Rows, Label{X: 6, Y: y + 15, Text: r.Service + " · " + r.Endpoint})
		for hIdx, c := range r.Cells {
			title := r.Service + " " + r.Endpoint + ", " + ep.Hours[hIdx].UTC().Format("Mon 2 Jan 15:00") + ": "
			if c.Spans == 0 {
				title += "no spans"
			} else {
				title += fmt.Sprintf("p95 %s over %s spans, %s errors", layout.Millis(c.P95), layout.Count(c.Spans), layout.Count(c.Errors))
			}
			v.Cells = append(v.Cells, Cell{X: epLabelW + float64(hIdx)*cw, Y: y, W: math.Max(cw-0.5, 0.5), H: epRowH - 2,
				Class: heatClass(c.P95, ep.Max, c.Spans > 0), Title: title})
		}
	}
	// A tick per day when the range is long, per few hours when short.
	every := 24
	if n <= 48 {
		every = 6
	}
	if n <= 6 {
		every = 1
	}
	for i, at := range ep.Hours {
		if at.UTC().Hour()%every == 0 || i == 0 && every == 1 {
			text := at.UTC().Format("15:00")
			if every == 24 {
				text = at.UTC().Format("Mon 2")
			}
			v.Ticks = append(v.Ticks, Label{X: epLabelW + float64(i)*cw, Y: 12, Text: text})
		}
	}
	v.Legend = "p95 latency by hour (UTC); the darkest cell is " + layout.Millis(ep.Max) + ". Empty cells had no spans."
	return v
}

// heatClass is the shade of a value against the map's highest.
func heatClass(v, top float64, has bool) string {
	if !has {
		return "heat-0"
	}
	if top <= 0 {
		return "heat-1"
	}
	return "heat-" + strconv.Itoa(1+min(int(5*v/top), 5))
}

func metricText(metric string, v float64) string {
	switch metric {
	case rollup.MetricThroughput:
		return layout.Rate(v)
	case rollup.MetricErrorRate:
		return layout.Ratio(v)
	default:
		return layout.Millis(v)
	}
}
