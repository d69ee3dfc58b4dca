package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromium finds the browser the browser tests drive. It fails, never
// skips, the test without one: a suite that silently skips its browser test
// proves nothing.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed, and the browser tests need it: `make test` installs it (scripts/ensure-chromium.sh), or install the chromium package")
	return ""
}

// browser starts a headless Chromium for one test, collecting what its pages
// write to the console.
func browser(t *testing.T) (context.Context, func() []chromedp.ConsoleMessage) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	// The whole test, browser start included, must end within a minute.
	base, cancelBase := context.WithTimeout(context.Background(), time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelBase()
	})
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")), "start Chromium")

	var mu sync.Mutex
	var messages []chromedp.ConsoleMessage
	done := make(chan struct{})
	console := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range console {
			if err != nil {
				return
			}
			mu.Lock()
			messages = append(messages, m)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancelCtx(); <-done })
	return ctx, func() []chromedp.ConsoleMessage {
		mu.Lock()
		defer mu.Unlock()
		return append([]chromedp.ConsoleMessage(nil), messages...)
	}
}

// TestBrowserOpenIncidentFromMap is the post-mortem author's path in a real
// browser: from a failing step's exemplar on the journey map to an incident
// that keeps the trace, two related traces linked in one click each, and
// the post-mortem ready to download; all under the content security policy,
// with nothing reported on the console.
func TestBrowserOpenIncidentFromMap(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	ctx, console := browser(t)
	browserSignIn(t, ctx, srv.URL, editorEmail)

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		require.NoError(t, err, sel)
		return strings.TrimSpace(s)
	}
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		require.NoError(t, err)
		return strings.TrimPrefix(loc, srv.URL)
	}

	// The map of the shop, its failing payments listed under step 3.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/journeys/shop?from=2026-03-01T10:00:00Z&to=2026-03-01T10:03:00Z"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-2-errored"]`)),
	))
	require.Equal(t, "3", text(`[data-testid="errored"]`))

	// Click 1: "Open incident" beside the first failing payment.
	open := `[data-testid="step-2-errored"] a.ex-action[data-trace-id="` + declinedTrace + `"]`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(open), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#incident-form`)),
	))
	require.True(t, strings.HasPrefix(location(), "/incidents/new?"), location())
	title, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name="title"]`)))
	require.NoError(t, err)
	require.Equal(t, "Shop / s3 failing: card declined", title)
	require.Equal(t, "shop s3 · 2 spans · 300 ms · started 2026-03-01 10:00 UTC · card declined",
		strings.Join(strings.Fields(text(`[data-testid="trace-preview"]`)), " "))

	// Click 2: submit the prefilled form. The incident opens with the
	// trace linked.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="save"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-`+declinedTrace+`"]`)),
	))
	require.Equal(t, "/incidents/1", location())
	require.Equal(t, "Shop / s3 failing: card declined", text(`[data-testid="incident-title"]`))
	require.Equal(t, "card declined", text(`[data-testid="trace-`+declinedTrace+`"] [data-testid="trace-error"]`))

	// One click links each related trace.
	for _, id := range []string{declinedAgain, timeoutTrace} {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`[data-testid="link-related"][data-trace-id="`+id+`"]`), chromedp.NodeVisible),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-`+id+`"]`)),
		), id)
		require.Equal(t, "/incidents/1", location())
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="trace-table"] tbody tr')].map(r => r.dataset.testid)`))
	require.NoError(t, err)
	require.Equal(t, []string{"trace-" + declinedTrace, "trace-" + declinedAgain, "trace-" + timeoutTrace}, rows)
	require.Equal(t, "No other failing traces on the affected steps during the incident.", text(`[data-testid="no-related"]`))

	// The post-mortem link answers, from the page.
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid="postmortem-link"]`), "href"))
	require.NoError(t, err)
	require.Equal(t, "/incidents/1/postmortem.md", href.Value)
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`fetch(document.querySelector('[data-testid="postmortem-link"]').href).then(r => r.status)`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)

	// The copy button, shown by the script, copies the draft.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="copy-postmortem"]`), chromedp.NodeVisible)))
	copied, err := chromedp.Run(ctx, chromedp.Poll[string](
		`document.querySelector('[data-testid="copy-status"]').textContent || null`, chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err)
	require.Contains(t, []string{"Copied.", "Press Ctrl+C (or ⌘C) to copy the selected text."}, copied)

	// Nothing went wrong in the page: no script error, no resource
	// refused by the content security policy, no failed load.
	var bad []string
	for _, m := range console() {
		if m.Type == chromedp.ConsoleError || m.IsException() || m.Type == chromedp.ConsoleWarning || m.Source == "security" {
			bad = append(bad, m.String())
		}
	}
	require.Empty(t, bad)
}
