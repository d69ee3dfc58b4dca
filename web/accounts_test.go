package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
)

// cheapPasswords keep argon2id honest but fast in tests that sign in many
// times; auth tests the real cost.
var cheapPasswords = auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// testPassword is the password of every account the tests make.
const testPassword = "correct horse battery"

// Accounts every test server has, one per role. Tests act as the editor
// unless they say otherwise.
const (
	viewerEmail = "viewer@example.com"
	editorEmail = "editor@example.com"
	adminEmail  = "admin@example.com"
)

// authClock is a settable clock for auth, so that rate-limit windows and
// session timeouts come out exact.
type authClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *authClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *authClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// accounts is the auth side of a test server.
type accounts struct {
	auth  *auth.Auth
	clock *authClock
	users map[string]auth.User
	// session is the editor's cookie, sent by bundle.do.
	session *http.Cookie
}

// withAccounts gives opts an Auth on pool with one user per role, signs
// the editor in, and writes the after-commit audit entries to pool. edit
// adjusts auth's options.
func withAccounts(t testing.TB, pool *pgxpool.Pool, opts *Options, edit func(*auth.Options)) *accounts {
	t.Helper()
	clock := &authClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	ao := auth.Options{Password: cheapPasswords, Now: clock.Now, Logger: opts.Logger}
	if edit != nil {
		edit(&ao)
	}
	a, err := auth.New(pool, ao)
	require.NoError(t, err)
	acc := &accounts{auth: a, clock: clock, users: map[string]auth.User{}}
	for email, role := range map[string]auth.Role{viewerEmail: auth.RoleViewer, editorEmail: auth.RoleEditor, adminEmail: auth.RoleAdmin} {
		u, err := a.CreateUser(context.Background(), auth.System, auth.NewUser{Email: email, Role: role, Password: testPassword})
		require.NoError(t, err)
		acc.users[email] = u
	}
	acc.session = acc.login(t, editorEmail)
	opts.Auth = a
	opts.AuditDB = pool
	return acc
}

// login starts a session for email, as the login page does, and returns
// its cookie.
func (a *accounts) login(t testing.TB, email string) *http.Cookie {
	t.Helper()
	s, err := a.auth.Login(context.Background(), auth.LoginRequest{Email: email, Password: testPassword, RemoteAddr: "192.0.2.1:1234"})
	require.NoError(t, err)
	return auth.SessionCookie(s.Token, false)
}

// token creates an API token with scopes and returns its secret.
func (a *accounts) token(t testing.TB, name string, scopes ...auth.Scope) string {
	t.Helper()
	secret, _, err := a.auth.CreateToken(context.Background(), auth.System, name, scopes)
	require.NoError(t, err)
	return secret
}

// as is who sends a request: a session cookie, an API token, or nobody.
type as struct {
	cookie *http.Cookie
	token  string
}

var anonymous = as{}

func withCookie(c *http.Cookie) as { return as{cookie: c} }
func withToken(secret string) as   { return as{token: secret} }

// send sends one request as who; headers are name, value pairs.
func (b *bundle) send(t testing.TB, who as, method, target string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if who.cookie != nil {
		req.AddCookie(who.cookie)
	}
	if who.token != "" {
		req.Header.Set("Authorization", "Bearer "+who.token)
	}
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	return rec
}

// postFormAs submits a form from Waymark's own pages as who.
func (b *bundle) postFormAs(t testing.TB, who as, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return b.send(t, who, http.MethodPost, target, strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
}

// sessionCookie is the session cookie a response sets.
func sessionCookie(t testing.TB, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == auth.SessionCookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", auth.SessionCookieName, rec.Header()["Set-Cookie"])
	return nil
}
