package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/alerthttp"
)

// badge is what an SLO badge says and links to.
type badge struct{ text, state, href string }

func badges(doc *goquerySelection) []badge {
	var out []badge
	doc.Find(`a[data-testid^="slo-badge-"]`).Each(func(_ int, a *goquerySelection) {
		out = append(out, badge{squash(a.Text()), a.AttrOr("data-state", ""), a.AttrOr("href", "")})
	})
	return out
}

func TestJourneyListSLOBadges(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedSLOJourney(t, sloJourney("shop", paySuccess, payLatency, confirmSuccess))
	b.seedSLOJourney(t, sloJourney("plain"))

	// Before the first evaluation. The list shows the worst SLO of each
	// journey and how many more there are; the map shows them all.
	doc := page(t, b.do(t, http.MethodGet, "/journeys", nil))
	require.Equal(t, []badge{
		{"pay-success: not evaluated", "", "/journeys/shop/slos/pay-success"},
	}, badges(testID(doc, "journey-shop")))
	require.Equal(t, "+2 more", testID(doc, "journey-slos-more").Text())
	require.Equal(t, "none", squash(testID(doc, "journey-plain").Find(`[data-testid="journey-slos"]`).Text()))

	for _, o := range []string{"pay-success", "pay-latency", "confirm-success"} {
		b.evaluate(t, "shop", o, sloT0)
	}
	doc = page(t, b.do(t, http.MethodGet, "/journeys", nil))
	require.Equal(t, []badge{
		{"pay-success: page", "page", "/journeys/shop/slos/pay-success"},
	}, badges(testID(doc, "journey-shop")))
	require.Equal(t, "pay-success: page, -33.3% of the error budget left (burn 6.67× over 12m and 8× over 1m reach 6×)",
		testID(doc, "slo-badge-pay-success").AttrOr("title", ""))

	// The definition links each SLO to its page.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop/definition", nil))
	require.Equal(t, "/journeys/shop/slos/pay-latency", testID(doc, "slo-1-link").AttrOr("href", ""))

	// A server without SLO evaluation shows no SLO column at all.
	off := setupSLO(t, func(o *Options) { o.Alerting = alerthttp.Off{} })
	off.seedSLOJourney(t, sloJourney("shop", paySuccess))
	doc = page(t, off.do(t, http.MethodGet, "/journeys", nil))
	require.Zero(t, testID(doc, "journey-slos").Length())
	require.Zero(t, len(badges(doc.Selection)))
}

func TestJourneyMapSLOsAndDeploys(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedIncident(t)

	rec := b.do(t, http.MethodGet, "/journeys/shop?from=2026-03-02T11:00:00Z&to=2026-03-02T12:00:00Z", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := page(t, rec)
	require.Equal(t, []badge{
		{"pay-success: page", "page", "/journeys/shop/slos/pay-success"},
		{"pay-latency: ok", "ok", "/journeys/shop/slos/pay-latency"},
		{"confirm-success: insufficient traffic", "insufficient_traffic", "/journeys/shop/slos/confirm-success"},
	}, badges(testID(doc, "map-slos")))

	// The journey's deploys in the range, newest first, under the map.
	require.Equal(t, "2026-03-02 11:45 UTC shop@1.5.0 production", squash(testID(doc, "map-deploys-0").Text()))
	require.Equal(t, "2026-03-02 11:10 UTC shop@1.4.9 production", squash(testID(doc, "map-deploys-1").Text()))
	require.Zero(t, testID(doc, "map-deploys-2").Length())

	// And on each step's throughput sparkline: sixty one-minute points
	// over 160 units, 11:45 at 45·160/59 and 11:10 at 10·160/59.
	for _, step := range []string{"step-0", "step-1", "step-2"} {
		m0 := testID(doc, step+"-spark-deploy-0")
		m1 := testID(doc, step+"-spark-deploy-1")
		require.Equal(t, "122", m0.AttrOr("x1", ""), step)
		require.Equal(t, "shop@1.5.0 deployed 2026-03-02 11:45 UTC", m0.Find("title").Text(), step)
		require.Equal(t, "27.1", m1.AttrOr("x1", ""), step)
		require.Zero(t, testID(doc, step+"-spark-deploy-2").Length(), step)
	}

	// A range before the deploys shows none.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop?from=2026-03-02T11:00:00Z&to=2026-03-02T11:05:00Z", nil))
	require.Zero(t, testID(doc, "map-deploys").Length())
	require.Zero(t, testID(doc, "step-0-spark-deploy-0").Length())
}

func TestJourneyMapBackfillProgress(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedSLOJourney(t, sloJourney("shop"))

	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop", nil))
	require.Zero(t, testID(doc, "backfill-0").Length())

	tx, err := b.pool.Begin(b.ctx)
	require.NoError(t, err)
	bf, err := rollup.CreateBackfill(b.ctx, tx, "shop", sloAt(-2*time.Hour), sloAt(-time.Hour))
	require.NoError(t, err)
	require.NoError(t, tx.Commit(b.ctx))
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop", nil))
	require.Equal(t, "pending", testID(doc, "backfill-0").AttrOr("data-state", ""))
	require.Equal(t, "History backfill queued (10:00 UTC → 11:00 UTC): numbers there fill in once it runs.",
		squash(testID(doc, "backfill-0-text").Text()))

	require.NoError(t, b.rollups.UpdateBackfill(b.ctx, bf.ID, sloAt(-2*time.Hour+27*time.Minute), rollup.BackfillRunning, ""))
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop", nil))
	require.Equal(t, "running", testID(doc, "backfill-0").AttrOr("data-state", ""))
	require.Equal(t, "0.45", testID(doc, "backfill-0-progress").AttrOr("value", ""))
	require.Equal(t, "Backfilling history: 45% (10:00 UTC → 10:27 UTC done, up to 11:00 UTC): later numbers are still filling in.",
		squash(testID(doc, "backfill-0-text").Text()))
	// The journey map's own section, which htmx swaps, carries no
	// backfill: the line stays put above it.
	require.Zero(t, testID(doc, "journey-map").Find(`[data-testid^="backfill"]`).Length())
}
