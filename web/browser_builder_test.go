package web

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// shotsDir is where the browser tests keep their screenshots: the test's
// artifact directory, which `go test -artifacts -outputdir DIR` keeps.
func shotsDir(t *testing.T) string { return t.ArtifactDir() }

// builderBrowser is a signed-in editor's browser on a server whose
// builder reads tr.
func builderBrowser(t *testing.T, tr *demo.Traffic) (*bundle, context.Context, string, func() []chromedp.ConsoleMessage) {
	t.Helper()
	b := setupBuilder(t, tr)
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	ctx, console := browser(t)
	// A failing test keeps what the page looked like, outside the test's
	// temporary directory.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		dir := os.Getenv("WAYMARK_SHOTS_DIR")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "waymark-browser-failures")
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil || os.MkdirAll(dir, 0o755) != nil {
			return
		}
		path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-failed.png")
		if os.WriteFile(path, png, 0o644) == nil {
			t.Logf("screenshot of the failing page: %s", path)
		}
	})
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)))
	browserSignIn(t, ctx, srv.URL, editorEmail)
	return b, ctx, srv.URL, console
}

// shoot saves the page at 1440 and 390 px wide as name-1440.png and
// name-390.png, and checks that at 390 px nothing is wider than the
// screen. It leaves the viewport at 1440 px.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := shotsDir(t)
	for _, w := range []int64{1440, 390} {
		require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(w, 900), chromedp.Sleep(150*time.Millisecond)))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+"-"+layout.Itoa(int(w))+".png"), png, 0o644))
		if w == 390 {
			width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			require.NoError(t, err)
			require.LessOrEqual(t, width, 390, "%s is %d px wide at 390 px", name, width)
		}
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)))
}

func noConsoleProblems(t *testing.T, console func() []chromedp.ConsoleMessage) {
	t.Helper()
	require.Empty(t, consoleProblems(console()))
}

// TestBrowserTypeAServiceAndSpanWithSuggestions: a product manager types
// a step knowing neither the service nor the span name; the lists offer
// them, and the step's preview counts what it matches.
func TestBrowserTypeAServiceAndSpanWithSuggestions(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 80)
	truth := tr.Truth()
	_, ctx, base, console := builderBrowser(t, tr)
	svc := `[name="steps[0].match.service"]`
	span := `[name="steps[0].match.span"]`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/journeys/new"),
		chromedp.WaitVisible(chromedp.CSS(svc)),
	))
	services, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#services-0 option')].map(o => o.value)`))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"auth_svc", "product_svc", "cart_svc", "checkout_svc", "payment_svc"}, services)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(svc), chromedp.NodeVisible),
		typeInto(chromedp.CSS(svc), "checkout_svc"),
		chromedp.Click(chromedp.CSS(span), chromedp.NodeVisible),
	))
	// The span list is the chosen service's.
	names, err := chromedp.Run(ctx, chromedp.Poll[[]string](
		`(() => { const v = [...document.querySelectorAll('#spans-0 option')].map(o => o.value); return v.length ? v : null })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err)
	require.Contains(t, names, "POST /checkout")
	for _, n := range names {
		require.NotContains(t, []string{"POST /login", "GET /products", "POST /payments"}, n)
	}
	require.NoError(t, chromedp.Do(ctx,
		typeInto(chromedp.CSS(span), "POST /checkout"+kb.Tab),
	))
	want := layout.Count(int64(truth.Steps[3].RootSpans))
	got, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const e = document.querySelector('[data-testid="step-preview-0"] [data-testid="step-spans"]'); return e && e.textContent !== "0" ? e.textContent : null })()`,
		chromedp.WithPollingTimeout(15*time.Second)))
	require.NoError(t, err)
	require.Equal(t, want, got)
	samples, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="step-preview-0"] [data-testid="sample-trace"]').length`))
	require.NoError(t, err)
	require.Equal(t, 3, samples)
	shoot(t, ctx, "editor-suggestions")
	noConsoleProblems(t, console)
}

