package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// SessionCookieName is the cookie that carries a browser's session token.
const SessionCookieName = "waymark_session"

// sessionTokenBytes is the entropy of a session token.
const sessionTokenBytes = 32

// SessionCookie returns the cookie that carries a session token: HttpOnly
// (scripts never see it), SameSite=Lax (other sites cannot post with it),
// Path=/, and Secure unless secure is false, which only a plain-HTTP
// localhost setup needs. It has no expiry: it ends with the browser, and the
// server ends the session itself after the idle and absolute timeouts.
func SessionCookie(token string, secure bool) *http.Cookie {
	return &http.Cookie{
		Name:     SessionCookieName,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// ClearSessionCookie returns the cookie that makes a browser forget its
// session, for logout.
func ClearSessionCookie(secure bool) *http.Cookie {
	c := SessionCookie("", secure)
	c.MaxAge = -1
	return c
}

// LoginRequest is one password login.
type LoginRequest struct {
	Email    string
	Password string
	// RemoteAddr is the client's address (host:port or host), for the
	// per-address rate limit.
	RemoteAddr string
	UserAgent  string
	// PreviousToken is the session cookie the browser already had, if
	// any; it is ended, so a session fixed before login is worthless.
	PreviousToken string
}

// Session is a new browser session.
type Session struct {
	// Token goes into the cookie; it is not stored and cannot be shown
	// again.
	Token     string
	User      User
	ExpiresAt time.Time
}

// Login checks an email and password and starts a new session.
//
// Every failure is ErrInvalidCredentials, whether the email is unknown, the
// password wrong or the account disabled, and takes the same time. Too many
// failures for the account or from the client's address give a
// *RateLimitError (ErrRateLimited) before the password is even checked;
// those limits apply equally to unknown emails, so they tell nothing either.
func (a *Auth) Login(ctx context.Context, req LoginRequest) (Session, error) {
	keys := attemptKeys(req.Email, req.RemoteAddr)
	ids, err := a.reserveAttempt(ctx, keys)
	if err != nil {
		return Session{}, err
	}

	u, hash, err := a.credentials(ctx, req.Email)
	if err != nil {
		return Session{}, err
	}
	ok := false
	if hash != "" && len(req.Password) <= 4*MaxPasswordLength {
		ok, err = VerifyPassword(req.Password, hash)
		if err != nil {
			a.log.ErrorContext(ctx, "stored password hash is unreadable", "user_id", u.ID, "error", err)
			ok = false
		}
	} else {
		// Spend the time a real check takes, so that response times do
		// not tell which emails have accounts.
		_, _ = VerifyPassword(req.Password, a.dummy())
	}
	if !ok || u.Disabled {
		a.log.InfoContext(ctx, "login failed", "email", keys.email, "remote_addr", keys.ip)
		return Session{}, ErrInvalidCredentials
	}

	token, tokenHash, err := newSessionToken()
	if err != nil {
		return Session{}, err
	}
	now := a.now()
	s := Session{Token: token, ExpiresAt: now.Add(a.opts.AbsoluteTimeout)}
	err = a.inTx(ctx, func(tx pgx.Tx) error {
		// A success clears the account's failures, but only this attempt of
		// the address's: one good password must not reset a spray.
		if _, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE key = $1 OR id = $2`, keys.account, ids[1]); err != nil {
			return err
		}
		if h, ok := hashSessionToken(req.PreviousToken); ok {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, remote_addr, user_agent)
			VALUES ($1, $2, $3, $3, $4, $5, $6)`,
			tokenHash, u.ID, now, s.ExpiresAt, keys.ip, truncate(req.UserAgent, 512)); err != nil {
			return err
		}
		set := `last_login_at = $2`
		args := []any{u.ID, now}
		if NeedsRehash(hash, a.opts.Password) {
			// The cost was raised since this hash was made; upgrade it
			// now that the password is at hand.
			if h, err := HashPassword(req.Password, a.opts.Password); err == nil {
				set += `, password_hash = $3`
				args = append(args, h)
			}
		}
		var err error
		s.User, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET `+set+` WHERE id = $1 RETURNING `+userColumns, args...))
		if err != nil {
			return err
		}
		p := Principal{Kind: ActorUser, Name: u.Email, RemoteAddr: keys.ip}
		e := p.Entry("user.login", "user", strconv.FormatInt(u.ID, 10))
		e.At = now
		return Record(ctx, tx, e)
	})
	if err != nil {
		return Session{}, fmt.Errorf("start session: %w", err)
	}
	return s, nil
}

// credentials returns the user with email and their password hash; an
// unknown email is the zero User and "".
func (a *Auth) credentials(ctx context.Context, email string) (User, string, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, "", nil
	}
	var hash *string
	var u User
	row := a.pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE email = $1`, e)
	var role string
	var last *time.Time
	err = row.Scan(&u.ID, &u.Email, &role, &u.HasPassword, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &last, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, "", nil
	}
	if err != nil {
		return User{}, "", fmt.Errorf("look up user: %w", err)
	}
	u.Role = Role(role)
	if hash == nil {
		return u, "", nil
	}
	return u, *hash, nil
}

// dummy is a hash of nothing anyone types, made with the current cost.
func (a *Auth) dummy() string {
	a.dummyOnce.Do(func() {
		pw, err := randomString(32)
		if err == nil {
			a.dummyHash, err = HashPassword(pw, a.opts.Password)
		}
		if err != nil {
			a.dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$c29tZWhhc2hzb21laGFzaHNvbWVoYXNoc29tZWhhc2g"
		}
	})
	return a.dummyHash
}

// Session returns the user whose session token is token. An unknown,
// expired or ended session, or a disabled user, is ErrUnauthorized.
//
// Use refreshes the idle timeout, but the refresh is written at most once
// per LastUsedInterval, so a session may end up to that much before a full
// IdleTimeout after its last use.
func (a *Auth) Session(ctx context.Context, token string) (Principal, error) {
	h, ok := hashSessionToken(token)
	if !ok {
		return Principal{}, ErrUnauthorized
	}
	var (
		p                  = Principal{Kind: ActorUser, Via: ViaSession}
		role               string
		disabled           bool
		lastSeen, expireAt time.Time
	)
	err := a.pool.QueryRow(ctx, `
		SELECT u.id, u.email, u.role, u.disabled_at IS NOT NULL, s.last_seen_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1`, h).Scan(&p.UserID, &p.Email, &role, &disabled, &lastSeen, &expireAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrUnauthorized
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up session: %w", err)
	}
	now := a.now()
	if disabled || !now.Before(expireAt) || !now.Before(lastSeen.Add(a.opts.IdleTimeout)) {
		if _, err := a.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h); err != nil {
			return Principal{}, fmt.Errorf("end expired session: %w", err)
		}
		return Principal{}, ErrUnauthorized
	}
	if now.Sub(lastSeen) >= a.opts.LastUsedInterval {
		if _, err := a.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2`, h, now); err != nil {
			return Principal{}, fmt.Errorf("refresh session: %w", err)
		}
	}
	p.Role = Role(role)
	p.Name = p.Email
	p.Scopes = roleScopes(p.Role)
	return p, nil
}

// Logout ends the session of token. An unknown token is no error: the
// browser is signed out either way.
func (a *Auth) Logout(ctx context.Context, token string) error {
	h, ok := hashSessionToken(token)
	if !ok {
		return nil
	}
	if _, err := a.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// LogoutEverywhere ends every session of a user, returning how many.
func (a *Auth) LogoutEverywhere(ctx context.Context, userID int64) (int64, error) {
	tag, err := a.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	return tag.RowsAffected(), nil
}

// Prune deletes expired sessions and login attempts older than the rate
// limit windows, returning how many of each. Run it periodically; nothing
// depends on it for correctness, only for the tables' size.
func (a *Auth) Prune(ctx context.Context) (sessions, attempts int64, err error) {
	now := a.now()
	tag, err := a.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2`, now, now.Add(-a.opts.IdleTimeout))
	if err != nil {
		return 0, 0, fmt.Errorf("prune sessions: %w", err)
	}
	sessions = tag.RowsAffected()
	window := max(a.opts.AccountLimit.Window, a.opts.IPLimit.Window)
	tag, err = a.pool.Exec(ctx, `DELETE FROM login_attempts WHERE at <= $1`, now.Add(-window))
	if err != nil {
		return sessions, 0, fmt.Errorf("prune login attempts: %w", err)
	}
	return sessions, tag.RowsAffected(), nil
}

func newSessionToken() (token string, hash []byte, err error) {
	b := make([]byte, sessionTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("make session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(token))
	return token, sum[:], nil
}

// hashSessionToken returns the stored form of a session token, and false
// for a string that cannot be one (so it costs no query).
func hashSessionToken(token string) ([]byte, bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(sessionTokenBytes) {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(token))
	return sum[:], true
}

// truncate returns at most n bytes of s as valid UTF-8 without NULs, which
// Postgres text refuses.
func truncate(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
