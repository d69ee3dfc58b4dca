// Package auth is who may do what in Waymark: user accounts with roles,
// browser sessions, scoped API tokens for CI/CD, a trusted auth-proxy mode,
// login rate limiting, and the audit log of changes.
//
// Everything lives in Postgres, so several Waymark processes agree on who is
// signed in and who is locked out. No secret is stored as given: passwords
// are argon2id hashes, session and API tokens SHA-256 digests.
//
// The web layer mounts Auth.Middleware on every route, which puts the
// caller's Principal into the request context, and guards routes with
// RequireRole and RequireScope.
package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/fault"
)

// Errors. Each is wrapped with detail; test with errors.Is.
var (
	// ErrNotFound means no user or token has the id or email.
	ErrNotFound = fault.New(fault.ErrNotFound, "not found")
	// ErrConflict means the email is already taken.
	ErrConflict = fault.New(fault.ErrConflict, "conflict")
	// ErrInvalidCredentials is every failed password login: unknown email,
	// wrong password, disabled account. It never says which.
	ErrInvalidCredentials = errors.New("invalid email or password")
	// ErrUnauthorized means a bearer token or session is missing, unknown,
	// revoked or expired.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden means the principal is known but may not do this.
	ErrForbidden = fault.New(fault.ErrForbidden, "forbidden")
	// ErrRateLimited means too many failed logins; the error is a
	// *RateLimitError carrying when to retry.
	ErrRateLimited = errors.New("too many failed logins")
	// ErrLastAdmin means the change would leave no enabled admin.
	ErrLastAdmin = fault.New(fault.ErrConflict, "the last enabled admin cannot be demoted or disabled")
	// ErrInvalid is what every *ValidationError matches.
	ErrInvalid = fault.New(fault.ErrInvalid, "invalid")
)

// RateLimitError is a refused login. errors.Is(err, ErrRateLimited) holds.
type RateLimitError struct {
	// RetryAfter is how long until one more attempt is allowed, rounded up
	// to a whole second (at least one).
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s: try again in %s", ErrRateLimited, e.RetryAfter)
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// ValidationError is bad input, naming the field. errors.Is(err, ErrInvalid)
// holds.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Is makes errors.Is(err, ErrInvalid) and errors.Is(err, fault.ErrInvalid)
// true.
func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalid || target == fault.ErrInvalid
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Role is what a user may do. Each role includes the ones below it.
type Role string

// Roles, from least to most powerful.
const (
	// RoleViewer reads everything.
	RoleViewer Role = "viewer"
	// RoleEditor also changes journeys, SLOs, incidents and deploy markers.
	RoleEditor Role = "editor"
	// RoleAdmin also manages users, API tokens, notification channels and
	// settings.
	RoleAdmin Role = "admin"
)

// Roles lists every role from least to most powerful.
var Roles = []Role{RoleViewer, RoleEditor, RoleAdmin}

func (r Role) rank() int { return slices.Index(Roles, r) }

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() >= 0 }

// Includes reports whether r grants everything other grants.
func (r Role) Includes(other Role) bool {
	return r.Valid() && other.Valid() && r.rank() >= other.rank()
}

// ParseRole returns the role named s (case-insensitive).
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", invalid("role", "%q is not one of viewer, editor, admin", s)
	}
	return r, nil
}

// Scope is what an API token may do.
type Scope string

// Scopes of API tokens.
const (
	// ScopeRead reads every API resource, the gate included.
	ScopeRead Scope = "read"
	// ScopeGateRead reads deployment gates only, for a pipeline that needs
	// nothing else.
	ScopeGateRead Scope = "gate:read"
	// ScopeDeploymentsWrite records deploy markers.
	ScopeDeploymentsWrite Scope = "deployments:write"
	// ScopeJourneysWrite creates, changes and deletes journeys (journeys as
	// code from CI).
	ScopeJourneysWrite Scope = "journeys:write"
	// ScopeIncidentsWrite opens, edits and moves incidents and links (and so
	// snapshots) traces to them through the API, for alert automation that
	// opens an incident when an alert fires.
	ScopeIncidentsWrite Scope = "incidents:write"
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeRead, ScopeGateRead, ScopeDeploymentsWrite, ScopeJourneysWrite, ScopeIncidentsWrite}

