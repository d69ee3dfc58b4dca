package journeypages

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/journeyhttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// JourneyMap shows a journey's map: ?range= or ?from=&to= pick the time
// range as the stats API reads them, ?segment=KEY=VALUE the segment. An
// htmx request aimed at the map gets the map alone.
func (h *Handler) JourneyMap(w http.ResponseWriter, r *http.Request) {
	now := h.Now()
	jq, err := journeyhttp.ReadQuery(r, h.store, now)
	if err != nil {
		if h.invalidMap(w, r, err) {
			return
		}
		h.Fail(w, r, err)
		return
	}
	rec, win, seg := jq.Record, jq.Window, jq.Segment
	by, err := breakdownKey(rec.Journey, r.URL.Query().Get("by"))
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	segParam := ""
	if seg != nil {
		segParam = seg.Key + "=" + seg.Value
	}
	m := JourneyMap{
		Head: layout.JourneyHead{Journey: rec.Journey, Version: rec.Version},
		Range: RangePicker{
			From: win.From, To: win.To, Preset: win.Preset,
			Presets: make([]string, 0, len(journeyhttp.RangePresets)), Segment: segParam,
			Paused: r.URL.Query().Get("live") == "0", By: by,
		},
		Segments: SegmentPicker{Selected: segParam},
		Fresh:    Freshness{Configured: h.Site.Rollups, Now: now},
	}
	for _, p := range journeyhttp.RangePresets {
		m.Range.Presets = append(m.Range.Presets, p.Name)
	}
	if keys := rec.Journey.Spec.Segments; len(keys) > 0 {
		m.Range.defaultBy = keys[0]
	}
	if !h.Site.Rollups {
		for _, key := range rec.Journey.Spec.Segments {
			m.Segments.Groups = append(m.Segments.Groups, segmentGroup(key, nil, seg))
		}
	} else if err := h.fillMap(r.Context(), &m, rec.Journey, win, seg); err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := h.addJourneyExtras(r.Context(), &m, rec.Journey, win); err != nil {
		h.Fail(w, r, err)
		return
	}
	h.addIncidentActions(r.Context(), &m)

	// The answer depends on these headers; caches must keep both forms.
	w.Header().Add("Vary", "HX-Request, HX-Target")
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "journey-map" {
		h.Render(w, r, http.StatusOK, JourneyMapSection(m))
		return
	}
	h.Render(w, r, http.StatusOK, JourneyMapPage(h.Site, m))
}

