package web

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/views"
)

// adminTokens lists every API token, revoked ones too, with the form to
// create one.
func (h *handler) adminTokens(w http.ResponseWriter, r *http.Request) {
	h.renderTokens(w, r, http.StatusOK, views.NewTokenForm{}, nil)
}

// renderTokens shows the tokens page with form as typed and, once, a new
// token's secret.
func (h *handler) renderTokens(w http.ResponseWriter, r *http.Request, status int, form views.NewTokenForm, created *views.CreatedToken) {
	tokens, err := h.auth.ListTokens(r.Context())
	if err != nil {
		h.fail(w, r, authError(err))
		return
	}
	h.render(w, r, status, views.AdminTokensPage(h.site, views.AdminTokens{
		Tokens:  tokens,
		Form:    form,
		Created: created,
		CopyJS:  h.assets.url("copy.js"),
	}))
}
