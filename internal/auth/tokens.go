package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// API tokens look like wmk_ followed by 43 letters and digits (256 bits).
// The prefix lets secret scanners recognise a leaked token.
const (
	TokenPrefix     = "wmk_"
	tokenRandomLen  = 43
	tokenLen        = len(TokenPrefix) + tokenRandomLen
	tokenShownLen   = len(TokenPrefix) + 8
	maxTokenNameLen = 100
)

// Token is an API token as listed: never its secret.
type Token struct {
	ID   int64
	Name string
	// Prefix is the token's first characters, e.g. "wmk_3kTq9ZbA", to
	// tell tokens apart.
	Prefix    string
	Scopes    []Scope
	CreatedBy string
	CreatedAt time.Time
	// LastUsedAt is zero until first use, and lags real use by up to
	// Options.LastUsedInterval.
	LastUsedAt time.Time
	// RevokedAt is zero while the token works.
	RevokedAt time.Time
}

// Revoked reports whether the token has been revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

func (t Token) auditJSON() json.RawMessage {
	b, _ := json.Marshal(struct {
		ID      int64   `json:"id"`
		Name    string  `json:"name"`
		Prefix  string  `json:"prefix"`
		Scopes  []Scope `json:"scopes"`
		Revoked bool    `json:"revoked"`
	}{t.ID, t.Name, t.Prefix, t.Scopes, t.Revoked()})
	return b
}

const tokenColumns = `id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at`

func scanToken(row pgx.Row) (Token, error) {
	var t Token
	var scopes []string
	var used, revoked *time.Time
	if err := row.Scan(&t.ID, &t.Name, &t.Prefix, &scopes, &t.CreatedBy, &t.CreatedAt, &used, &revoked); err != nil {
		return Token{}, err
	}
	for _, s := range scopes {
		t.Scopes = append(t.Scopes, Scope(s))
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if used != nil {
		t.LastUsedAt = used.UTC()
	}
	if revoked != nil {
		t.RevokedAt = revoked.UTC()
	}
	return t, nil
}

// normalizeScopes checks scopes and returns them without duplicates, in the
// order of Scopes.
func normalizeScopes(scopes []Scope) ([]string, error) {
	if len(scopes) == 0 {
		return nil, invalid("scopes", "give at least one of %s", ScopeList())
	}
	for _, s := range scopes {
		if !s.Valid() {
			return nil, invalid("scopes", "%q is not one of %s", s, ScopeList())
		}
	}
	var out []string
	for _, s := range Scopes {
		if slices.Contains(scopes, s) {
			out = append(out, string(s))
		}
	}
	return out, nil
}

func checkTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalid("name", "must be set")
	case !utf8.ValidString(name):
		return "", invalid("name", "must be valid UTF-8")
	case utf8.RuneCountInString(name) > maxTokenNameLen:
		return "", invalid("name", "must be at most %d characters", maxTokenNameLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", invalid("name", "must not contain control characters")
	}
	return name, nil
}