// TestBrowserOpenASuggestedJourneyAndPreviewIt: from the journeys list to
// the suggestions, one click into the editor, and the funnel previewed
// before saving.
func TestBrowserOpenASuggestedJourneyAndPreviewIt(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 80)
	truth := tr.Truth()
	b, ctx, base, console := builderBrowser(t, tr)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/journeys"),
		chromedp.Click(chromedp.CSS(`[data-testid="suggested-journeys"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="suggested-0"]`)),
	))
	shoot(t, ctx, "suggested")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="suggested-0"] [data-testid="open-suggested"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-origin"]`)),
	))
	slug, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`[name="metadata.slug"]`)))
	require.NoError(t, err)
	require.Equal(t, "login-to-payments", slug)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="preview-journey"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-step-4"]`)),
	))
	reached, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="preview-reached"]')].map(e => e.textContent)`))
	require.NoError(t, err)
	var want []string
	for k := range demo.NumSteps {
		want = append(want, layout.Count(int64(truth.Funnel[k].Sessions)))
	}
	require.Equal(t, want, reached)
	list, err := b.store.ListJourneys(context.Background())
	require.NoError(t, err)
	require.Empty(t, list, "a preview saves nothing")
	shoot(t, ctx, "editor-preview")

	// Saved, it is on the list.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="save"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`main`)),
	))
	require.Eventually(t, func() bool {
		list, err := b.store.ListJourneys(context.Background())
		return err == nil && len(list) == 1 && list[0].Journey.Metadata.Slug == "login-to-payments"
	}, 10*time.Second, 100*time.Millisecond)
	noConsoleProblems(t, console)
}

// TestBrowserCreateAJourneyFromATrace: tick spans on a waterfall, and the
// editor opens with one step per span.
func TestBrowserCreateAJourneyFromATrace(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 20)
	var login *demo.Trace
	for _, x := range tr.Traces() {
		if x.Step == 0 && len(x.Spans) == 3 {
			login = x
			break
		}
	}
	require.NotNil(t, login)
	_, ctx, base, console := builderBrowser(t, tr)
	id := login.ID.String()
	pick := func(spanID string) string { return `[data-testid="span-pick"][value="` + spanID + `"]` }
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/traces/"+id),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="waterfall"]`)),
		chromedp.Click(chromedp.CSS(pick(login.Spans[0].ID.String())), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(pick(login.Spans[2].ID.String())), chromedp.NodeVisible),
	))
	shoot(t, ctx, "trace-pick")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="create-journey-from-spans"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-origin"]`)),
	))
	val := func(name string) string {
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`[name="`+name+`"]`)))
		require.NoError(t, err, name)
		return v
	}
	require.Equal(t, "auth_svc", val("steps[0].match.service"))
	require.Equal(t, "POST /login", val("steps[0].match.span"))
	require.Equal(t, login.Spans[2].Name, val("steps[1].match.span"))
	require.Equal(t, "trace", val("correlation.by"))
	origin, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="form-origin"]`)))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(origin, "Drafted from 2 spans of trace "+id), origin)
	shoot(t, ctx, "editor-from-trace")
	noConsoleProblems(t, console)
}

// TestBrowserJourneyListKeepsLongSlugsInside: the list fits 1440 px with
// a long slug, and 390 px without the header overflowing.
func TestBrowserJourneyListKeepsLongSlugsInside(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 20)
	b, ctx, base, console := builderBrowser(t, tr)
	j, _ := example(t, "shop-checkout")
	j.Metadata.Slug = "a-very-long-journey-slug-that-goes-on-and-on-past-any-reasonable-l"[:64]
	j.Metadata.Name = "A journey with a long name that keeps going well past the column"
	rec, _, err := b.store.PutJourney(context.Background(), j, "test")
	require.NoError(t, err)
	b.seed(t, "login-flow")
	// The long journey's numbers, for its sparkline.
	res, err := rollup.Aggregate(context.Background(), sourcetest.Store(t, tr.OTLP()), rec.Journey,
		rollup.Range{From: builderStart, To: builderStart.Add(45 * time.Minute)}, nil)
	require.NoError(t, err)
	require.NoError(t, b.rollups.Write(context.Background(), res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: builderNow()}))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/journeys"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="journey-table"]`)),
	))
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	require.NoError(t, err)
	require.LessOrEqual(t, width, 1440)
	sparks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="journey-spark"]').length`))
	require.NoError(t, err)
	require.Equal(t, 1, sparks)
	shoot(t, ctx, "journey-list")
	noConsoleProblems(t, console)
}
