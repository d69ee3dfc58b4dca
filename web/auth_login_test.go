package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
)

// loginForm is the sign-in form as a browser posts it.
func loginForm(email, password, next string) url.Values {
	f := url.Values{"email": {email}, "password": {password}}
	if next != "" {
		f.Set("next", next)
	}
	return f
}

func TestLoginPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.send(t, anonymous, http.MethodGet, "/login?next=%2Fjourneys%2Fshop%3Frange%3D24h", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	require.Equal(t, wantCSP, rec.Header().Get("Content-Security-Policy"))
	doc := page(t, rec)
	form := testID(doc, "login-form")
	require.Equal(t, "/login", form.AttrOr("action", ""))
	require.Equal(t, "post", form.AttrOr("method", ""))
	require.Equal(t, "/journeys/shop?range=24h", inputValue(doc, "next"))
	require.Equal(t, "username", testID(doc, "login-email").AttrOr("autocomplete", ""))
	require.Equal(t, "current-password", testID(doc, "login-password").AttrOr("autocomplete", ""))
	require.Equal(t, 0, testID(doc, "login-error").Length())
	// Nobody is signed in: the navigation offers no sign-out.
	require.Equal(t, 0, testID(doc, "signed-in").Length())

	// A next that leaves the site is dropped.
	doc = page(t, b.send(t, anonymous, http.MethodGet, "/login?next=%2F%2Fevil.example%2Fx", nil))
	require.Equal(t, 0, doc.Find(`input[name="next"]`).Length())
}

func TestLoginRedirectsBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t, "login-flow")

	// A page asked for without a session sends the browser to sign in,
	// remembering where it was going.
	rec := b.send(t, anonymous, http.MethodGet, "/journeys/login-flow/definition?x=1", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/login?next=%2Fjourneys%2Flogin-flow%2Fdefinition%3Fx%3D1", rec.Header().Get("Location"))

	rec = b.postFormAs(t, anonymous, "/login", loginForm(" Viewer@Example.com ", testPassword, "/journeys/login-flow/definition?x=1"))
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, "/journeys/login-flow/definition?x=1", rec.Header().Get("Location"))
	viewer := sessionCookie(t, rec)

	// Signed in: the page answers, and the navigation names who is
	// looking, with a way to sign out.
	rec = b.send(t, withCookie(viewer), http.MethodGet, "/journeys/login-flow/definition", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	require.Equal(t, viewerEmail, testID(doc, "signed-in-user").Text())
	require.Equal(t, "viewer", testID(doc, "signed-in-role").Text())
	require.Equal(t, "/logout", testID(doc, "logout").AttrOr("action", ""))
	require.Equal(t, 0, testID(doc, "nav-admin").Length())

	cases := []struct{ next, want string }{
		{"", "/"},
		{"/incidents?status=investigating", "/incidents?status=investigating"},
		{"//evil.example/x", "/"},
		{"https://evil.example/", "/"},
		{"/\\evil.example", "/"},
	}
	for _, tc := range cases {
		rec := b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, testPassword, tc.next))
		require.Equal(t, http.StatusSeeOther, rec.Code, tc.next)
		require.Equal(t, tc.want, rec.Header().Get("Location"), tc.next)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		name, email, password string
		status                int
		message               string
	}{
		{"wrong password", " Viewer@Example.com ", "not the password", http.StatusUnauthorized, "Email or password is wrong."},
		{"unknown email", "nobody@example.com", testPassword, http.StatusUnauthorized, "Email or password is wrong."},
		{"not an email", "nobody", testPassword, http.StatusUnauthorized, "Email or password is wrong."},
		{"no password", viewerEmail, "", http.StatusUnprocessableEntity, "Enter your email and password."},
		{"no email", "", testPassword, http.StatusUnprocessableEntity, "Enter your email and password."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := b.postFormAs(t, anonymous, "/login", loginForm(tc.email, tc.password, "/incidents"))
			require.Equal(t, tc.status, rec.Code)
			require.Empty(t, rec.Header().Values("Set-Cookie"))
			doc := page(t, rec)
			require.Equal(t, tc.message, squash(testID(doc, "login-error").Text()))
			// The email is kept, the password never comes back.
			require.Equal(t, strings.TrimSpace(tc.email), inputValue(doc, "email"))
			require.Equal(t, "", inputValue(doc, "password"))
			require.Equal(t, "/incidents", inputValue(doc, "next"))
		})
	}
}

func TestLoginRateLimited(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, func(o *auth.Options) { o.AccountLimit = auth.Limit{Failures: 2, Window: 15 * time.Minute} }, nil)
	for range 2 {
		rec := b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, "not the password", ""))
		require.Equal(t, http.StatusUnauthorized, rec.Code)
	}
	// Even the right password is refused now, until the window passes.
	rec := b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, testPassword, ""))
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Equal(t, "900", rec.Header().Get("Retry-After"))
	require.Empty(t, rec.Header().Values("Set-Cookie"))
	doc := page(t, rec)
	require.Equal(t, "Too many failed sign-ins. Try again in 15 minutes.", squash(testID(doc, "login-error").Text()))
	require.Equal(t, viewerEmail, inputValue(doc, "email"))

	b.acc.clock.Advance(14*time.Minute + 30*time.Second)
	rec = b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, testPassword, ""))
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Equal(t, "30", rec.Header().Get("Retry-After"))
	require.Equal(t, "Too many failed sign-ins. Try again in 30 seconds.", squash(testID(page(t, rec), "login-error").Text()))

	b.acc.clock.Advance(30 * time.Second)
	rec = b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, testPassword, ""))
	require.Equal(t, http.StatusSeeOther, rec.Code)
}

