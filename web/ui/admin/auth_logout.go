package admin

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Logout ends this browser's session and forgets its cookie. It answers
// anyone, signed in or not: a stale cookie is signed out all the same.
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) {
	if h.Auth == nil {
		httpx.Redirect(w, r, "/")
		return
	}
	if c, err := r.Cookie(auth.SessionCookieName); err == nil {
		if err := h.Auth.Logout(r.Context(), c.Value); err != nil {
			h.Fail(w, r, fmt.Errorf("sign out: %w", err))
			return
		}
	}
	http.SetCookie(w, auth.ClearSessionCookie(h.secureCookies))
	httpx.Redirect(w, r, "/login")
}

// LogoutEverywhere ends every session of the signed-in user, on every
// device, e.g. after a laptop was lost.
func (h *Handler) LogoutEverywhere(w http.ResponseWriter, r *http.Request) {
	p, ok := httpx.Principal(r)
	if !ok || h.Auth == nil {
		httpx.Redirect(w, r, "/")
		return
	}
	n, err := h.Auth.LogoutEverywhere(r.Context(), p.UserID)
	if err != nil {
		h.Fail(w, r, fmt.Errorf("sign out everywhere: %w", err))
		return
	}
	e := p.Entry("user.logout_everywhere", "user", strconv.FormatInt(p.UserID, 10))
	e.After = httpx.JSONDoc(map[string]int64{"sessions_ended": n})
	h.RecordAfter(r, e)
	http.SetCookie(w, auth.ClearSessionCookie(h.secureCookies))
	httpx.Redirect(w, r, "/login")
}
