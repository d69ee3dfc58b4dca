package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
)

// Error rates are coloured against the step's success SLO where it has one,
// else against 1% (red) and 0.1% (amber).
func TestJourneyMapErrorColours(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return insightEnd } })
	b.seedInsight(t, insightEnd, 1, 0, nil)
	doc := page(t, b.do(t, http.MethodGet, "/journeys/insight?range=24h", nil))
	var got []string
	for k := range 5 {
		dd := testID(doc, stepIDOf(k, "error-level"))
		got = append(got, testID(doc, stepIDOf(k, "name")).Text()+" "+dd.Find(`[data-testid$="-error-rate"]`).Text()+" "+dd.AttrOr("class", ""))
	}
	// 2% everywhere: red without an SLO, amber on pay, whose pay-success
	// (97%) allows 3%.
	require.Equal(t, []string{"cart 2% bad", "address 2% bad", "shipping 2% bad", "pay 2% warn", "confirm 2% bad"}, got)
	require.Equal(t, "red above the 3% of errors pay-success allows, amber above half of it", testID(doc, stepIDOf(3, "error-level")).AttrOr("title", ""))

	b2 := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b2.seedShop(t, sat(3*time.Minute))
	doc = page(t, b2.do(t, http.MethodGet, "/journeys/shop?"+shopWhole, nil))
	require.Equal(t, "bad", testID(doc, "step-0-error-level").AttrOr("class", ""), "25%")
	require.Equal(t, "", testID(doc, "step-1-error-level").AttrOr("class", "-"), "0%")
}

func stepIDOf(k int, what string) string { return "step-" + string(rune('0'+k)) + "-" + what }

// A map of a range ending now fetches itself every minute unless paused;
// a custom range stays put.
func TestJourneyMapRefreshes(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))

	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop?range=1h&segment=span.tier%3Dgold", nil))
	sec := testID(doc, "journey-map")
	require.Equal(t, "/journeys/shop?range=1h&segment=span.tier%3Dgold", sec.AttrOr("hx-get", ""))
	require.Equal(t, "every 60s", sec.AttrOr("hx-trigger", ""))
	require.Equal(t, "Refreshes every minute. Pause", squash(testID(doc, "refresh").Text()))
	require.Equal(t, "/journeys/shop?live=0&range=1h&segment=span.tier%3Dgold", testID(doc, "refresh-pause").AttrOr("href", ""))
	require.Zero(t, doc.Find(`input[name="live"]`).Length())

	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop?range=1h&live=0", nil))
	sec = testID(doc, "journey-map")
	require.Equal(t, "-", sec.AttrOr("hx-trigger", "-"))
	require.Equal(t, "-", sec.AttrOr("hx-get", "-"))
	require.Equal(t, "Auto-refresh paused. Resume", squash(testID(doc, "refresh").Text()))
	require.Equal(t, "/journeys/shop?range=1h", testID(doc, "refresh-resume").AttrOr("href", ""))
	require.Equal(t, "/journeys/shop?live=0&range=6h", testID(doc, "range-6h").AttrOr("href", ""), "range links stay paused")
	require.Equal(t, "0", doc.Find(`form[data-testid="map-controls"] input[name="live"]`).AttrOr("value", ""))

	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop?"+shopWhole, nil))
	require.Equal(t, "-", testID(doc, "journey-map").AttrOr("hx-trigger", "-"))
	require.Zero(t, testID(doc, "refresh").Length())
}

// Sparklines stop at the last complete minute: the rollups are complete
// through 10:03, so a range to 10:05 draws three points, not five with two
// false zeros.
func TestJourneyMapSparklinesStopAtCompleteData(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return sat(5 * time.Minute) } })
	b.seedShop(t, sat(3*time.Minute))
	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop?from=2026-03-01T10:00:00Z&to=2026-03-01T10:05:00Z", nil))
	spark := testID(doc, "step-0-spark-spans")
	require.Equal(t, "0,16 80,16 160,1", spark.Find("polyline.spark-spans").AttrOr("points", ""))
	require.Equal(t, "0,31 80,31 160,16", spark.Find("polyline.spark-errors").AttrOr("points", ""))
	require.Equal(t, "4", testID(doc, "step-0-spans").Text(), "the numbers still count the whole range")
}

// Numbers a backfill wrote before any live run are not "not computed yet".
func TestJourneyMapFreshnessOfHistoryOnly(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	ctx := context.Background()
	j := shopJourney()
	rec, _, err := b.store.PutJourney(ctx, j, "test")
	require.NoError(t, err)
	src := &rolluptest.Source{}
	src.Add(shopSpans()...)
	res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: st0, To: sat(3 * time.Minute)}, nil)
	require.NoError(t, err)
	require.NoError(t, b.rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version}))

	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop?"+shopWhole, nil))
	require.Equal(t, "4", testID(doc, "entered").Text())
	require.Equal(t, "history computed, live runs not yet: the latest minutes appear after the first live run", squash(testID(doc, "freshness").Text()))
	// A range with nothing in it still says nothing was computed.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop?from=2026-03-01T11:00:00Z&to=2026-03-01T12:00:00Z", nil))
	require.Equal(t, "not computed yet: numbers appear after the first rollup run", squash(testID(doc, "freshness").Text()))
}
