package auth

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkHashPassword is the cost of one login's password check at the
// default parameters.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		_, err := HashPassword("correct horse battery", DefaultPasswordParams)
		require.NoError(b, err)
	}
}

// BenchmarkAuthenticateToken is one API request's token check against
// Postgres (last-used writes are throttled, so this is one read).
func BenchmarkAuthenticateToken(b *testing.B) {
	bb := setup(b)
	secret, _, err := bb.auth.CreateToken(bb.ctx, System, "bench", []Scope{ScopeRead})
	require.NoError(b, err)
	for b.Loop() {
		_, err := bb.auth.Authenticate(bb.ctx, secret)
		require.NoError(b, err)
	}
}

// BenchmarkSession is one page view's session check.
func BenchmarkSession(b *testing.B) {
	bb := setup(b)
	_, err := bb.auth.CreateUser(bb.ctx, System, NewUser{Email: "pat@example.com", Role: RoleViewer, Password: testPassword})
	require.NoError(b, err)
	s, err := bb.auth.Login(bb.ctx, LoginRequest{Email: "pat@example.com", Password: testPassword})
	require.NoError(b, err)
	for b.Loop() {
		_, err := bb.auth.Session(bb.ctx, s.Token)
		require.NoError(b, err)
	}
}
