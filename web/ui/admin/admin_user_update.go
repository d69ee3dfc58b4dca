package admin

import (
	"fmt"
	"net/http"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/httpx"
)

// AdminUserRole changes a user's role. Demoting the last enabled admin is
// refused (409).
func (h *Handler) AdminUserRole(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id", "a user")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := parseSmallForm(w, r); err != nil {
		h.Fail(w, r, err)
		return
	}
	role, err := auth.ParseRole(r.PostForm.Get("role"))
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	p, _ := httpx.Principal(r)
	if _, err := h.Auth.SetRole(r.Context(), p, id, role); err != nil {
		h.Fail(w, r, err)
		return
	}
	httpx.Redirect(w, r, "/admin/users")
}

// AdminUserDisable disables a user, ending their sessions at once.
// Disabling the last enabled admin is refused (409).
func (h *Handler) AdminUserDisable(w http.ResponseWriter, r *http.Request) {
	h.setDisabled(w, r, true)
}

// AdminUserEnable lets a disabled user sign in again.
func (h *Handler) AdminUserEnable(w http.ResponseWriter, r *http.Request) {
	h.setDisabled(w, r, false)
}

func (h *Handler) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	id, err := httpx.PathID(r, "id", "a user")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	p, _ := httpx.Principal(r)
	if _, err := h.Auth.SetDisabled(r.Context(), p, id, disabled); err != nil {
		h.Fail(w, r, err)
		return
	}
	httpx.Redirect(w, r, "/admin/users")
}

// AdminUserPassword gives a user a new generated password, shown once, and
// ends their sessions: for someone who lost theirs, or an account the
// auth proxy created that should also sign in by password.
func (h *Handler) AdminUserPassword(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id", "a user")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	password, err := auth.GeneratePassword()
	if err != nil {
		h.Fail(w, r, fmt.Errorf("generate password: %w", err))
		return
	}
	p, _ := httpx.Principal(r)
	if err := h.Auth.SetPassword(r.Context(), p, id, password); err != nil {
		h.Fail(w, r, err)
		return
	}
	u, err := h.Auth.GetUser(r.Context(), id)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.renderUsers(w, r, http.StatusOK, NewUserForm{Role: string(auth.RoleViewer)},
		&IssuedPassword{Email: u.Email, Role: string(u.Role), Password: password, Reset: true})
}
