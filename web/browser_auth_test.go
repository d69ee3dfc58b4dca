package web

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// browserSignIn signs email in through the login page, as a person would.
// typeInto focuses the element sel finds and types keys into it.
// chromedp's SendKeys reads the node's attributes without the node's lock
// and races with the DOM events htmx causes; keys sent to the focused
// element read nothing.
func typeInto(sel chromedp.CSS, keys string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Focus(sel), chromedp.KeyEvent(keys))
}

func browserSignIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		typeInto(chromedp.CSS(`#email`), email),
		typeInto(chromedp.CSS(`#password`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-user"]`)),
	), "sign in as %s", email)
}

// consoleProblems are the console messages that mean something went wrong
// in a page: script errors, warnings, and anything the content security
// policy refused.
func consoleProblems(msgs []chromedp.ConsoleMessage) []string {
	var bad []string
	for _, m := range msgs {
		if m.Type == chromedp.ConsoleError || m.IsException() || m.Type == chromedp.ConsoleWarning || m.Source == "security" {
			bad = append(bad, m.String())
		}
	}
	return bad
}

// TestBrowserSignedInTour signs in the way a person does (sent to the login
// page from the page they asked for, and back), then reads the journeys
// list, a journey map, a trace and an incident, and signs out; all under
// the content security policy, with nothing reported on the console.
func TestBrowserSignedInTour(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	id := b.openFromTrace(t, declinedTrace, nil)
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	ctx, console := browser(t)

	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		require.NoError(t, err)
		return strings.TrimPrefix(loc, srv.URL)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		require.NoError(t, err, sel)
		return strings.Join(strings.Fields(s), " ")
	}

	// Asked for a map while signed out: the login page, then the map.
	mapURL := "/journeys/shop?from=2026-03-01T10:00:00Z&to=2026-03-01T10:03:00Z"
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+mapURL),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	))
	require.Equal(t, "/login?next="+url.QueryEscape(mapURL), location())
	// A wrong password first. Its page comes with status 401, which the
	// browser reports as a failed load: the one message expected on the
	// console.
	require.NoError(t, chromedp.Do(ctx,
		typeInto(chromedp.CSS(`#email`), editorEmail),
		typeInto(chromedp.CSS(`#password`), "not the password"),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-error"]`)),
	))
	require.Equal(t, "Email or password is wrong.", text(`[data-testid="login-error"]`))
	email, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#email`)))
	require.NoError(t, err)
	require.Equal(t, editorEmail, email)
	require.NoError(t, chromedp.Do(ctx,
		typeInto(chromedp.CSS(`#password`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-2-errored"]`)),
	))
	require.Equal(t, mapURL, location())
	require.Equal(t, editorEmail, text(`[data-testid="signed-in-user"]`))
	require.Equal(t, "editor", text(`[data-testid="signed-in-role"]`))

	// The journeys list, a trace, an incident.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/journeys"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="journey-shop"]`)),
	))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/traces/"+declinedTrace),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="waterfall"]`)),
	))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+idPath(id, "")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="incident-title"]`)),
	))
	require.Equal(t, "Payments failing", text(`[data-testid="incident-title"]`))

	// Signing out from the navigation ends the session: the next page asks
	// to sign in again.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="logout"] button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	))
	require.Equal(t, "/login", location())
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/incidents"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	))
	require.Equal(t, "/login?next=%2Fincidents", location())

	problems := consoleProblems(console())
	require.Len(t, problems, 1, problems)
	require.Contains(t, problems[0], "the server responded with a status of 401 (Unauthorized)")
}
