package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/httpx"
)

// AdminUserCreate adds an account with a generated one-time password, which
// the answer shows once (201); the admin hands it over. A bad email or role
// re-renders the form with the message beside the field (422), a taken
// email too (409).
func (h *Handler) AdminUserCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseSmallForm(w, r); err != nil {
		h.Fail(w, r, err)
		return
	}
	form := NewUserForm{
		Email: strings.TrimSpace(r.PostForm.Get("email")),
		Role:  strings.TrimSpace(r.PostForm.Get("role")),
	}
	role, err := auth.ParseRole(form.Role)
	if err != nil {
		form.Errors = map[string]string{"role": validationMessage(err)}
		h.renderUsers(w, r, http.StatusUnprocessableEntity, form, nil)
		return
	}
	password, err := auth.GeneratePassword()
	if err != nil {
		h.Fail(w, r, fmt.Errorf("generate password: %w", err))
		return
	}
	p, _ := httpx.Principal(r)
	u, err := h.Auth.CreateUser(r.Context(), p, auth.NewUser{Email: form.Email, Role: role, Password: password})
	var ve *auth.ValidationError
	switch {
	case errors.As(err, &ve):
		form.Errors = map[string]string{ve.Field: ve.Message}
		h.renderUsers(w, r, http.StatusUnprocessableEntity, form, nil)
		return
	case errors.Is(err, auth.ErrConflict):
		form.Errors = map[string]string{"email": "a user with this email already exists"}
		h.renderUsers(w, r, http.StatusConflict, form, nil)
		return
	case err != nil:
		h.Fail(w, r, err)
		return
	}
	h.renderUsers(w, r, http.StatusCreated, NewUserForm{Role: form.Role},
		&IssuedPassword{Email: u.Email, Role: string(u.Role), Password: password})
}

// parseSmallForm reads a sign-in or admin form, which is never large.
func parseSmallForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxAuthFormBytes)
	if err := r.ParseForm(); err != nil {
		return httpx.FormError(err)
	}
	return nil
}

// validationMessage is the message of an *auth.ValidationError, without
// the field it is shown beside.
func validationMessage(err error) string {
	var ve *auth.ValidationError
	if errors.As(err, &ve) {
		return ve.Message
	}
	return err.Error()
}
