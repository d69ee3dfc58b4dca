package auth

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCreateAndAuthenticateToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := Principal{Kind: ActorUser, UserID: 1, Name: "root@example.com", Role: RoleAdmin}
	secret, tok, err := b.auth.CreateToken(b.ctx, admin, "  deploy pipeline ", []Scope{ScopeJourneysWrite, ScopeDeploymentsWrite, ScopeJourneysWrite})
	require.NoError(t, err)
	require.Regexp(t, `^wmk_[0-9A-Za-z]{43}$`, secret)
	require.Equal(t, Token{ID: tok.ID, Name: "deploy pipeline", Prefix: secret[:12], Scopes: []Scope{ScopeDeploymentsWrite, ScopeJourneysWrite},
		CreatedBy: "root@example.com", CreatedAt: t0}, tok)

	for _, bearer := range []string{secret, "Bearer " + secret, "bearer  " + secret + " "} {
		p, err := b.auth.Authenticate(b.ctx, bearer)
		require.NoError(t, err)
		require.Equal(t, Principal{Kind: ActorToken, Via: ViaToken, TokenID: tok.ID, Name: "deploy pipeline",
			Scopes: []Scope{ScopeDeploymentsWrite, ScopeJourneysWrite}}, p)
		require.True(t, p.HasScope(ScopeJourneysWrite))
		require.False(t, p.HasScope(ScopeRead))
		require.False(t, p.HasRole(RoleViewer))
	}

	// The secret is nowhere in the database, whole or after its prefix.
	for _, q := range []string{`SELECT count(*) FROM api_tokens t WHERE strpos(t::text, $1) > 0`, `SELECT count(*) FROM audit_log t WHERE strpos(t::text, $1) > 0`} {
		require.Equal(t, 0, b.count(t, q, secret))
		require.Equal(t, 0, b.count(t, q, secret[12:]))
	}
	var hash []byte
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT token_hash FROM api_tokens`).Scan(&hash))
	require.Len(t, hash, 32)
	require.NotContains(t, string(hash), secret[12:])

	// Anything else is refused without a word about why.
	for _, junk := range []string{"", "wmk_", secret[:len(secret)-1], secret + "a", strings.ToUpper(secret), "wmk_" + strings.Repeat("-", 43), "Basic " + secret, secret[:len(secret)-1] + "!"} {
		_, err := b.auth.Authenticate(b.ctx, junk)
		require.Equal(t, ErrUnauthorized, err, junk)
	}

	list, err := b.auth.ListTokens(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []Token{{ID: tok.ID, Name: "deploy pipeline", Prefix: secret[:12], Scopes: []Scope{ScopeDeploymentsWrite, ScopeJourneysWrite},
		CreatedBy: "root@example.com", CreatedAt: t0, LastUsedAt: t0}}, list)
}

func TestCreateTokenErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name   string
		actor  Principal
		tname  string
		scopes []Scope
		want   string
		is     error
	}{
		{"editor", Principal{Kind: ActorUser, UserID: 2, Role: RoleEditor}, "ci", []Scope{ScopeRead}, "create token: forbidden", ErrForbidden},
		{"token", Principal{Kind: ActorToken, Scopes: Scopes}, "ci", []Scope{ScopeRead}, "create token: forbidden", ErrForbidden},
		{"anonymous", Principal{}, "ci", []Scope{ScopeRead}, "create token: forbidden", ErrForbidden},
		{"no name", System, "  ", []Scope{ScopeRead}, "name: must be set", ErrInvalid},
		{"long name", System, strings.Repeat("n", 101), []Scope{ScopeRead}, "name: must be at most 100 characters", ErrInvalid},
		{"control", System, "a\tb", []Scope{ScopeRead}, "name: must not contain control characters", ErrInvalid},
		{"no scopes", System, "ci", nil, "scopes: give at least one of read, gate:read, deployments:write, journeys:write, incidents:write", ErrInvalid},
		{"bad scope", System, "ci", []Scope{ScopeRead, "admin"}, `scopes: "admin" is not one of read, gate:read, deployments:write, journeys:write, incidents:write`, ErrInvalid},
	}
	for _, tt := range tests {
		_, _, err := b.auth.CreateToken(b.ctx, tt.actor, tt.tname, tt.scopes)
		require.EqualError(t, err, tt.want, tt.name)
		require.ErrorIs(t, err, tt.is, tt.name)
	}
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM api_tokens`))
}

