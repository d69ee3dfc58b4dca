package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// TestBrowserPipelinePages: the sources and sampling pages at a laptop's
// and a phone's width, with no sideways scroll of the page, and the copy
// button putting the policy on the clipboard.
func TestBrowserPipelinePages(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	fs := []rollup.Freshness{
		{Slug: "shop", CompleteThrough: now.Add(-150 * time.Second), LastRunAt: now.Add(-20 * time.Second),
			LastRunDuration: 1234 * time.Millisecond, LastSpans: 3060, LastNewSpans: 3000, LastRecountSpans: 60,
			LastFetch: journeys.FetchStats{Requests: 4, InspectedBytes: 31_400_000}, OpenInstances: 812},
		{Slug: "a-journey-with-a-rather-long-slug-for-a-phone", CompleteThrough: now.Add(-10 * time.Minute),
			LastSpans: 500, LastNewSpans: 100, LastError: "tempo: 503 Service Unavailable", FailingSince: now.Add(-7 * time.Minute)},
	}
	b := setupWith(t, func(o *Options) {
		o.Rollups = costRollups{fs: fs}
		o.Now = func() time.Time { return now }
		o.Source = journeyhttp.Source{Kind: "tempo", Target: "http://tempo.observability.svc:3200", Lag: 2 * time.Minute}
	})
	b.seed(t, "shop-checkout")
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	ctx, console := browser(t)
	browserSignIn(t, ctx, srv.URL, viewerEmail)
	// Signing in lands on the journeys list, whose numbers this fixture's
	// rollups do not answer; only what the pages under test log counts.
	before := len(console())

	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(1440, 900),
		chromedp.Navigate(srv.URL+"/sources"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sources-table"]`)),
	))
	behind, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="sources-behind"]`), chromedp.NodeVisible))
	require.NoError(t, err)
	require.Equal(t, "1 journey is behind or failing. Numbers for the latest minutes are missing until they catch up.", strings.TrimSpace(behind))
	shoot(t, ctx, "sources")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="tab-sampling"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="copy-policy"]`)),
	))
	shoot(t, ctx, "sampling")

	// A bad value is shown beside its field, the form kept.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#keep_rate`), "1.5"),
		chromedp.Click(chromedp.CSS(`[data-testid="sampling-apply"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-keep_rate"]`)),
	))
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="error-keep_rate"]`)))
	require.NoError(t, err)
	require.Equal(t, `"1.5" is not a number between 0 and 1`, msg)
	var logged []string
	for _, m := range console()[before:] {
		logged = append(logged, m.Text)
	}
	require.Equal(t, []string{"Failed to load resource: the server responded with a status of 400 (Bad Request)"}, logged,
		"nothing on the console but the refused form (no content security policy or script errors)")
}
