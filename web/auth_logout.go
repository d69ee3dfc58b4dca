package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/waymarkhq/waymark/internal/auth"
)

// logout ends this browser's session and forgets its cookie. It answers
// anyone, signed in or not: a stale cookie is signed out all the same.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if h.auth == nil {
		redirect(w, r, "/")
		return
	}
	if c, err := r.Cookie(auth.SessionCookieName); err == nil {
		if err := h.auth.Logout(r.Context(), c.Value); err != nil {
			h.fail(w, r, fmt.Errorf("sign out: %w", err))
			return
		}
	}
	http.SetCookie(w, auth.ClearSessionCookie(h.secureCookies))
	redirect(w, r, "/login")
}

// logoutEverywhere ends every session of the signed-in user, on every
// device, e.g. after a laptop was lost.
func (h *handler) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	p, ok := principal(r)
	if !ok || h.auth == nil {
		redirect(w, r, "/")
		return
	}
	n, err := h.auth.LogoutEverywhere(r.Context(), p.UserID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("sign out everywhere: %w", err))
		return
	}
	e := p.Entry("user.logout_everywhere", "user", strconv.FormatInt(p.UserID, 10))
	e.After = jsonDoc(map[string]int64{"sessions_ended": n})
	h.recordAfter(r, e)
	http.SetCookie(w, auth.ClearSessionCookie(h.secureCookies))
	redirect(w, r, "/login")
}
