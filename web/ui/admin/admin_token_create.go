package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/httpx"
)

// AdminTokenCreate creates an API token and shows its secret this once
// (201): only a digest is stored. A missing name or scope re-renders the
// form with the message beside the field (422).
func (h *Handler) AdminTokenCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseSmallForm(w, r); err != nil {
		h.Fail(w, r, err)
		return
	}
	form := NewTokenForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Scopes: r.PostForm["scopes"]}
	var scopes []auth.Scope
	for _, raw := range form.Scopes {
		s, err := auth.ParseScope(raw)
		if err != nil {
			form.Errors = map[string]string{"scopes": validationMessage(err)}
			h.renderTokens(w, r, http.StatusUnprocessableEntity, form, nil)
			return
		}
		scopes = append(scopes, s)
	}
	p, _ := httpx.Principal(r)
	secret, t, err := h.Auth.CreateToken(r.Context(), p, form.Name, scopes)
	var ve *auth.ValidationError
	switch {
	case errors.As(err, &ve):
		form.Errors = map[string]string{ve.Field: ve.Message}
		h.renderTokens(w, r, http.StatusUnprocessableEntity, form, nil)
		return
	case err != nil:
		h.Fail(w, r, err)
		return
	}
	h.renderTokens(w, r, http.StatusCreated, NewTokenForm{}, &CreatedToken{Token: t, Secret: secret})
}