// fillMap reads what the map shows from the rollups: the numbers, the
// sparklines, the segment values seen in the range, the freshness.
func (h *Handler) fillMap(ctx context.Context, m *JourneyMap, j journeys.Journey, win journeyhttp.Window, seg *rollup.Segment) error {
	slug := j.Metadata.Slug
	// The insight reads take as long as the numbers: they run beside them.
	var insight insightReads
	var insightErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		insight, insightErr = h.readInsight(ctx, j, win, seg)
	}()
	// Whatever returns first, the goroutine has ended before the map does.
	defer func() { <-done }()
	// So does the breakdown, which reads its key's values itself.
	var breakdown *Breakdown
	var breakdownErr error
	bdone := make(chan struct{})
	go func() {
		defer close(bdone)
		if m.Range.By == "" {
			return
		}
		vals, err := h.rollups.SegmentValues(ctx, slug, m.Range.By, win.From, win.To)
		if err != nil {
			breakdownErr = httpx.Missing(fmt.Errorf("read segment values: %w", err), "journey %q", slug)
			return
		}
		breakdown, breakdownErr = h.readBreakdown(ctx, j, win, m.Range.By, vals, seg)
	}()
	defer func() { <-bdone }()
	st, err := journeyhttp.JourneyStats(ctx, h.rollups, h.TraceURL, j, win, seg)
	if err != nil {
		return err
	}
	fresh, err := h.rollups.Freshness(ctx, slug)
	if err != nil {
		return httpx.Missing(fmt.Errorf("read freshness: %w", err), "journey %q", slug)
	}
	every := sparkEvery(win)
	var series []rollup.StepSeries
	if end := sparkEnd(win.From, win.To, fresh.CompleteThrough, every); end.After(win.From) {
		series, err = h.rollups.Series(ctx, slug, win.From, end, every, seg)
		if err != nil {
			return httpx.Missing(fmt.Errorf("read series: %w", err), "journey %q", slug)
		}
	}
	m.Fresh.UpdatedAt = fresh.LastRunAt
	m.Fresh.CompleteThrough = fresh.CompleteThrough
	m.Fresh.LastRunTook = fresh.LastRunDuration
	m.Fresh.LastSpans = fresh.LastSpans
	m.Fresh.Amplification = fresh.LastAmplification()
	if fresh.Failing() {
		m.Fresh.DelayedSince = fresh.FailingSince
		m.Fresh.Error = fresh.LastError
	}
	for _, key := range j.Spec.Segments {
		vals, err := h.rollups.SegmentValues(ctx, slug, key, win.From, win.To)
		if err != nil {
			return httpx.Missing(fmt.Errorf("read segment values: %w", err), "journey %q", slug)
		}
		m.Segments.Groups = append(m.Segments.Groups, segmentGroup(key, vals, seg))
	}
	m.Stats = mapStats(st, series, every)
	<-bdone
	if breakdownErr != nil {
		return breakdownErr
	}
	m.Stats.Breakdown = breakdown
	m.Fresh.HasData = m.Stats.hasData()
	for k := range m.Stats.Steps {
		if k < len(j.Spec.Steps) {
			st := &m.Stats.Steps[k]
			st.Service = j.Spec.Steps[k].Match.Service
			for _, o := range j.Spec.SLOs {
				if o.Kind == journeys.SLOSuccess && o.Step == st.Name && o.Objective > 0 && o.Objective < 1 {
					st.Budget, st.BudgetSLO = 1-o.Objective, o.Name
				}
			}
		}
	}
	<-done
	if insightErr != nil {
		return insightErr
	}
	h.addInsight(m, j, win, st, insight)
	return nil
}

// mapStats turns the API's numbers into the map's, adding the sparklines.
func mapStats(st journeyhttp.Stats, series []rollup.StepSeries, every time.Duration) *MapStats {
	ms := &MapStats{
		Slug:       st.Journey,
		Entered:    st.Entered,
		Completed:  st.Completed,
		InFlight:   st.InFlight,
		Dropped:    st.Dropped,
		Errored:    st.Errored,
		Conversion: st.OverallConversion,
		Versions:   st.Versions,
		Sampled:    st.SampledShare,
		PointWidth: every,
		From:       st.From,
	}
	for k, s := range st.Steps {
		ms.Steps = append(ms.Steps, MapStep{
			Name:          s.Name,
			Spans:         s.Spans,
			Errors:        s.Errors,
			RatePerMinute: s.RatePerMinute,
			ErrorRate:     s.ErrorRate,
			P50:           s.LatencyMS.P50,
			P95:           s.LatencyMS.P95,
			P99:           s.LatencyMS.P99,
			Reached:       s.Reached,
			Conversion:    s.ConversionFromPrevious,
			InFlight:      s.InFlight,
			DropOff:       s.DropOff,
			Slowest:       exemplarLinks(s.Exemplars.Slowest, st.Journey, k),
			Errored:       exemplarLinks(s.Exemplars.Errored, st.Journey, k),
		})
		step := &ms.Steps[k]
		if t := s.TimeFromPreviousMS; t != nil {
			step.TimeFromPreviousP50, step.TimeFromPreviousP95 = t.P50, t.P95
		}
		if k < len(series) {
			pts := series[k].Points
			step.Throughput = make([]float64, len(pts))
			step.ErrorCounts = make([]float64, len(pts))
			step.LatencyP95 = make([]float64, len(pts))
			for i, p := range pts {
				step.Throughput[i] = float64(p.Spans)
				step.ErrorCounts[i] = float64(p.Errors)
				step.LatencyP95[i] = p.P95
			}
		}
	}
	return ms
}

