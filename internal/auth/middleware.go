package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
)

// Middleware resolves who is calling and puts the Principal into the
// request context (PrincipalFrom), trying in order: the auth-proxy header
// (when configured), an "Authorization: Bearer" API token, the session
// cookie. A request with none goes on anonymous; guard routes with
// RequireRole and RequireScope.
//
// It answers by itself only when the caller presented credentials that
// fail: 403 for the proxy header from an untrusted address, 401 for a bad
// bearer token. A stale session cookie is simply anonymous, so the login
// page keeps working.
//
// The auth-proxy check reads the connection's peer address, so mount this
// before anything that rewrites RemoteAddr from X-Forwarded-For (such as
// chi's RealIP): that header is as forgeable as the proxy's own.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), responderKey{}, a.responder())
		r = r.WithContext(ctx)
		p, found, err := a.resolve(r)
		if err != nil {
			var d *denial
			if errors.As(err, &d) {
				a.responder().deny(w, r, d.status, d.msg)
				return
			}
			a.log.LogAttrs(ctx, slog.LevelError, "authenticate request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
			a.responder().deny(w, r, http.StatusInternalServerError, "internal server error")
			return
		}
		if found {
			if addr, ok := clientAddr(r.RemoteAddr); ok {
				p.RemoteAddr = addr.String()
			}
			r = r.WithContext(WithPrincipal(ctx, p))
		}
		next.ServeHTTP(w, r)
	})
}

// denial is a refusal the middleware answers with.
type denial struct {
	status int
	msg    string
}

func (d *denial) Error() string { return d.msg }

func (a *Auth) resolve(r *http.Request) (Principal, bool, error) {
	ctx := r.Context()
	if px := a.opts.Proxy; px != nil {
		if vals := r.Header.Values(px.Header); len(vals) > 0 {
			addr, ok := clientAddr(r.RemoteAddr)
			if !ok || !a.trusted(addr) {
				a.log.WarnContext(ctx, "auth-proxy header from an untrusted address", "header", px.Header, "remote_addr", r.RemoteAddr)
				return Principal{}, false, &denial{http.StatusForbidden,
					fmt.Sprintf("the %s header is accepted only from the trusted auth proxy", px.Header)}
			}
			if len(vals) > 1 {
				return Principal{}, false, &denial{http.StatusForbidden, fmt.Sprintf("the %s header appears more than once", px.Header)}
			}
			if strings.TrimSpace(vals[0]) != "" {
				p, err := a.proxyUser(ctx, vals[0])
				return p, err == nil, err
			}
		}
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, _ := strings.Cut(strings.TrimSpace(h), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return Principal{}, false, &denial{http.StatusUnauthorized, "unsupported Authorization scheme: send \"Authorization: Bearer <token>\""}
		}
		p, err := a.Authenticate(ctx, cred)
		if errors.Is(err, ErrUnauthorized) {
			return Principal{}, false, &denial{http.StatusUnauthorized, "invalid or revoked API token"}
		}
		return p, err == nil, err
	}
	if c, err := r.Cookie(SessionCookieName); err == nil && c.Value != "" {
		p, err := a.Session(ctx, c.Value)
		if errors.Is(err, ErrUnauthorized) {
			return Principal{}, false, nil
		}
		return p, err == nil, err
	}
	return Principal{}, false, nil
}

