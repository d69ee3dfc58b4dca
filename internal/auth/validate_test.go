package auth

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, err string
	}{
		{"alice@example.com", "alice@example.com", ""},
		{"  Alice.Smith+ops@Example.COM \n", "alice.smith+ops@example.com", ""},
		{"root@localhost", "root@localhost", ""},
		{"", "", "email: must be set"},
		{"   ", "", "email: must be set"},
		{"alice", "", `email: "alice" is not an address like name@example.com`},
		{"@example.com", "", `email: "@example.com" is not an address like name@example.com`},
		{"alice@", "", `email: "alice@" is not an address like name@example.com`},
		{"a@b@example.com", "", `email: "a@b@example.com" is not an address like name@example.com`},
		{"alice@example", "", `email: "alice@example" does not have a valid domain`},
		{"alice@.example.com", "", `email: "alice@.example.com" does not have a valid domain`},
		{"alice@example..com", "", `email: "alice@example..com" does not have a valid domain`},
		{"alice@example.com.", "", `email: "alice@example.com." does not have a valid domain`},
		{"Alice <alice@example.com>", "", "email: must not contain spaces or control characters"},
		{"<alice@example.com>", "", `email: "<alice@example.com>" is not an address like name@example.com`},
		{"alice(comment)@example.com", "", `email: "alice(comment)@example.com" is not an address like name@example.com`},
		{"al\x00ice@example.com", "", "email: must not contain spaces or control characters"},
		{"al\xffice@example.com", "", "email: must not contain spaces or control characters"},
		{strings.Repeat("a", 243) + "@example.com", "", "email: must be at most 254 characters"},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if tt.err != "" {
			require.EqualError(t, err, tt.err, tt.in)
			require.ErrorIs(t, err, ErrInvalid)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got)
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"alice@example.com", " A@B.C ", "a@b", "\"a b\"@example.com", "a@[127.0.0.1]", "x@y..z", "é@exämple.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeEmail(in)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		require.Equal(t, strings.ToLower(got), got)
		require.Equal(t, 1, strings.Count(got, "@"))
		require.False(t, strings.ContainsFunc(got, unicode.IsSpace))
		again, err := NormalizeEmail(got)
		require.NoError(t, err)
		require.Equal(t, got, again, "normalising is idempotent")
	})
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"/journeys/checkout?range=24h", "/journeys/checkout?range=24h"},
		{"/", "/"},
		{"", "/"},
		{"journeys", "/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"/a\nb", "/"},
		{"/a\\b", "/"},
		{"/%2F%2Fevil.example", "/%2F%2Fevil.example"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, SafeNext(tt.in), tt.in)
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/x", "//x", "/\\x", "http://x", "/a?b=//c", "\t//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SafeNext(in)
		require.True(t, got == "/" || got == in)
		require.True(t, strings.HasPrefix(got, "/"))
		require.False(t, strings.HasPrefix(got, "//"))
		u, err := url.Parse(got)
		require.NoError(t, err)
		require.Empty(t, u.Host)
		require.Empty(t, u.Scheme)
	})
}

func TestParseCIDRs(t *testing.T) {
	t.Parallel()
	got, err := ParseCIDRs(" 10.0.0.0/8, 127.0.0.1,::1 ,, 192.168.1.77/24, ::ffff:10.1.1.1")
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("192.168.1.0/24"),
		netip.MustParsePrefix("10.1.1.1/32"),
	}, got)

	for in, want := range map[string]string{
		"10.0.0.0/33": `"10.0.0.0/33" is not a CIDR such as 10.0.0.0/8`,
		"proxy":       `"proxy" is not an IP address or CIDR`,
	} {
		_, err := ParseCIDRs(in)
		require.EqualError(t, err, want)
	}
}

func TestAttemptKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		email, remote      string
		account, ipKey, ip string
	}{
		{" Bob@Example.com", "192.0.2.1:4000", "account:bob@example.com", "ip:192.0.2.1", "192.0.2.1"},
		{"bob@example.com", "[2001:db8:1:2:aaaa::1]:4000", "account:bob@example.com", "ip:2001:db8:1:2::/64", "2001:db8:1:2:aaaa::1"},
		{"bob@example.com", "[::ffff:192.0.2.9]:1", "account:bob@example.com", "ip:192.0.2.9", "192.0.2.9"},
		{"bob@example.com", "192.0.2.1", "account:bob@example.com", "ip:192.0.2.1", "192.0.2.1"},
		{"bob@example.com", "@pipe", "account:bob@example.com", "ip:unknown", ""},
	}
	for _, tt := range tests {
		k := attemptKeys(tt.email, tt.remote)
		require.Equal(t, tt.account, k.account)
		require.Equal(t, tt.ipKey, k.ipKey)
		require.Equal(t, tt.ip, k.ip)
	}
	// A string that is no email still gets a stable key of its own.
	k1, k2 := attemptKeys("not an email", ""), attemptKeys(" NOT AN EMAIL ", "")
	require.Equal(t, k1.account, k2.account)
	require.Regexp(t, `^account#[0-9a-f]{32}$`, k1.account)
}

func TestRolesAndScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		have, want Role
		ok         bool
	}{
		{RoleAdmin, RoleViewer, true}, {RoleAdmin, RoleEditor, true}, {RoleAdmin, RoleAdmin, true},
		{RoleEditor, RoleViewer, true}, {RoleEditor, RoleEditor, true}, {RoleEditor, RoleAdmin, false},
		{RoleViewer, RoleViewer, true}, {RoleViewer, RoleEditor, false}, {RoleViewer, RoleAdmin, false},
		{"", RoleViewer, false}, {"root", RoleViewer, false}, {RoleAdmin, "root", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.ok, tt.have.Includes(tt.want), "%s includes %s", tt.have, tt.want)
	}
	r, err := ParseRole(" Editor ")
	require.NoError(t, err)
	require.Equal(t, RoleEditor, r)
	_, err = ParseRole("owner")
	require.EqualError(t, err, `role: "owner" is not one of viewer, editor, admin`)

	require.True(t, ScopeRead.Covers(ScopeGateRead))
	require.False(t, ScopeGateRead.Covers(ScopeRead))
	require.False(t, ScopeJourneysWrite.Covers(ScopeRead))
	require.False(t, ScopeIncidentsWrite.Covers(ScopeRead))
	require.False(t, ScopeJourneysWrite.Covers(ScopeIncidentsWrite))
	_, err = ParseScope("write")
	require.EqualError(t, err, `scope: "write" is not one of read, gate:read, deployments:write, journeys:write, incidents:write`)
	s, err := ParseScope(" incidents:write ")
	require.NoError(t, err)
	require.Equal(t, ScopeIncidentsWrite, s)

	// People are told the role that grants a scope.
	for _, tt := range []struct {
		scope Scope
		role  Role
	}{
		{ScopeRead, RoleViewer}, {ScopeGateRead, RoleViewer}, {ScopeDeploymentsWrite, RoleEditor},
		{ScopeJourneysWrite, RoleEditor}, {ScopeIncidentsWrite, RoleEditor},
	} {
		r, ok := RoleFor(tt.scope)
		require.True(t, ok, tt.scope)
		require.Equal(t, tt.role, r, tt.scope)
	}
	_, ok := RoleFor("root")
	require.False(t, ok)
}

func TestDenials(t *testing.T) {
	t.Parallel()
	viewer := Principal{Kind: ActorUser, UserID: 1, Role: RoleViewer, Scopes: roleScopes(RoleViewer)}
	editor := Principal{Kind: ActorUser, UserID: 2, Role: RoleEditor, Scopes: roleScopes(RoleEditor)}
	token := Principal{Kind: ActorToken, TokenID: 3, Name: "alertmanager", Scopes: []Scope{ScopeIncidentsWrite}}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"viewer, incidents", viewer.DenyScope(ScopeIncidentsWrite), "this needs the editor role"},
		{"viewer, journeys", viewer.DenyScope(ScopeJourneysWrite), "this needs the editor role"},
		{"viewer, read", viewer.DenyScope(ScopeRead), ""},
		{"editor, incidents", editor.DenyScope(ScopeIncidentsWrite), ""},
		{"token, incidents", token.DenyScope(ScopeIncidentsWrite), ""},
		{"token, read", token.DenyScope(ScopeRead), "this needs the read scope"},
		{"token, deploys", token.DenyScope(ScopeDeploymentsWrite), "this needs the deployments:write scope"},
		{"unknown scope", viewer.DenyScope("root"), "this needs the root scope"},
		{"viewer, editor role", viewer.DenyRole(RoleEditor), "this needs the editor role"},
		{"editor, editor role", editor.DenyRole(RoleEditor), ""},
		{"token, editor role", token.DenyRole(RoleEditor), "this needs a signed-in user with the editor role, not an API token"},
		{"system", System.DenyScope(ScopeIncidentsWrite) + System.DenyRole(RoleAdmin), ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.got, tt.name)
	}
}

func TestCLIPrincipal(t *testing.T) {
	t.Parallel()
	p := CLI("ops")
	require.Equal(t, "cli:ops", p.Name)
	require.Equal(t, ActorSystem, p.Kind)
	require.True(t, p.HasRole(RoleAdmin))
	require.Equal(t, "cli", CLI("").Name)
	require.Equal(t, "system", System.Name, "CLI copies System, never changes it")
}
