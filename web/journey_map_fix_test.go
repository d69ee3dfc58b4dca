package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
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

// The breakdown sets the values of one segment key side by side: gold is
// sessions 1 and 3 (both at s1, session 1 on to s3), silver 2 and 4 (both
// at s2, session 4 on to s3); all four are in eu.
func TestJourneyMapBreakdown(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	rows := func(doc *goquery.Document) []string {
		var out []string
		testID(doc, "breakdown").Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
			var cells []string
			tr.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, squash(td.Text())) })
			out = append(out, strings.Join(cells, " | "))
		})
		return out
	}
	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop?"+shopWhole, nil))
	require.Equal(t, "By span.tier", squash(testID(doc, "breakdown").Find("h2").Text()))
	require.Equal(t, []string{"gold | 2 | 1 | 1 | 50%", "silver | 2 | 2 | 1 | 50%"}, rows(doc))
	var heads []string
	testID(doc, "breakdown").Find("thead th").Each(func(_ int, th *goquery.Selection) { heads = append(heads, squash(th.Text())) })
	require.Equal(t, []string{"span.tier", "1. s1", "2. s2", "3. s3", "Conversion"}, heads)
	require.Equal(t, "/journeys/shop?from=2026-03-01T10%3A00%3A00Z&segment=span.tier%3Dgold&to=2026-03-01T10%3A03%3A00Z",
		testID(doc, "breakdown-row-0-value").AttrOr("href", ""))
	require.Equal(t, "true", testID(doc, "breakdown-key-span.tier").AttrOr("aria-current", ""))
	by := testID(doc, "breakdown-key-span.region").AttrOr("href", "")
	require.Equal(t, "/journeys/shop?by=span.region&from=2026-03-01T10%3A00%3A00Z&to=2026-03-01T10%3A03%3A00Z", by)

	// By region, filtered to silver: the rows stay all traffic's, the
	// range links and the form keep the key.
	doc = page(t, b.do(t, http.MethodGet, by+"&segment=span.tier%3Dsilver", nil))
	require.Equal(t, []string{"eu | 4 | 3 | 2 | 50%"}, rows(doc))
	require.Equal(t, "/journeys/shop?by=span.region&range=6h&segment=span.tier%3Dsilver", testID(doc, "range-6h").AttrOr("href", ""))
	require.Equal(t, "span.region", doc.Find(`form[data-testid="map-controls"] input[name="by"]`).AttrOr("value", ""))
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop?"+shopWhole+"&segment=span.tier%3Dsilver", nil))
	require.Equal(t, "true", testID(doc, "breakdown-row-1").AttrOr("aria-current", ""), "the value mapped is marked")
	require.Equal(t, "-", testID(doc, "breakdown-row-0").AttrOr("aria-current", "-"))

	// A range with nothing in it, and a key the journey does not have.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop?from=2026-03-01T11:00:00Z&to=2026-03-01T12:00:00Z", nil))
	require.Equal(t, "No values of span.tier in this range.", testID(doc, "breakdown-none").Text())
	rec := b.do(t, http.MethodGet, "/journeys/shop?by=span.colour", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, `By: "span.colour" is not a segment key of this journey; its keys are span.tier, span.region.`, testID(page(t, rec), "error-message").Text())
}