func (a *Auth) trusted(addr netip.Addr) bool {
	for _, p := range a.opts.Proxy.TrustedCIDRs {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// proxyUser returns the user the auth proxy names, creating it with the
// default role on first sight.
func (a *Auth) proxyUser(ctx context.Context, raw string) (Principal, error) {
	email, err := NormalizeEmail(raw)
	if err != nil {
		msg := err.Error()
		var ve *ValidationError
		if errors.As(err, &ve) {
			msg = ve.Message
		}
		return Principal{}, &denial{http.StatusForbidden, fmt.Sprintf("the auth proxy sent an invalid %s: %s", a.opts.Proxy.Header, msg)}
	}
	u, err := a.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		u, err = a.createProxyUser(ctx, email)
		if errors.Is(err, ErrConflict) {
			// Another request created it first.
			u, err = a.UserByEmail(ctx, email)
		}
	}
	if err != nil {
		return Principal{}, err
	}
	if u.Disabled {
		return Principal{}, &denial{http.StatusForbidden, "this account is disabled"}
	}
	return Principal{Kind: ActorUser, Via: ViaProxy, UserID: u.ID, Email: u.Email, Name: u.Email, Role: u.Role, Scopes: roleScopes(u.Role)}, nil
}

func (a *Auth) createProxyUser(ctx context.Context, email string) (User, error) {
	var u User
	err := a.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = a.insertUser(ctx, tx, email, a.opts.Proxy.DefaultRole, nil)
		if err != nil {
			return err
		}
		e := Principal{Kind: ActorSystem, Name: "auth-proxy"}.Entry("user.create", "user", strconv.FormatInt(u.ID, 10))
		e.At, e.After = a.now(), u.auditJSON()
		return Record(ctx, tx, e)
	})
	if err != nil {
		return User{}, fmt.Errorf("create user %s from auth proxy: %w", email, err)
	}
	a.log.InfoContext(ctx, "created user from auth proxy", "email", email, "role", u.Role)
	return u, nil
}

// RequireRole returns a middleware that lets through only users holding
// role (or a stronger one). Anonymous requests get 401: browsers are sent to
// the login page, API clients get JSON. Others get 403.
func RequireRole(role Role) func(http.Handler) http.Handler {
	return guard(func(p Principal) string { return p.DenyRole(role) })
}

// RequireScope returns a middleware that lets through only principals
// holding scope: tokens granted it, users whose role implies it. Anonymous
// requests get 401, others 403.
func RequireScope(scope Scope) func(http.Handler) http.Handler {
	return guard(func(p Principal) string { return p.DenyScope(scope) })
}

// guard builds a middleware from check, which returns why p is refused, or "".
func guard(check func(Principal) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			res := responderFrom(r.Context())
			p, ok := PrincipalFrom(r.Context())
			if !ok {
				res.deny(w, r, http.StatusUnauthorized, "sign in or send an API token")
				return
			}
			if msg := check(p); msg != "" {
				res.deny(w, r, http.StatusForbidden, msg)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type responderKey struct{}

// responder writes refusals the same way from Middleware and from the
// guards, which find it in the context.
type responder struct {
	loginPath string
	errFn     func(w http.ResponseWriter, r *http.Request, status int, msg string)
}

func (a *Auth) responder() responder {
	return responder{loginPath: a.opts.LoginPath, errFn: a.opts.Error}
}

func responderFrom(ctx context.Context) responder {
	if r, ok := ctx.Value(responderKey{}).(responder); ok {
		return r
	}
	return responder{loginPath: "/login"}
}

func (res responder) deny(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if IsAPIRequest(r) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="waymark"`)
		}
		WriteJSONError(w, status, msg)
		return
	}
	if status == http.StatusUnauthorized {
		login := res.loginPath
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if next := SafeNext(r.URL.RequestURI()); next != "/" {
				login += "?next=" + url.QueryEscape(next)
			}
		}
		if r.Header.Get("HX-Request") == "true" {
			// htmx follows a 303 inside the fragment it swaps; this
			// makes it load the login page as a whole page instead.
			w.Header().Set("HX-Redirect", login)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, login, http.StatusSeeOther)
		return
	}
	if res.errFn != nil {
		res.errFn(w, r, status, msg)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, msg)
}

// IsAPIRequest reports whether r wants a JSON answer rather than a page: a
// path under /api/, a bearer token, or an Accept header asking for JSON and
// not HTML.
func IsAPIRequest(r *http.Request) bool {
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") || r.Header.Get("Authorization") != "" {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// WriteJSONError writes the API's error body, {"error":{"message":msg}}.
func WriteJSONError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(map[string]map[string]string{"error": {"message": msg}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// SafeNext returns next when it is a path on this site, and "/" otherwise,
// so that a login's ?next= cannot send anyone to another site.
func SafeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.IndexFunc(next, func(r rune) bool { return unicode.IsControl(r) || r == '\\' }) >= 0 {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}
