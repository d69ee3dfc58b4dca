package journeypages

import (
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// mapFields are the map form's inputs whose faults the map shows beside
// them rather than on an error page.
var mapFields = []string{"range", "from", "to", "segment"}

// invalidMap answers a map request whose range or segment is wrong with the
// map's form as typed and the fault beside its field (400), for the viewer
// to correct rather than a dead-end error page. It reports false when err
// is not such a fault or the journey cannot be read, for the caller to
// fail as usual.
func (h *Handler) invalidMap(w http.ResponseWriter, r *http.Request, err error) bool {
	e := httpx.Classify(err)
	if e.Status != http.StatusBadRequest || len(e.Fields) == 0 {
		return false
	}
	for f := range e.Fields {
		if !slices.Contains(mapFields, f) {
			return false
		}
	}
	slug := chi.URLParam(r, "slug")
	if journeyhttp.BadSlug(slug) != nil {
		return false
	}
	rec, gerr := h.store.GetJourney(r.Context(), slug)
	if gerr != nil {
		return false
	}
	q := r.URL.Query()
	m := JourneyMap{
		Head: layout.JourneyHead{Journey: rec.Journey, Version: rec.Version},
		Range: RangePicker{
			Preset:   q.Get("range"),
			FromText: q.Get("from"), ToText: q.Get("to"), Typed: true,
			Paused:  q.Get("live") == "0",
			Invalid: map[string]string{},
		},
		Fresh: Freshness{Configured: h.Site.Rollups, Now: h.Now()},
	}
	for _, p := range journeyhttp.RangePresets {
		m.Range.Presets = append(m.Range.Presets, p.Name)
	}
	if m.Range.Preset == "" && (m.Range.FromText != "" || m.Range.ToText != "") {
		m.Range.Preset = "custom"
	}
	for f, msg := range e.Fields {
		m.Range.Invalid[f] = httpx.UpperFirst(msg) + "."
	}
	// A segment that parses is kept; a faulty one is not echoed into the
	// picker.
	var seg *rollup.Segment
	if _, bad := e.Fields["segment"]; !bad {
		seg, _ = journeyhttp.ParseSegment(q.Get("segment"), rec.Journey)
	}
	if seg != nil {
		m.Segments.Selected = seg.Key + "=" + seg.Value
	}
	for _, key := range rec.Journey.Spec.Segments {
		m.Segments.Groups = append(m.Segments.Groups, segmentGroup(key, nil, seg))
	}
	w.Header().Add("Vary", "HX-Request, HX-Target")
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "journey-map" {
		h.Render(w, r, http.StatusBadRequest, JourneyMapSection(m))
		return true
	}
	h.Render(w, r, http.StatusBadRequest, JourneyMapPage(h.Site, m))
	return true
}
