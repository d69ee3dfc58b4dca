package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "pat@example.com", RoleEditor)
	off := b.user(t, "off@example.com", RoleEditor)
	_, err := b.auth.SetDisabled(b.ctx, System, off.ID, true)
	require.NoError(t, err)
	_, err = b.auth.CreateUser(b.ctx, System, NewUser{Email: "sso@example.com", Role: RoleViewer})
	require.NoError(t, err)

	tests := []struct{ name, email, password string }{
		{"wrong password", "pat@example.com", "correct horse battery!"},
		{"unknown email", "nobody@example.com", testPassword},
		{"disabled", "off@example.com", testPassword},
		{"no password set", "sso@example.com", ""},
		{"not an email", "pat", testPassword},
		{"empty", "", ""},
		{"huge password", "pat@example.com", strings.Repeat("x", 1<<20)},
	}
	for _, tt := range tests {
		_, err := b.auth.Login(b.ctx, LoginRequest{Email: tt.email, Password: tt.password, RemoteAddr: fmt.Sprintf("198.51.100.%d:1", len(tt.name))})
		require.Equal(t, ErrInvalidCredentials, err, tt.name)
		require.EqualError(t, err, "invalid email or password")
	}
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM sessions`))

	s, err := b.auth.Login(b.ctx, LoginRequest{Email: " PAT@example.com", Password: testPassword, RemoteAddr: "192.0.2.1:99", UserAgent: "curl/8 \xff"})
	require.NoError(t, err)
	require.Equal(t, t0.Add(7*24*time.Hour), s.ExpiresAt)
	require.Equal(t, "pat@example.com", s.User.Email)
	require.Equal(t, t0, s.User.LastLoginAt)
	require.Regexp(t, `^[A-Za-z0-9_-]{43}$`, s.Token)

	var addr, ua string
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT remote_addr, user_agent FROM sessions`).Scan(&addr, &ua))
	require.Equal(t, "192.0.2.1", addr)
	require.Equal(t, "curl/8 ", ua)
	// The token itself is nowhere in the table.
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM sessions s WHERE strpos(s::text, $1) > 0 OR strpos(encode(token_hash, 'escape'), $1) > 0`, s.Token))
}

func TestLoginRateLimitPerAccount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "pat@example.com", RoleEditor)
	for _, email := range []string{"pat@example.com", "nobody@example.com"} {
		t.Run(email, func(t *testing.T) {
			// Not parallel: the subtests share the clock.
			start := b.clock.Now()
			try := func(password string, addr int) error {
				_, err := b.auth.Login(b.ctx, LoginRequest{Email: email, Password: password, RemoteAddr: fmt.Sprintf("203.0.113.%d:1", addr)})
				return err
			}
			// Five failures a minute apart, each from its own address, so
			// that only the account limit applies.
			for i := range 5 {
				require.ErrorIs(t, try("wrong password!", i), ErrInvalidCredentials)
				b.clock.Advance(time.Minute)
			}
			// The sixth is refused before the password is looked at, even
			// the right one, and an unknown email is refused the same way.
			err := try(testPassword, 10)
			var rl *RateLimitError
			require.ErrorAs(t, err, &rl)
			require.ErrorIs(t, err, ErrRateLimited)
			require.Equal(t, 10*time.Minute, rl.RetryAfter, "the first failure leaves the window at start+15m")
			require.EqualError(t, err, "too many failed logins: try again in 10m0s")

			b.clock.Advance(10*time.Minute - time.Second)
			require.ErrorAs(t, try(testPassword, 11), &rl)
			require.Equal(t, time.Second, rl.RetryAfter)

			// At start+15m the first failure has left the window.
			b.clock.Advance(time.Second)
			require.Equal(t, start.Add(15*time.Minute), b.clock.Now())
			require.ErrorIs(t, try("wrong again!", 12), ErrInvalidCredentials)
			require.ErrorAs(t, try(testPassword, 13), &rl)
			require.Equal(t, time.Minute, rl.RetryAfter, "the second failure, at start+1m, leaves next")
			b.clock.Advance(time.Hour)
		})
	}
	// Rate limiting a nonexistent account created nothing.
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM users`))
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "pat@example.com", RoleEditor)
	// A password spray: 20 accounts, one guess each, from one IPv6 /64.
	for i := range 20 {
		addr := fmt.Sprintf("[2001:db8:0:7::%x]:443", i+1)
		_, err := b.auth.Login(b.ctx, LoginRequest{Email: fmt.Sprintf("user%d@example.com", i), Password: "Summer2026!!", RemoteAddr: addr})
		require.ErrorIs(t, err, ErrInvalidCredentials)
		b.clock.Advance(10 * time.Second)
	}
	_, err := b.auth.Login(b.ctx, LoginRequest{Email: "pat@example.com", Password: testPassword, RemoteAddr: "[2001:db8:0:7::ffff]:1"})
	var rl *RateLimitError
	require.ErrorAs(t, err, &rl)
	// The first guess was at t0; it leaves the window at t0+15m; now is
	// t0+200s.
	require.Equal(t, 15*time.Minute-200*time.Second, rl.RetryAfter)

	// Another network is not affected.
	b.login(t, "pat@example.com")
}

func TestLoginSuccessClearsAccountFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "pat@example.com", RoleEditor)
	fail := func() error {
		_, err := b.auth.Login(b.ctx, LoginRequest{Email: "pat@example.com", Password: "not the one!", RemoteAddr: "192.0.2.5:1"})
		return err
	}
	for range 4 {
		require.ErrorIs(t, fail(), ErrInvalidCredentials)
	}
	b.login(t, "pat@example.com")
	// The account starts afresh; the address keeps its four failures.
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM login_attempts WHERE key = 'account:pat@example.com'`))
	require.Equal(t, 4, b.count(t, `SELECT count(*) FROM login_attempts WHERE key = 'ip:192.0.2.5'`))
	for range 5 {
		require.ErrorIs(t, fail(), ErrInvalidCredentials)
	}
	require.ErrorIs(t, fail(), ErrRateLimited)
}

// TestLoginRateLimitConcurrent fires a burst of parallel guesses: in-flight
// attempts count, so exactly the limit get their password checked.
func TestLoginRateLimitConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "pat@example.com", RoleEditor)
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = b.auth.Login(b.ctx, LoginRequest{Email: "pat@example.com", Password: fmt.Sprintf("guess number %d", i), RemoteAddr: fmt.Sprintf("192.0.2.%d:1", i)})
		})
	}
	wg.Wait()
	var invalid, limited int
	for _, err := range errs {
		switch {
		case errors.Is(err, ErrInvalidCredentials):
			invalid++
		case errors.Is(err, ErrRateLimited):
			limited++
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	require.Equal(t, 5, invalid)
	require.Equal(t, n-5, limited)
}

func TestSessionRotation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "pat@example.com", RoleEditor)
	first := b.login(t, "pat@example.com")
	other := b.login(t, "pat@example.com") // another browser

	p, err := b.auth.Session(b.ctx, first.Token)
	require.NoError(t, err)
	require.Equal(t, Principal{Kind: ActorUser, Via: ViaSession, UserID: u.ID, Email: "pat@example.com", Name: "pat@example.com",
		Role: RoleEditor, Scopes: []Scope{ScopeRead, ScopeDeploymentsWrite, ScopeJourneysWrite, ScopeIncidentsWrite}}, p)

	// Logging in again from the first browser replaces its session.
	second, err := b.auth.Login(b.ctx, LoginRequest{Email: "pat@example.com", Password: testPassword, PreviousToken: first.Token})
	require.NoError(t, err)
	require.NotEqual(t, first.Token, second.Token)
	_, err = b.auth.Session(b.ctx, first.Token)
	require.ErrorIs(t, err, ErrUnauthorized)
	_, err = b.auth.Session(b.ctx, second.Token)
	require.NoError(t, err)
	_, err = b.auth.Session(b.ctx, other.Token)
	require.NoError(t, err, "other browsers keep their sessions")

	// A session a stranger planted before login is dropped the same way.
	planted := b.login(t, "pat@example.com")
	_, err = b.auth.Login(b.ctx, LoginRequest{Email: "pat@example.com", Password: testPassword, PreviousToken: planted.Token})
	require.NoError(t, err)
	_, err = b.auth.Session(b.ctx, planted.Token)
	require.ErrorIs(t, err, ErrUnauthorized)

	for _, junk := range []string{"", "x", strings.Repeat("A", 43), strings.Repeat("*", 43), first.Token + "A"} {
		_, err := b.auth.Session(b.ctx, junk)
		require.Equal(t, ErrUnauthorized, err, junk)
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "pat@example.com", RoleViewer)

	// Unused for exactly the idle timeout: over.
	s := b.login(t, "pat@example.com")
	b.clock.Advance(12 * time.Hour)
	_, err := b.auth.Session(b.ctx, s.Token)
	require.ErrorIs(t, err, ErrUnauthorized)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM sessions`), "an expired session is deleted when seen")

	// Use refreshes it.
	s = b.login(t, "pat@example.com")
	b.clock.Advance(12*time.Hour - time.Second)
	_, err = b.auth.Session(b.ctx, s.Token)
	require.NoError(t, err)
	b.clock.Advance(12*time.Hour - time.Second)
	_, err = b.auth.Session(b.ctx, s.Token)
	require.NoError(t, err)

	// The refresh is written at most once a minute: a use 30s after the
	// last refresh does not move the deadline.
	b.clock.Advance(30 * time.Second)
	_, err = b.auth.Session(b.ctx, s.Token)
	require.NoError(t, err)
	b.clock.Advance(12*time.Hour - 30*time.Second)
	_, err = b.auth.Session(b.ctx, s.Token)
	require.ErrorIs(t, err, ErrUnauthorized)
}

