package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/views"
)

// userID reads the {id} of a user URL.
func userID(r *http.Request) (int64, error) {
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusBadRequest, "%q is not a user id: expected a positive whole number", raw)
	}
	return id, nil
}

// adminUserRole changes a user's role. Demoting the last enabled admin is
// refused (409).
func (h *handler) adminUserRole(w http.ResponseWriter, r *http.Request) {
	id, err := userID(r)
	if err != nil {
		h.fail(w, r, authError(err))
		return
	}
	if err := parseSmallForm(w, r); err != nil {
		h.fail(w, r, authError(err))
		return
	}
	role, err := auth.ParseRole(r.PostForm.Get("role"))
	if err != nil {
		h.fail(w, r, authError(err))
		return
	}
	p, _ := principal(r)
	if _, err := h.auth.SetRole(r.Context(), p, id, role); err != nil {
		h.fail(w, r, authError(err))
		return
	}
	redirect(w, r, "/admin/users")
}

// adminUserDisable disables a user, ending their sessions at once.
// Disabling the last enabled admin is refused (409).
func (h *handler) adminUserDisable(w http.ResponseWriter, r *http.Request) {
	h.setDisabled(w, r, true)
}

// adminUserEnable lets a disabled user sign in again.
func (h *handler) adminUserEnable(w http.ResponseWriter, r *http.Request) {
	h.setDisabled(w, r, false)
}

func (h *handler) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	id, err := userID(r)
	if err != nil {
		h.fail(w, r, authError(err))
		return
	}
	p, _ := principal(r)
	if _, err := h.auth.SetDisabled(r.Context(), p, id, disabled); err != nil {
		h.fail(w, r, authError(err))
		return
	}
	redirect(w, r, "/admin/users")
}

// adminUserPassword gives a user a new generated password, shown once, and
// ends their sessions: for someone who lost theirs, or an account the
// auth proxy created that should also sign in by password.
func (h *handler) adminUserPassword(w http.ResponseWriter, r *http.Request) {
	id, err := userID(r)
	if err != nil {
		h.fail(w, r, authError(err))
		return
	}
	password, err := auth.GeneratePassword()
	if err != nil {
		h.fail(w, r, fmt.Errorf("generate password: %w", err))
		return
	}
	p, _ := principal(r)
	if err := h.auth.SetPassword(r.Context(), p, id, password); err != nil {
		h.fail(w, r, authError(err))
		return
	}
	u, err := h.auth.GetUser(r.Context(), id)
	if err != nil {
		h.fail(w, r, authError(err))
		return
	}
	h.renderUsers(w, r, http.StatusOK, views.NewUserForm{Role: string(auth.RoleViewer)},
		&views.IssuedPassword{Email: u.Email, Role: string(u.Role), Password: password, Reset: true})
}