// exemplarLinks links the traces behind step k (0-based) of a journey. The
// waterfall's URL says which journey step led to it (?journey=&step=, the
// step's 1-based position), for the trace page to pass on to a new
// incident.
func exemplarLinks(ex []journeyhttp.Exemplar, slug string, k int) []ExemplarLink {
	out := make([]ExemplarLink, 0, len(ex))
	for _, e := range ex {
		own := "/traces/" + url.PathEscape(e.TraceID)
		l := ExemplarLink{
			TraceID:  e.TraceID,
			Start:    e.Start,
			Duration: time.Duration(e.DurationMS * float64(time.Millisecond)),
			Href:     own + "?" + url.Values{"journey": {slug}, "step": {strconv.Itoa(k + 1)}}.Encode(),
		}
		if e.URL != own {
			l.External = e.URL
		}
		out = append(out, l)
	}
	return out
}

// addIncidentActions offers, beside every exemplar of the map, to open an
// incident from it or add it to an open one.
func (h *Handler) addIncidentActions(ctx context.Context, m *JourneyMap) {
	if !h.Site.Incidents || m.Stats == nil {
		return
	}
	slug := m.Head.Journey.Metadata.Slug
	var choices []layout.IncidentChoice
	read := false
	for k := range m.Stats.Steps {
		st := &m.Stats.Steps[k]
		if len(st.Slowest)+len(st.Errored) == 0 {
			continue
		}
		if !read {
			choices, read = h.inc.OpenChoices(ctx), true
		}
		line := incidenthttp.StepLine(slug, st.Name)
		for _, links := range [][]ExemplarLink{st.Slowest, st.Errored} {
			for i := range links {
				ref := incidenthttp.TraceRef{TraceID: links[i].TraceID, Journey: slug, Step: strconv.Itoa(k + 1), At: links[i].Start}
				links[i].Incidents = incidenthttp.Actions(ref, line, choices)
			}
		}
	}
}

// segmentGroup offers the values of one segment key, keeping the selected
// one even when the range has none of it.
func segmentGroup(key string, vals []rollup.SegmentValue, seg *rollup.Segment) SegmentGroup {
	g := SegmentGroup{Key: key}
	found := false
	for _, v := range vals {
		g.Options = append(g.Options, SegmentOption{Param: key + "=" + v.Value, Value: v.Value, Entered: v.Entered})
		found = found || (seg != nil && seg.Key == key && seg.Value == v.Value)
	}
	if seg != nil && seg.Key == key && !found {
		g.Options = append(g.Options, SegmentOption{Param: key + "=" + seg.Value, Value: seg.Value})
	}
	return g
}

// sparkPoints is about how many points a sparkline has.
const sparkPoints = 60

// sparkEvery is the width of a sparkline's points over w: whole minutes,
// whole hours past 6 hours, where rollups may be downsampled to hours.
func sparkEvery(w journeyhttp.Window) time.Duration {
	span := w.To.Sub(w.From)
	unit := time.Minute
	if span > 6*time.Hour {
		unit = time.Hour
	}
	n := (span + sparkPoints - 1) / sparkPoints
	return max((n+unit-1)/unit*unit, unit)
}

// sparkEnd is where a sparkline from from to to stops: at the last point
// of width every that ends by complete (the rollups' CompleteThrough), so
// that the minute still being counted is not drawn as a fall to zero.
// Without a complete edge yet, the line runs to to.
func sparkEnd(from, to, complete time.Time, every time.Duration) time.Time {
	if complete.IsZero() || !complete.Before(to) {
		return to
	}
	if !complete.After(from) {
		return from
	}
	return from.Add(complete.Sub(from) / every * every)
}

// spansText writes a span count for the freshness line.
func spansText(n int64) string {
	if n == 1 {
		return "1 span"
	}
	return layout.Count(n) + " spans"
}

// ampSuffix says how many spans the last run read per new one, when it
// read more than what was new.
func ampSuffix(f float64) string {
	if f <= 1.005 {
		return ""
	}
	return " (" + strconv.FormatFloat(f, 'f', 1, 64) + "× the new ones)"
}

// sampledText writes the sampled share as a percentage: "10%", "0.5%".
func sampledText(f float64) string {
	p := f * 100
	if p >= 1 {
		return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}
