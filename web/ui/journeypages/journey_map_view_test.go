package journeypages

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

func TestFormatters(t *testing.T) {
	t.Parallel()
	counts := map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4321: "-4,321"}
	for n, want := range counts {
		require.Equal(t, want, layout.Count(n), n)
	}
	ratios := map[float64]string{0: "0%", 1: "100%", 1.0 / 3: "33.3%", 0.5: "50%", 0.0004: "0.04%", 0.00001: "0%", 0.999: "99.9%", 0.9996: "100%"}
	for f, want := range ratios {
		require.Equal(t, want, layout.Ratio(f), f)
	}
	rates := map[float64]string{0: "0/min", 0.5: "0.5/min", 1.0 / 3: "0.33/min", 12.26: "12.3/min", 1234.4: "1234/min"}
	for f, want := range rates {
		require.Equal(t, want, layout.Rate(f), f)
	}
	ms := map[float64]string{0: "0 ms", 0.426: "0.43 ms", 8.5: "8.5 ms", 245.4: "245 ms", 1250: "1.25 s", 2000: "2 s", 125_000: "2m5s"}
	for f, want := range ms {
		require.Equal(t, want, layout.Millis(f), f)
	}
	require.Equal(t, "4bf92f35", layout.ShortID("4bf92f3577b34da6a3ce929d0e0e4736"))
	require.Equal(t, "a3ce929d", layout.ShortID("0000000000000000a3ce929d0e0e4736"))
	require.Equal(t, "abc", layout.ShortID("abc"))
	require.Equal(t, "0.1", layout.DataFloat(0.1))
	require.Equal(t, "0.3333333333333333", layout.DataFloat(1.0/3))
	require.Equal(t, "150", layout.DataFloat(150))

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	require.Equal(t, "10:42:00 UTC", layout.Clock(time.Date(2026, 3, 1, 10, 42, 0, 0, time.UTC), now, true))
	require.Equal(t, "10:42 UTC", layout.Clock(time.Date(2026, 3, 1, 11, 42, 0, 0, time.FixedZone("CET", 3600)), now, false))
	require.Equal(t, "2026-02-28 23:59:30 UTC", layout.Clock(time.Date(2026, 2, 28, 23, 59, 30, 0, time.UTC), now, true))
}

func TestSparkPoints(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		values []float64
		scale  float64
		want   string
	}{
		{"empty", nil, 1, ""},
		{"one point is a flat line", []float64{2}, 4, "0,16 160,16"},
		{"zero scale is the bottom", []float64{0, 0, 0}, 0, "0,31 80,31 160,31"},
		{"top, middle, bottom", []float64{4, 2, 0}, 4, "0,1 80,16 160,31"},
		{"clamped to the box", []float64{8, -1}, 4, "0,1 160,31"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, layout.SparkPoints(tc.values, tc.scale, layout.SparkW, layout.SparkH))
		})
	}
}

func TestFunnelBars(t *testing.T) {
	t.Parallel()
	bars := funnelBars([]MapStep{{Name: "a", Reached: 200}, {Name: "b", Reached: 50}, {Name: "c", Reached: 1}, {Name: "d"}})
	type bar struct {
		w, share float64
		y        float64
	}
	var got []bar
	for _, b := range bars {
		got = append(got, bar{b.W, b.Share, b.BarY})
	}
	require.Equal(t, []bar{{500, 1, 18}, {125, 0.25, 60}, {2.5, 0.005, 102}, {0, 0, 144}}, got)
	require.Equal(t, []funnelBar{{Name: "x", NameY: 13, BarY: 18, LabelX: 6, LabelY: 31}}, funnelBars([]MapStep{{Name: "x"}}))
}

func mapFixture() JourneyMap {
	j := journeys.Journey{Metadata: journeys.Metadata{Slug: "shop", Name: "Shop"}}
	j.Spec.Segments = []string{"span.tier"}
	now := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	return JourneyMap{
		Head:     layout.JourneyHead{Journey: j, Version: 3},
		Range:    RangePicker{From: now.Add(-time.Hour), To: now, Preset: "1h", Presets: []string{"15m", "1h"}, Segment: "span.tier=gold"},
		Segments: SegmentPicker{Selected: "span.tier=gold", Groups: []SegmentGroup{{Key: "span.tier", Options: []SegmentOption{{Param: "span.tier=gold", Value: "gold", Entered: 1200}}}}},
		Fresh:    Freshness{Configured: true, UpdatedAt: now.Add(-18 * time.Minute), Now: now},
		Stats: &MapStats{
			Entered: 3, Completed: 1, InFlight: 1, Dropped: 1, Errored: 1, Conversion: 1.0 / 3, Versions: []int{2, 3},
			PointWidth: time.Minute,
			Steps: []MapStep{
				{Name: "cart", Spans: 3, RatePerMinute: 0.05, P50: 50, P95: 150.6, P99: 150.6, Reached: 3, Conversion: 1, InFlight: 1,
					Throughput: []float64{1, 2}, ErrorCounts: []float64{0, 1}, LatencyP95: []float64{50, 150},
					Slowest: []ExemplarLink{{TraceID: "0000000000000000000000000000000a", Duration: 150 * time.Millisecond, Href: "/traces/0000000000000000000000000000000a", External: "https://tempo.example/t/a"}}},
				{Name: "pay", Spans: 2, Errors: 1, ErrorRate: 0.5, RatePerMinute: 2.0 / 60, P50: 200, P95: 300, P99: 300, Reached: 1, Conversion: 1.0 / 3, DropOff: 2,
					TimeFromPreviousP50: 10_000, TimeFromPreviousP95: 20_000,
					Errored: []ExemplarLink{{TraceID: "b", Start: now.Add(-time.Minute), Href: "/traces/b"}}},
			},
		},
	}
}