func TestLoginRotatesSession(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, testPassword, ""))
	require.Equal(t, http.StatusSeeOther, rec.Code)
	first := sessionCookie(t, rec)

	// Signing in again from the same browser replaces its session: a
	// cookie planted before sign-in is worthless after it.
	rec = b.postFormAs(t, withCookie(first), "/login", loginForm(viewerEmail, testPassword, ""))
	require.Equal(t, http.StatusSeeOther, rec.Code)
	second := sessionCookie(t, rec)
	require.NotEqual(t, first.Value, second.Value)

	rec = b.send(t, withCookie(first), http.MethodGet, "/journeys", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/login?next=%2Fjourneys", rec.Header().Get("Location"))
	require.Equal(t, http.StatusOK, b.send(t, withCookie(second), http.MethodGet, "/journeys", nil).Code)
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		b := setupWith(t, func(o *Options) { o.SecureCookies = secure })
		rec := b.postFormAs(t, anonymous, "/login", loginForm(editorEmail, testPassword, ""))
		require.Equal(t, http.StatusSeeOther, rec.Code)
		c := sessionCookie(t, rec)
		require.Len(t, c.Value, 43)
		want := auth.SessionCookieName + "=" + c.Value + "; Path=/; HttpOnly; SameSite=Lax"
		if secure {
			want = auth.SessionCookieName + "=" + c.Value + "; Path=/; HttpOnly; Secure; SameSite=Lax"
		}
		require.Equal(t, []string{want}, rec.Header().Values("Set-Cookie"))

		// Signing out clears it with the same flags.
		rec = b.postFormAs(t, withCookie(c), "/logout", nil)
		require.Equal(t, http.StatusSeeOther, rec.Code)
		want = auth.SessionCookieName + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
		if secure {
			want = auth.SessionCookieName + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"
		}
		require.Equal(t, []string{want}, rec.Header().Values("Set-Cookie"))
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	viewer := b.acc.login(t, viewerEmail)
	require.Equal(t, http.StatusOK, b.send(t, withCookie(viewer), http.MethodGet, "/journeys", nil).Code)

	rec := b.postFormAs(t, withCookie(viewer), "/logout", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/login", rec.Header().Get("Location"))
	require.Equal(t, -1, sessionCookie(t, rec).MaxAge)

	// The session is over on the server, not only forgotten by the
	// browser.
	rec = b.send(t, withCookie(viewer), http.MethodGet, "/journeys", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/login?next=%2Fjourneys", rec.Header().Get("Location"))
	// Other sessions go on.
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/journeys", nil).Code)

	// Signing out again, or without a session, is no error.
	for _, who := range []as{withCookie(viewer), anonymous} {
		rec := b.postFormAs(t, who, "/logout", nil)
		require.Equal(t, http.StatusSeeOther, rec.Code)
		require.Equal(t, "/login", rec.Header().Get("Location"))
	}
}

func TestLogoutEverywhere(t *testing.T) {
	t.Parallel()
	b := setup(t)
	laptop := b.acc.login(t, viewerEmail)
	phone := b.acc.login(t, viewerEmail)

	rec := b.postFormAs(t, withCookie(phone), "/logout/everywhere", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/login", rec.Header().Get("Location"))
	require.Equal(t, -1, sessionCookie(t, rec).MaxAge)
	for _, c := range []*http.Cookie{laptop, phone} {
		require.Equal(t, http.StatusSeeOther, b.send(t, withCookie(c), http.MethodGet, "/journeys", nil).Code)
	}
	// Another user's session goes on.
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/journeys", nil).Code)

	page, err := b.acc.auth.ListAudit(context.Background(), auth.AuditFilter{Action: "user.logout_everywhere"})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	e := page.Entries[0]
	require.Equal(t, []string{viewerEmail, "user", "user", itoa(int(b.acc.users[viewerEmail].ID)), "192.0.2.1"},
		[]string{e.Actor, string(e.ActorKind), e.Object, e.ObjectID, e.RemoteAddr})
	require.JSONEq(t, `{"sessions_ended": 2}`, string(e.After))
	require.Nil(t, e.Before)

	// A token has no sessions to end.
	token := b.acc.token(t, "ci", auth.ScopeRead)
	rec = b.send(t, withToken(token), http.MethodPost, "/logout/everywhere", nil)
	require.Equal(t, http.StatusForbidden, rec.Code)
}

func TestLoginFormBodyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.postFormAs(t, anonymous, "/login", loginForm(viewerEmail, strings.Repeat("x", 16<<10), ""))
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	require.Equal(t, "Request body is larger than 16 KiB.", testID(page(t, rec), "error-message").Text())
}

func TestWithoutAccounts(t *testing.T) {
	t.Parallel()
	// A server given no Auth is open, as before accounts existed.
	b := setupWith(t, func(o *Options) { o.Auth = nil })
	require.Equal(t, http.StatusOK, b.send(t, anonymous, http.MethodGet, "/journeys", nil).Code)
	rec := b.send(t, anonymous, http.MethodGet, "/login?next=%2Fincidents", nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/incidents", rec.Header().Get("Location"))
	rec = b.postFormAs(t, anonymous, "/journeys/new", checkoutForm())
	require.Equal(t, http.StatusSeeOther, rec.Code)
	rec = b.send(t, anonymous, http.MethodGet, "/journeys", nil)
	require.Equal(t, 0, testID(page(t, rec), "signed-in").Length())
}
