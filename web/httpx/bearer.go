package httpx

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// bearerToken is the credential of an "Authorization: Bearer <token>"
// header, or "" without one.
func bearerToken(r *http.Request) string {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(cred)
}

// sameToken compares tokens in constant time. Comparing digests keeps the
// length of the expected token from showing in the timing too.
func sameToken(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// RequireToken lets a request through when token is empty or the request
// carries it as a bearer token; otherwise it answers 401 and returns false.
func (b *Base) RequireToken(w http.ResponseWriter, r *http.Request, token string) bool {
	if token == "" {
		return true
	}
	got := bearerToken(r)
	if got != "" && sameToken(got, token) {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="waymark"`)
	if got == "" {
		b.Fail(w, r, Errorf(http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <token>"))
		return false
	}
	b.Fail(w, r, Errorf(http.StatusUnauthorized, "invalid bearer token"))
	return false
}
