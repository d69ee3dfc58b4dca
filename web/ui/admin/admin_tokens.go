package admin

import (
	"net/http"
)

// AdminTokens lists every API token, revoked ones too, with the form to
// create one.
func (h *Handler) AdminTokens(w http.ResponseWriter, r *http.Request) {
	h.renderTokens(w, r, http.StatusOK, NewTokenForm{}, nil)
}

// renderTokens shows the tokens page with form as typed and, once, a new
// token's secret.
func (h *Handler) renderTokens(w http.ResponseWriter, r *http.Request, status int, form NewTokenForm, created *CreatedToken) {
	tokens, err := h.Auth.ListTokens(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.Render(w, r, status, AdminTokensPage(h.Site, Tokens{
		Tokens:  tokens,
		Form:    form,
		Created: created,
		CopyJS:  h.Site.CopyJS,
	}))
}
