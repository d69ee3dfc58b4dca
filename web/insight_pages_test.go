package web

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
)

// The journey map links every drop-off and latency to its Why? page, says
// the numbers are usual, and draws the time to the next step.
func TestJourneyMapInsight(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop?"+shopWhole, nil))
	why := "/journeys/shop/why?compare=%s&from=2026-03-01T10%%3A00%%3A00Z&step=%d&to=2026-03-01T10%%3A03%%3A00Z"
	for k := range 3 {
		href, _ := testID(doc, fmt.Sprintf("step-%d-why-slow", k)).Attr("href")
		require.Equal(t, fmt.Sprintf(why, "slow", k+1), href)
		drop := testID(doc, fmt.Sprintf("step-%d-why-drop", k))
		if k == 0 {
			require.Zero(t, drop.Length(), "the first step has no drop-off before it")
			continue
		}
		href, _ = drop.Attr("href")
		require.Equal(t, fmt.Sprintf(why, "dropped", k), href)
	}
	// Three minutes of history set no band: nothing is unusual.
	require.Equal(t, 1, testID(doc, "health-ok").Length())
	// s1 → s2 took 10 s, 5 s and 10 s; s2 → s3 10 s twice.
	require.Equal(t, "3", testID(doc, "transition-0-count").Text())
	require.Equal(t, "2", testID(doc, "transition-1-count").Text())
	require.Equal(t, "5 s to 10 s: 2", squash(testID(doc, "transition-0-bin-2").Find("title").Text()))
	require.Equal(t, "2 s to 5 s: 1", squash(testID(doc, "transition-0-bin-1").Find("title").Text()))
	require.Zero(t, testID(doc, "risk").Length(), "the shop has no value attribute")
	href, _ := testID(doc, "heatmap-link").Attr("href")
	require.Equal(t, "/journeys/shop/heatmap", href)

	// In a segment, anomalies (of all traffic) are not claimed.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop?"+shopWhole+"&segment=span.tier%3Dgold", nil))
	require.Zero(t, testID(doc, "health").Length())
}

func TestWhyPage(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop/why?step=2&compare=dropped&"+shopWhole, nil))
	require.Equal(t, "Why do journeys drop after s2?", testID(doc, "why-question").Text())
	require.Equal(t, "1 journey dropped after s2; 2 went on to s3. 2026-03-01 10:00 UTC – 2026-03-01 10:03 UTC", squash(testID(doc, "why-summary").Text()))
	rows := testID(doc, "why-rows").Children()
	require.Equal(t, 3, rows.Length())
	require.Equal(t, "span.tier", testID(doc, "why-key-0").Text())
	require.Equal(t, "silver", testID(doc, "why-value-0").Text())
	require.Equal(t, "1", testID(doc, "why-count-selected-0").Text())
	require.Equal(t, "1", testID(doc, "why-count-baseline-0").Text())
	require.Equal(t, "More common among those dropped after s2. Probably chance: a gap this wide happens more often than not.", testID(doc, "why-verdict-0").Text())
	require.Equal(t, "span.tier=silver: 100% of dropped after s2, 50% of went on to s3", testID(doc, "why-row-0").Find("svg title").Text())
	href, _ := testID(doc, "why-map-0").Attr("href")
	require.Equal(t, shopMap("span.tier%3Dsilver"), href)
	href, _ = testID(doc, "why-traces-0").Attr("href")
	require.Equal(t, shopMap("span.tier%3Dsilver")+"#step-2", href)

	// The slow spans of s1 above 120 ms are the silver ones: Fisher's
	// p = 1/3, not rare enough to call.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop/why?step=1&compare=slow&threshold=120ms&"+shopWhole, nil))
	require.Equal(t, "Why is s1 slow?", testID(doc, "why-question").Text())
	require.Equal(t, "2 spans of s1 took longer than 120 ms; 2 did not.", squash(testID(doc, "why-summary").Contents().First().Text()))
	require.Equal(t, "More common among those slower than 120 ms. Probably chance: a gap this wide happens about once in 3 times.", testID(doc, "why-verdict-0").Text())

	// The p95 sets nothing apart in four spans.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop/why?step=1&compare=slow&"+shopWhole, nil))
	require.Equal(t, 1, testID(doc, "why-empty").Length())

	rec := b.do(t, http.MethodGet, "/journeys/shop/why?step=9&compare=slow", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), "is not a step number from 1 to 3")
}

