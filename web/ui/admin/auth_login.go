package admin

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/httpx"
)

// maxAuthFormBytes bounds the sign-in and admin forms, which carry an
// email, a password or a name: far below MaxBodyBytes, so that nobody can
// make a sign-in cost a megabyte of parsing.
const maxAuthFormBytes = 16 << 10

// Messages of the sign-in page. A wrong password and an unknown email read
// the same, so that the page tells nobody which emails have accounts.
const (
	msgWrongCredentials = "Email or password is wrong."
	msgMissing          = "Enter your email and password."
)

// LoginPage shows the sign-in form. ?next= is where to go once signed in.
func (h *Handler) LoginPage(w http.ResponseWriter, r *http.Request) {
	if h.Auth == nil {
		// A server without accounts lets everyone in.
		httpx.Redirect(w, r, auth.SafeNext(r.URL.Query().Get("next")))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.Render(w, r, http.StatusOK, Login(h.Site, LoginForm{Next: auth.SafeNext(r.URL.Query().Get("next"))}))
}

// Login checks an email and password and starts a session: a new cookie,
// the one the browser had ended, so that a session planted before sign-in
// is worth nothing. It answers 303 to where the user was going, 401 with
// the form again (email kept) for a wrong email or password, and 429 with
// Retry-After once too many attempts failed.
func (h *Handler) Login(w http.ResponseWriter, r *http.Request) {
	if h.Auth == nil {
		h.Fail(w, r, httpx.Errorf(http.StatusNotFound, "this server has no accounts to sign in to"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxAuthFormBytes)
	if err := r.ParseForm(); err != nil {
		h.Fail(w, r, httpx.FormError(err))
		return
	}
	f := LoginForm{
		Email: strings.TrimSpace(r.PostForm.Get("email")),
		Next:  auth.SafeNext(r.PostForm.Get("next")),
	}
	password := r.PostForm.Get("password")
	if f.Email == "" || password == "" {
		f.Message = msgMissing
		h.Render(w, r, http.StatusUnprocessableEntity, Login(h.Site, f))
		return
	}
	req := auth.LoginRequest{
		Email:      f.Email,
		Password:   password,
		RemoteAddr: r.RemoteAddr,
		UserAgent:  r.UserAgent(),
	}
	if c, err := r.Cookie(auth.SessionCookieName); err == nil {
		req.PreviousToken = c.Value
	}
	s, err := h.Auth.Login(r.Context(), req)
	var rl *auth.RateLimitError
	switch {
	case errors.As(err, &rl):
		secs := int64(math.Ceil(rl.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
		f.Message = "Too many failed sign-ins. Try again in " + waitText(rl.RetryAfter) + "."
		h.Render(w, r, http.StatusTooManyRequests, Login(h.Site, f))
		return
	case errors.Is(err, auth.ErrInvalidCredentials):
		f.Message = msgWrongCredentials
		h.Render(w, r, http.StatusUnauthorized, Login(h.Site, f))
		return
	case err != nil:
		h.Fail(w, r, fmt.Errorf("sign in: %w", err))
		return
	}
	http.SetCookie(w, auth.SessionCookie(s.Token, h.secureCookies))
	httpx.Redirect(w, r, f.Next)
}

// waitText says how long to wait in words: "1 second", "40 seconds",
// "15 minutes" (rounded up).
func waitText(d time.Duration) string {
	secs := int64(math.Ceil(d.Seconds()))
	switch {
	case secs <= 1:
		return "1 second"
	case secs < 60:
		return strconv.FormatInt(secs, 10) + " seconds"
	}
	mins := (secs + 59) / 60
	if mins == 1 {
		return "1 minute"
	}
	return strconv.FormatInt(mins, 10) + " minutes"
}