// CreateToken makes an API token with scopes. Only an admin (or the CLI)
// may. The returned secret is shown once: only its SHA-256 is stored, which
// suffices for 256 random bits, where a slow hash would only slow every
// API call.
func (a *Auth) CreateToken(ctx context.Context, actor Principal, name string, scopes []Scope) (secret string, t Token, err error) {
	if !actor.HasRole(RoleAdmin) {
		return "", Token{}, fmt.Errorf("create token: %w", ErrForbidden)
	}
	name, err = checkTokenName(name)
	if err != nil {
		return "", Token{}, err
	}
	sc, err := normalizeScopes(scopes)
	if err != nil {
		return "", Token{}, err
	}
	random, err := randomString(tokenRandomLen)
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	secret = TokenPrefix + random
	sum := sha256.Sum256([]byte(secret))
	err = a.inTx(ctx, func(tx pgx.Tx) error {
		now := a.now()
		var err error
		t, err = scanToken(tx.QueryRow(ctx, `
			INSERT INTO api_tokens (name, token_hash, prefix, scopes, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING `+tokenColumns, name, sum[:], secret[:tokenShownLen], sc, actor.Name, now))
		if err != nil {
			return err
		}
		e := actor.Entry("api_token.create", "api_token", strconv.FormatInt(t.ID, 10))
		e.At, e.After = now, t.auditJSON()
		return Record(ctx, tx, e)
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token %q: %w", name, err)
	}
	return secret, t, nil
}

// RevokeToken revokes a token; the next request with it is refused.
// Revoking a revoked token changes nothing. Only an admin may.
func (a *Auth) RevokeToken(ctx context.Context, actor Principal, id int64) (Token, error) {
	if !actor.HasRole(RoleAdmin) {
		return Token{}, fmt.Errorf("revoke token: %w", ErrForbidden)
	}
	var t Token
	err := a.inTx(ctx, func(tx pgx.Tx) error {
		before, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if before.Revoked() {
			t = before
			return nil
		}
		now := a.now()
		t, err = scanToken(tx.QueryRow(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 RETURNING `+tokenColumns, id, now))
		if err != nil {
			return err
		}
		e := actor.Entry("api_token.revoke", "api_token", strconv.FormatInt(id, 10))
		e.At, e.Before, e.After = now, before.auditJSON(), t.auditJSON()
		return Record(ctx, tx, e)
	})
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %d: %w", id, err)
	}
	return t, nil
}

// ListTokens returns every token, revoked ones included, newest first.
func (a *Auth) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := a.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// Authenticate returns the principal of an API bearer token (with or
// without the "Bearer " prefix), or ErrUnauthorized for a token that is
// unknown or revoked. The deprecated bootstrap token is accepted with every
// scope.
func (a *Auth) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	secret := strings.TrimSpace(bearer)
	if len(secret) > 7 && strings.EqualFold(secret[:7], "bearer ") {
		secret = strings.TrimSpace(secret[7:])
	}
	if b := a.opts.BootstrapToken; b != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(b)) == 1 {
		a.deprecatedOnce.Do(func() {
			a.log.WarnContext(ctx, "WAYMARK_API_TOKEN is deprecated: it grants every scope; create scoped tokens with \"waymark tokens create\" and unset it")
		})
		return Principal{Kind: ActorToken, Via: ViaBootstrap, Name: "WAYMARK_API_TOKEN", Scopes: slices.Clone(Scopes)}, nil
	}
	if !wellFormedToken(secret) {
		return Principal{}, ErrUnauthorized
	}
	sum := sha256.Sum256([]byte(secret))
	var (
		id     int64
		name   string
		scopes []string
		used   *time.Time
	)
	err := a.pool.QueryRow(ctx, `
		SELECT id, name, scopes, last_used_at FROM api_tokens
		WHERE token_hash = $1 AND revoked_at IS NULL`, sum[:]).Scan(&id, &name, &scopes, &used)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrUnauthorized
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up token: %w", err)
	}
	now := a.now()
	if used == nil || now.Sub(*used) >= a.opts.LastUsedInterval {
		// Throttled: a busy pipeline should not turn every read into a
		// write.
		if _, err := a.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, now); err != nil {
			return Principal{}, fmt.Errorf("mark token used: %w", err)
		}
	}
	p := Principal{Kind: ActorToken, Via: ViaToken, TokenID: id, Name: name}
	for _, s := range scopes {
		p.Scopes = append(p.Scopes, Scope(s))
	}
	return p, nil
}

// wellFormedToken reports whether s can be a token at all, so that noise
// costs no query.
func wellFormedToken(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	for i := len(TokenPrefix); i < len(s); i++ {
		if !strings.Contains(alphabet62, s[i:i+1]) {
			return false
		}
	}
	return true
}