func TestRevokeTokenIsImmediate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret, tok, err := b.auth.CreateToken(b.ctx, CLI("ops"), "ci", []Scope{ScopeRead})
	require.NoError(t, err)
	keep, _, err := b.auth.CreateToken(b.ctx, CLI("ops"), "other", []Scope{ScopeRead})
	require.NoError(t, err)
	_, err = b.auth.Authenticate(b.ctx, secret)
	require.NoError(t, err)

	_, err = b.auth.RevokeToken(b.ctx, Principal{Kind: ActorUser, UserID: 5, Role: RoleEditor}, tok.ID)
	require.ErrorIs(t, err, ErrForbidden)

	b.clock.Advance(time.Second)
	got, err := b.auth.RevokeToken(b.ctx, CLI("ops"), tok.ID)
	require.NoError(t, err)
	require.Equal(t, t0.Add(time.Second), got.RevokedAt)
	require.True(t, got.Revoked())
	_, err = b.auth.Authenticate(b.ctx, secret)
	require.Equal(t, ErrUnauthorized, err)
	_, err = b.auth.Authenticate(b.ctx, keep)
	require.NoError(t, err)

	again, err := b.auth.RevokeToken(b.ctx, CLI("ops"), tok.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)
	_, err = b.auth.RevokeToken(b.ctx, CLI("ops"), 999)
	require.EqualError(t, err, "revoke token 999: not found")

	page, err := b.auth.ListAudit(b.ctx, AuditFilter{Object: "api_token", ObjectID: itoa(tok.ID)})
	require.NoError(t, err)
	require.Len(t, page.Entries, 2, "one revoke, one create")
	rev := page.Entries[0]
	require.Equal(t, "api_token.revoke", rev.Action)
	require.Equal(t, "cli:ops", rev.Actor)
	require.Equal(t, ActorSystem, rev.ActorKind)
	require.JSONEq(t, `{"id": `+itoa(tok.ID)+`, "name": "ci", "prefix": "`+secret[:12]+`", "scopes": ["read"], "revoked": false}`, string(rev.Before))
	require.JSONEq(t, `{"id": `+itoa(tok.ID)+`, "name": "ci", "prefix": "`+secret[:12]+`", "scopes": ["read"], "revoked": true}`, string(rev.After))
}

func TestTokenLastUsed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret, tok, err := b.auth.CreateToken(b.ctx, System, "ci", []Scope{ScopeGateRead})
	require.NoError(t, err)
	lastUsed := func() time.Time {
		ts, err := b.auth.ListTokens(b.ctx)
		require.NoError(t, err)
		require.Len(t, ts, 1)
		require.Equal(t, tok.ID, ts[0].ID)
		return ts[0].LastUsedAt
	}
	require.True(t, lastUsed().IsZero())

	steps := []struct {
		advance time.Duration
		want    time.Time
	}{
		{10 * time.Second, t0.Add(10 * time.Second)},   // first use is written
		{59 * time.Second, t0.Add(10 * time.Second)},   // within the minute: not
		{time.Second, t0.Add(70 * time.Second)},        // a minute after: written
		{30 * time.Minute, t0.Add(1870 * time.Second)}, // later use: written
	}
	for _, s := range steps {
		b.clock.Advance(s.advance)
		_, err := b.auth.Authenticate(b.ctx, secret)
		require.NoError(t, err)
		require.Equal(t, s.want, lastUsed())
	}
}

func TestBootstrapToken(t *testing.T) {
	t.Parallel()
	const bootstrap = "legacy-token-0123456789"
	b := setup(t, func(o *Options) { o.BootstrapToken = bootstrap })
	for range 3 {
		p, err := b.auth.Authenticate(b.ctx, "Bearer "+bootstrap)
		require.NoError(t, err)
		require.Equal(t, Principal{Kind: ActorToken, Via: ViaBootstrap, Name: "WAYMARK_API_TOKEN", Scopes: Scopes}, p)
		for _, s := range Scopes {
			require.True(t, p.HasScope(s))
		}
	}
	require.Equal(t, 1, strings.Count(b.logs.String(), "WAYMARK_API_TOKEN is deprecated"), b.logs.String())
	require.Contains(t, b.logs.String(), "level=WARN")
	_, err := b.auth.Authenticate(b.ctx, bootstrap+"x")
	require.Equal(t, ErrUnauthorized, err)

	// Without one configured, nothing matches an empty bearer.
	plain := setup(t)
	_, err = plain.auth.Authenticate(plain.ctx, "")
	require.Equal(t, ErrUnauthorized, err)
}

func TestIncidentsWriteToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret, tok, err := b.auth.CreateToken(b.ctx, CLI("ops"), "alertmanager", []Scope{ScopeIncidentsWrite, ScopeRead})
	require.NoError(t, err)
	require.Equal(t, []Scope{ScopeRead, ScopeIncidentsWrite}, tok.Scopes, "in the order of Scopes")
	p, err := b.auth.Authenticate(b.ctx, secret)
	require.NoError(t, err)
	require.Equal(t, Principal{Kind: ActorToken, Via: ViaToken, TokenID: tok.ID, Name: "alertmanager",
		Scopes: []Scope{ScopeRead, ScopeIncidentsWrite}}, p)
	require.True(t, p.HasScope(ScopeIncidentsWrite))
	require.False(t, p.HasScope(ScopeJourneysWrite))
	require.False(t, p.HasRole(RoleEditor), "a token holds scopes, never a role")
	// Incident changes are recorded under the token's name, as a token.
	e := p.Entry("incident.create", "incident", "7")
	require.Equal(t, Entry{Actor: "alertmanager", ActorKind: ActorToken, Action: "incident.create", Object: "incident", ObjectID: "7"}, e)

	page, err := b.auth.ListAudit(b.ctx, AuditFilter{Action: "api_token.create"})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	require.JSONEq(t, `{"id":`+itoa(tok.ID)+`,"name":"alertmanager","prefix":"`+secret[:12]+`","scopes":["read","incidents:write"],"revoked":false}`,
		string(page.Entries[0].After))

	// Editors and admins hold it through their role; viewers do not.
	require.Equal(t, []bool{false, true, true}, []bool{
		slices.Contains(roleScopes(RoleViewer), ScopeIncidentsWrite),
		slices.Contains(roleScopes(RoleEditor), ScopeIncidentsWrite),
		slices.Contains(roleScopes(RoleAdmin), ScopeIncidentsWrite),
	})
}