func TestSessionAbsoluteExpiry(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.AbsoluteTimeout = 48 * time.Hour })
	b.user(t, "pat@example.com", RoleViewer)
	s := b.login(t, "pat@example.com")
	// Busy every hour, yet over at the absolute timeout.
	for range 47 {
		b.clock.Advance(time.Hour)
		_, err := b.auth.Session(b.ctx, s.Token)
		require.NoError(t, err)
	}
	b.clock.Advance(time.Hour - time.Second)
	_, err := b.auth.Session(b.ctx, s.Token)
	require.NoError(t, err)
	b.clock.Advance(time.Second)
	_, err = b.auth.Session(b.ctx, s.Token)
	require.ErrorIs(t, err, ErrUnauthorized)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pat := b.user(t, "pat@example.com", RoleViewer)
	b.user(t, "sam@example.com", RoleViewer)
	s1 := b.login(t, "pat@example.com")
	s2 := b.login(t, "pat@example.com")
	s3 := b.login(t, "pat@example.com")
	sam := b.login(t, "sam@example.com")

	require.NoError(t, b.auth.Logout(b.ctx, s1.Token))
	_, err := b.auth.Session(b.ctx, s1.Token)
	require.ErrorIs(t, err, ErrUnauthorized)
	_, err = b.auth.Session(b.ctx, s2.Token)
	require.NoError(t, err)
	require.NoError(t, b.auth.Logout(b.ctx, s1.Token), "logging out twice is fine")
	require.NoError(t, b.auth.Logout(b.ctx, "junk"))

	n, err := b.auth.LogoutEverywhere(b.ctx, pat.ID)
	require.NoError(t, err)
	require.Equal(t, int64(2), n)
	for _, s := range []Session{s2, s3} {
		_, err = b.auth.Session(b.ctx, s.Token)
		require.ErrorIs(t, err, ErrUnauthorized)
	}
	_, err = b.auth.Session(b.ctx, sam.Token)
	require.NoError(t, err, "other users are not signed out")
}

func TestPrune(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "pat@example.com", RoleViewer)
	b.login(t, "pat@example.com")
	_, err := b.auth.Login(b.ctx, LoginRequest{Email: "pat@example.com", Password: "wrong password"})
	require.ErrorIs(t, err, ErrInvalidCredentials)
	b.clock.Advance(15 * time.Minute)
	kept := b.login(t, "pat@example.com")

	b.clock.Advance(12*time.Hour - 15*time.Minute)
	sessions, attempts, err := b.auth.Prune(b.ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), sessions)
	require.Equal(t, int64(1), attempts, "the address's failure; the account's went with the login")
	_, err = b.auth.Session(b.ctx, kept.Token)
	require.NoError(t, err)
}

func TestRehashOnLogin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "pat@example.com", RoleViewer)
	stronger, err := New(b.pool, Options{Now: b.clock.Now, Password: PasswordParams{Memory: 128, Time: 2, Threads: 1}})
	require.NoError(t, err)
	_, err = stronger.Login(b.ctx, LoginRequest{Email: "pat@example.com", Password: testPassword})
	require.NoError(t, err)
	var hash string
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT password_hash FROM users`).Scan(&hash))
	require.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=128,t=2,p=1$"), hash)
	b.login(t, "pat@example.com")
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    *http.Cookie
		want string
	}{
		{SessionCookie("abc", true), "waymark_session=abc; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{SessionCookie("abc", false), "waymark_session=abc; Path=/; HttpOnly; SameSite=Lax"},
		{ClearSessionCookie(true), "waymark_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.c.String())
	}
	require.Equal(t, &http.Cookie{Name: "waymark_session", Value: "abc", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
		SessionCookie("abc", true))
}