func TestJourneyMapComponent(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, JourneyMapPage(site, mapFixture()))
	type shown struct{ text, value string }
	want := map[string]shown{
		"overall-conversion":        {"33.3%", "0.3333333333333333"},
		"entered":                   {"3", "3"},
		"in-flight":                 {"1", "1"},
		"dropped":                   {"1", "1"},
		"step-0-spans":              {"3", "3"},
		"step-0-rate":               {"0.05/min", "0.05"},
		"step-0-p95":                {"151 ms", "150.6"},
		"step-0-reached":            {"3", "3"},
		"step-0-in-flight":          {"1", "1"},
		"step-1-error-rate":         {"50%", "0.5"},
		"step-1-errors":             {"1", "1"},
		"step-1-conversion":         {"33.3%", "0.3333333333333333"},
		"step-1-drop-off":           {"2", "2"},
		"step-1-drop-off-in-flight": {"1", "1"},
		"step-1-time-p50":           {"10 s", "10000"},
		"step-1-time-p95":           {"20 s", "20000"},
	}
	for id, w := range want {
		el := testID(doc, id)
		require.Equal(t, 1, el.Length(), id)
		require.Equal(t, w.text, el.Text(), id)
		require.Equal(t, w.value, el.AttrOr("data-value", ""), id)
	}
	require.Zero(t, testID(doc, "step-0-conversion").Length(), "the first step has no arrow")
	require.Equal(t, "updated 10:42:00 UTC", squash(testID(doc, "freshness").Text()))
	require.Equal(t, "This range spans versions 2 and 3 of the journey: steps are counted by their position.", squash(testID(doc, "versions-note").Text()))
	require.Equal(t, "page", testID(doc, "tab-map").AttrOr("aria-current", ""))
	require.Equal(t, "span.tier=gold", testID(doc, "segment-picker").Find("option[selected]").AttrOr("value", ""))
	require.Equal(t, "gold (1,200 entered)", squash(testID(doc, "segment-picker").Find("option[selected]").Text()))
	require.Equal(t, "1h", testID(doc, "range-picker").Find("option[selected]").AttrOr("value", ""))
	require.Equal(t, "/journeys/shop?range=15m&segment=span.tier%3Dgold", testID(doc, "range-15m").AttrOr("href", ""))
	require.Equal(t, "/traces/0000000000000000000000000000000a", testID(doc, "step-0-slowest-0").AttrOr("href", ""))
	require.Equal(t, "https://tempo.example/t/a", testID(doc, "step-0-slowest-0-external").AttrOr("href", ""))
	require.Equal(t, "/traces/b", testID(doc, "step-1-errored-0").AttrOr("href", ""))
	require.Zero(t, testID(doc, "step-1-errored-0-external").Length())
	require.Equal(t, "0,16 160,1", testID(doc, "step-0-spark-spans").Find("polyline.spark-spans").AttrOr("points", ""))
	require.Equal(t, "0,31 160,16", testID(doc, "step-0-spark-spans").Find("polyline.spark-errors").AttrOr("points", ""))
	require.Equal(t, "500", testID(doc, "step-0-funnel").Find("rect").AttrOr("width", ""))
	require.Equal(t, "166.7", testID(doc, "step-1-funnel").Find("rect").AttrOr("width", ""))
	require.Equal(t, "1 · 33.3%", testID(doc, "step-1-funnel").Find("text.funnel-value").Text())
	require.Zero(t, testID(doc, "no-data").Length())
	// The content security policy allows no inline styles: charts are
	// sized by SVG attributes.
	require.Zero(t, doc.Find("[style]").Length())
}

// TestJourneyMapGolden pins the whole map page; run with -update after a
// deliberate change and review the diff.
func TestJourneyMapGolden(t *testing.T) {
	t.Parallel()
	_, html := render(t, JourneyMapPage(site, mapFixture()))
	golden := filepath.Join("testdata", "journey_map.golden.html")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(html), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./web/views -update to create the golden file")
	require.Equal(t, string(want), html)
}