func TestHeatmapPage(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	// By default the last 7 days, which hold the shop's three minutes.
	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop/heatmap", nil))
	require.Equal(t, "Throughput of s1 by hour of week (UTC)", testID(doc, "heat-week-title").Text())
	require.Equal(t, 168, testID(doc, "heat-week").Find("rect").Length())
	// Sunday 10:00 holds the four spans. The 7 days up to 10:03 start at
	// 10:03 a week before, whose hour is a Sunday 10:00 too: two hours.
	cell := testID(doc, "heat-cell-10")
	class, _ := cell.Attr("class")
	require.Equal(t, "heat-6", class)
	require.Equal(t, "Sunday 10:00: 0.03/min (4 spans over 2 hours)", cell.Find("title").Text())
	class, _ = testID(doc, "heat-cell-11").Attr("class")
	require.Equal(t, "heat-0", class)
	require.Equal(t, "shop · s1", testID(doc, "heat-endpoint-row-0").Text())
	require.Equal(t, "shop · s3", testID(doc, "heat-endpoint-row-2").Text())
	cur, _ := testID(doc, "heat-range-7d").Attr("aria-current")
	require.Equal(t, "true", cur)

	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop/heatmap?metric=error_rate&step=3&"+shopWhole, nil))
	require.Equal(t, "Error rate of s3 by hour of week (UTC)", testID(doc, "heat-week-title").Text())
	require.Equal(t, "Sunday 10:00: 50% (2 spans over 1 hour)", testID(doc, "heat-cell-10").Find("title").Text())
	cur, _ = testID(doc, "heat-metric-error_rate").Attr("aria-current")
	require.Equal(t, "true", cur)

	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop/heatmap?range=7d&metric=p95", nil))
	require.Equal(t, 1, testID(doc, "heat-endpoint").Length())

	rec := b.do(t, http.MethodGet, "/journeys/shop/heatmap?metric=apdex", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
}

// With a value attribute the map shows what the journeys that dropped or
// failed at each step were worth.
func TestJourneyMapRevenueAtRisk(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	ctx := context.Background()
	j := shopJourney()
	j.Spec.Value = "span.total"
	rec, _, err := b.store.PutJourney(ctx, j, "test")
	require.NoError(t, err)
	spans := shopSpans()
	for i := range spans {
		// Session n's order is worth 10·n.
		session := spans[i].Attrs["span.session.id"]
		spans[i].Attrs["span.total"] = map[string]string{"sess-1": "10", "sess-2": "20", "sess-3": "30", "sess-4": "40"}[session]
	}
	src := &rolluptest.Source{}
	src.Add(spans...)
	res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: st0, To: sat(3 * time.Minute)}, nil)
	require.NoError(t, err)
	require.NoError(t, b.rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: sat(3 * time.Minute)}))

	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop?"+shopWhole, nil))
	// Session 2 (20) dropped after s2; session 1 (10) failed at s3;
	// session 3 failed at s1 but is in flight, so not yet counted.
	require.Equal(t, "20.00", testID(doc, "risk-dropped").Text())
	require.Equal(t, "10.00", testID(doc, "risk-errored").Text())
	for k, want := range [][2]string{{"0", "0"}, {"20.00", "0"}, {"0", "10.00"}} {
		require.Equal(t, want[0], testID(doc, fmt.Sprintf("risk-step-%d-dropped", k)).Text())
		require.Equal(t, want[1], testID(doc, fmt.Sprintf("risk-step-%d-errored", k)).Text())
	}
	href, _ := testID(doc, "risk-step-2").Find("a").Attr("href")
	require.Equal(t, "/traces/"+rolluptest.TraceID(1)+"?journey=shop&step=3", href)
}
