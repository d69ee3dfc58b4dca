package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// stepBox is where one step card of the map lies on the screen.
type stepBox struct {
	ID          string
	Left, Right float64
}

// TestBrowserMapFitsALaptop: the five steps of a checkout fit a 1440 px
// laptop screen side by side, none pushed past the right edge, and the map
// needs no sideways scroll at 390 px either.
func TestBrowserMapFitsALaptop(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.clock.Set(insightEnd)
	b.seedInsight(t, insightEnd, 1, 0, nil)
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	ctx, console := browser(t)

	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)))
	browserSignIn(t, ctx, srv.URL, viewerEmail)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/journeys/insight?range=24h"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="map-steps"]`)),
	))
	shoot(t, ctx, "map")

	boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]stepBox](`[...document.querySelectorAll('.map-steps .map-card')].map(e => {
		const r = e.getBoundingClientRect(); return {ID: e.dataset.testid, Left: r.left, Right: r.right} })`))
	require.NoError(t, err)
	require.Len(t, boxes, 5)
	for _, bx := range boxes {
		require.GreaterOrEqual(t, bx.Left, 0.0, bx.ID)
		require.LessOrEqual(t, bx.Right, 1440.0, "%s ends at %.0f px, past the 1440 px screen", bx.ID, bx.Right)
	}
	over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(e => e.scrollWidth - e.clientWidth)(document.querySelector('.map-steps'))`))
	require.NoError(t, err)
	require.Zero(t, over, "the steps are wider than their box")

	noConsoleProblems(t, console)
}

// TestBrowserMapBadRange: a custom range that ends before it starts, sent
// with Show, comes back in place with what was typed and the fault beside
// From, with nothing on the console.
func TestBrowserMapBadRange(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b.seedShop(t, sat(3*time.Minute))
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	ctx, console := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)))
	browserSignIn(t, ctx, srv.URL, viewerEmail)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/journeys/shop?"+shopWhole),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="map-steps"]`)),
		chromedp.SetValue(chromedp.CSS(`#from`), "2026-03-01T12:00:00Z"),
		chromedp.Click(chromedp.CSS(`[data-testid="map-controls"] button[type="submit"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-from"]`)),
	))
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="error-from"]`)))
	require.NoError(t, err)
	require.Equal(t, "2026-03-01T12:00:00Z is not before to (2026-03-01T10:03:00Z).", msg)
	from, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#from`)))
	require.NoError(t, err)
	require.Equal(t, "2026-03-01T12:00:00Z", from)
	sections, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#journey-map').length`))
	require.NoError(t, err)
	require.Equal(t, 1, sections)
	shoot(t, ctx, "map-bad-range")
	// The browser notes the 400 itself; htmx adds nothing (no CSP
	// complaint, no swap error).
	var problems []string
	for _, p := range consoleProblems(console()) {
		if !strings.Contains(p, "the server responded with a status of 400") {
			problems = append(problems, p)
		}
	}
	require.Empty(t, problems)
}