// ScopeList names every scope, comma-separated, for messages that say what
// may be given.
func ScopeList() string {
	names := make([]string, len(Scopes))
	for i, s := range Scopes {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// Valid reports whether s is one of Scopes.
func (s Scope) Valid() bool { return slices.Contains(Scopes, s) }

// Covers reports whether holding s grants want. Read covers the gate; a
// write scope grants only itself, not reading.
func (s Scope) Covers(want Scope) bool {
	return s == want || (s == ScopeRead && want == ScopeGateRead)
}

// ParseScope returns the scope named s.
func ParseScope(s string) (Scope, error) {
	sc := Scope(strings.TrimSpace(s))
	if !sc.Valid() {
		return "", invalid("scope", "%q is not one of %s", s, ScopeList())
	}
	return sc, nil
}

// roleScopes are the API scopes a signed-in user holds, so that the UI's own
// calls to the JSON API need no token.
func roleScopes(r Role) []Scope {
	switch r {
	case RoleViewer:
		return []Scope{ScopeRead}
	case RoleEditor, RoleAdmin:
		return []Scope{ScopeRead, ScopeDeploymentsWrite, ScopeJourneysWrite, ScopeIncidentsWrite}
	}
	return nil
}

// RoleFor is the least role whose users hold scope, so that a person
// refused can be told which role to ask for rather than which scope.
func RoleFor(scope Scope) (Role, bool) {
	for _, r := range Roles {
		if slices.ContainsFunc(roleScopes(r), func(s Scope) bool { return s.Covers(scope) }) {
			return r, true
		}
	}
	return "", false
}

// Limit is how many failed logins a key may have within a window.
type Limit struct {
	Failures int
	Window   time.Duration
}

// ProxyAuth trusts an authenticating reverse proxy (oauth2-proxy, an
// identity-aware load balancer) that puts the signed-in user's email in a
// header.
type ProxyAuth struct {
	// Header carries the email, e.g. X-Forwarded-Email.
	Header string
	// TrustedCIDRs are the proxy's addresses. The header from any other
	// peer is refused with 403, since anyone can send it.
	TrustedCIDRs []netip.Prefix
	// DefaultRole is given to a user the proxy names for the first time.
	DefaultRole Role
}

// Options configure an Auth. The zero value of each field means its default.
type Options struct {
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Now is the clock; tests inject theirs.
	Now func() time.Time
	// IdleTimeout ends a session unused this long (default 12h).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after login however busy
	// (default 7 days).
	AbsoluteTimeout time.Duration
	// AccountLimit bounds failed logins per account (default 5 per 15
	// minutes), IPLimit per client address or IPv6 /64 (default 20 per 15
	// minutes).
	AccountLimit Limit
	IPLimit      Limit
	// LastUsedInterval throttles writes of a token's last-used time
	// (default one minute), and of a session's last-seen time.
	LastUsedInterval time.Duration
	// Password is the argon2id cost of new hashes (default
	// DefaultPasswordParams). Existing hashes keep the cost they were made
	// with.
	Password PasswordParams
	// BootstrapToken is the deprecated WAYMARK_API_TOKEN: accepted as a
	// bearer token with every scope, logged as deprecated once.
	BootstrapToken string
	// Proxy, when set, enables the auth-proxy mode.
	Proxy *ProxyAuth
	// LoginPath is where anonymous browsers are sent (default "/login").
	LoginPath string
	// Error writes the middleware's 401, 403 and 500 answers to browsers,
	// so that they look like the rest of the UI. API requests always get
	// JSON. Default: plain text.
	Error func(w http.ResponseWriter, r *http.Request, status int, msg string)
}

// Auth is the accounts, sessions and tokens of one database. It is safe for
// concurrent use.
type Auth struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	opts Options

	dummyOnce sync.Once
	dummyHash string

	deprecatedOnce sync.Once
}

// New returns an Auth on pool. It fails on options that cannot work, e.g. a
// proxy header with no trusted addresses.
func New(pool *pgxpool.Pool, opts Options) (*Auth, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 12 * time.Hour
	}
	if opts.AbsoluteTimeout <= 0 {
		opts.AbsoluteTimeout = 7 * 24 * time.Hour
	}
	if opts.AccountLimit.Failures <= 0 || opts.AccountLimit.Window <= 0 {
		opts.AccountLimit = Limit{Failures: 5, Window: 15 * time.Minute}
	}
	if opts.IPLimit.Failures <= 0 || opts.IPLimit.Window <= 0 {
		opts.IPLimit = Limit{Failures: 20, Window: 15 * time.Minute}
	}
	if opts.LastUsedInterval <= 0 {
		opts.LastUsedInterval = time.Minute
	}
	if opts.Password == (PasswordParams{}) {
		opts.Password = DefaultPasswordParams
	}
	if err := opts.Password.check(); err != nil {
		return nil, fmt.Errorf("password params: %w", err)
	}
	if opts.LoginPath == "" {
		opts.LoginPath = "/login"
	}
	if opts.Proxy != nil {
		// A copy, so that filling in the default role does not change the
		// caller's value.
		p := *opts.Proxy
		opts.Proxy = &p
		if p.Header == "" {
			return nil, errors.New("auth proxy: header must be set")
		}
		if len(p.TrustedCIDRs) == 0 {
			return nil, errors.New("auth proxy: trusted CIDRs must be set, or anyone could send the header")
		}
		if p.DefaultRole == "" {
			p.DefaultRole = RoleViewer
		}
		if !p.DefaultRole.Valid() {
			return nil, fmt.Errorf("auth proxy: default role %q is not one of viewer, editor, admin", p.DefaultRole)
		}
	}
	return &Auth{pool: pool, log: opts.Logger, opts: opts}, nil
}

func (a *Auth) now() time.Time { return a.opts.Now().UTC() }

// ParseCIDRs parses a comma-separated list of CIDRs or single addresses
// (e.g. "10.0.0.0/8, 127.0.0.1"), for configuring ProxyAuth.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", part)
			}
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR", part)
		}
		addr = addr.Unmap()
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out, nil
}
