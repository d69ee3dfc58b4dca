package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowserWhyAndHeatmap is a product manager's path in a real browser:
// from the checkout map, whose health line names the failing payments,
// through the Why? link of a drop-off to the host that loses sessions,
// then to the heat maps; under the content security policy, with nothing
// on the console.
func TestBrowserWhyAndHeatmap(t *testing.T) {
	t.Parallel()
	fault := &insightFault{From: insightEnd.Add(-6 * time.Hour), To: insightEnd.Add(-4 * time.Hour), Step: 3, Factor: 10}
	b := setupSLO(t, nil)
	b.clock.Set(insightEnd)
	b.seedInsight(t, insightEnd, 21, 0, fault)
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	ctx, console := browser(t)

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		require.NoError(t, err, sel)
		return strings.Join(strings.Fields(s), " ")
	}

	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)))
	browserSignIn(t, ctx, srv.URL, viewerEmail)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/journeys/insight?range=24h"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="health"]`)),
	))
	require.Equal(t, "Pay error rate 10.0× its usual for Sunday 18:00 UTC (19.5% against 2.0% expected)", text(`[data-testid="health-0"]`))
	require.Equal(t, "Revenue at risk", text(`[data-testid="risk"] h2`))
	// 2% errors against a 3% budget over the week, 3.7% over the last
	// day with the fault: the budget runs out.
	require.Equal(t, "pay-success: At the last 24h's burn the budget runs out on 1 Dec 12:14.", text(`[data-testid="map-forecast-0"]`))
	shoot(t, ctx, "map")

	// The Why? link of the drop-off between address and shipping.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="step-2-why-drop"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="why-rows"]`)),
	))
	require.Equal(t, "Why do journeys drop after address?", text(`[data-testid="why-question"]`))
	require.Equal(t, "resource.host.name", text(`[data-testid="why-key-0"]`))
	require.Equal(t, "web-3", text(`[data-testid="why-value-0"]`))
	require.Equal(t, "More common among those dropped after address. Real difference: chance alone would give a gap this wide less than once in 1,000 times, even allowing for the 12 values compared.",
		text(`[data-testid="why-verdict-0"]`))
	shoot(t, ctx, "why")

	// The segment-filtered map of that host, then the heat maps.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="why-map-0"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="journey-map"]`)),
	))
	sel, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#segment`)))
	require.NoError(t, err)
	require.Equal(t, "resource.host.name=web-3", sel)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="tab-heatmap"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="heat-week"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="heat-metric-error_rate"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="heat-endpoint"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="heat-step-4"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="heat-endpoint"]`)),
	))
	require.Equal(t, "Error rate of pay by hour of week (UTC)", text(`[data-testid="heat-week-title"]`))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="heat-endpoint"] .heat-row').length`))
	require.NoError(t, err)
	require.Equal(t, 5, rows)
	shoot(t, ctx, "heatmap")

	require.Empty(t, consoleProblems(console()))
}