func TestFreshnessLine(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	cases := []struct {
		f    Freshness
		want string
	}{
		{Freshness{}, "rollups are not configured on this server"},
		{Freshness{Configured: true, Now: now}, "not computed yet: numbers appear after the first rollup run"},
		{Freshness{Configured: true, Now: now, UpdatedAt: now.Add(-18 * time.Minute)}, "updated 10:42:00 UTC"},
		{Freshness{Configured: true, Now: now, UpdatedAt: now, DelayedSince: now.Add(-18 * time.Minute), Error: "Tempo returned 503"},
			"data delayed since 10:42 UTC: Tempo returned 503"},
		{Freshness{Configured: true, Now: now, UpdatedAt: now.Add(-18 * time.Minute), LastSpans: 3060, Amplification: 1.02, LastRunTook: 1234 * time.Millisecond},
			"updated 10:42:00 UTC · last run read 3,060 spans (1.0× the new ones) in 1.23 s · source cost"},
		{Freshness{Configured: true, Now: now, UpdatedAt: now.Add(-18 * time.Minute), LastSpans: 12000, Amplification: 40.4, LastRunTook: 38 * time.Second},
			"updated 10:42:00 UTC · last run read 12,000 spans (40.4× the new ones) in 38 s · source cost"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			m := mapFixture()
			m.Fresh = tc.f
			doc, _ := render(t, JourneyMapSection(m))
			require.Equal(t, tc.want, squash(testID(doc, "freshness").Text()))
		})
	}
}

// TestSampledNote: estimates from sampled traces say so, with the share;
// exact numbers carry no note.
func TestSampledNote(t *testing.T) {
	t.Parallel()
	for share, want := range map[float64]string{
		0.1:   "Estimated from sampled traces (10%): counts are weighted up by each trace's sampling rate.",
		0.005: "Estimated from sampled traces (0.5%): counts are weighted up by each trace's sampling rate.",
		1:     "",
		0:     "",
	} {
		m := mapFixture()
		m.Stats.Sampled = share
		doc, _ := render(t, JourneyMapSection(m))
		require.Equal(t, want, squash(testID(doc, "sampled-note").Text()), "share %v", share)
	}
}

func TestJourneyMapEmpty(t *testing.T) {
	t.Parallel()
	m := mapFixture()
	m.Stats = nil
	doc, _ := render(t, JourneyMapSection(m))
	require.Equal(t, "No data yet: this server computes no rollups.", testID(doc, "no-data").Text())
	require.Zero(t, testID(doc, "overall").Length())

	m = mapFixture()
	m.Stats = &MapStats{Steps: []MapStep{{Name: "a"}, {Name: "b"}}}
	doc, _ = render(t, JourneyMapSection(m))
	require.Equal(t, "No data in this range.", testID(doc, "no-data").Text())
	require.Equal(t, "0%", testID(doc, "overall-conversion").Text())
	require.Zero(t, testID(doc, "step-1-p95").Length(), "no 0 ms latencies without spans")
	require.Equal(t, "no spans", testID(doc, "step-1-latency").Text())
	require.Equal(t, "no spans", testID(doc, "step-1-error-level").Text())
	require.Equal(t, "none dropped", testID(doc, "step-1-none-dropped").Text())
	require.Zero(t, testID(doc, "step-0-spark-spans").Length())
}

func TestErrorLevel(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rate, budget float64
		want         string
	}{
		{0, 0, ""},
		{0.0002, 0, ""},     // 0.02%: neutral
		{0.001, 0, "warn"},  // 0.1%
		{0.0099, 0, "warn"}, // just under 1%
		{0.01, 0, "bad"},    // 1%
		{0.057, 0, "bad"},   // 5.7%
		{0.002, 0.005, ""},  // under half of a 99.5% SLO's budget
		{0.0025, 0.005, "warn"},
		{0.005, 0.005, "warn"}, // at the budget, not above
		{0.0051, 0.005, "bad"},
		{0.02, 0.03, "warn"}, // 2% against a 97% SLO
		{0.031, 0.03, "bad"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, errorLevel(tc.rate, tc.budget), "%v against %v", tc.rate, tc.budget)
	}
}

func TestSparkEnd(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(m, s int) time.Time { return t0.Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second) }
	cases := []struct {
		name         string
		to, complete time.Time
		every        time.Duration
		want         time.Time
	}{
		{"not run yet: the whole range", at(15, 0), time.Time{}, time.Minute, at(15, 0)},
		{"complete past the range", at(15, 0), at(16, 0), time.Minute, at(15, 0)},
		{"complete at the end", at(15, 0), at(15, 0), time.Minute, at(15, 0)},
		{"the unfinished minute is left out", at(15, 0), at(14, 0), time.Minute, at(14, 0)},
		{"to a whole point", at(60, 0), at(57, 0), 5 * time.Minute, at(55, 0)},
		{"mid-point edge", at(15, 0), at(13, 30), time.Minute, at(13, 0)},
		{"nothing complete", at(15, 0), at(0, 0), time.Minute, at(0, 0)},
		{"complete before the range", at(15, 0), t0.Add(-time.Hour), time.Minute, at(0, 0)},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, sparkEnd(t0, tc.to, tc.complete, tc.every), tc.name)
	}
}
