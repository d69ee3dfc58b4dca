package admin

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/web/httpx"
)

// AdminTokenRevoke revokes an API token: the next request with it is
// refused. Revoking a revoked token changes nothing.
func (h *Handler) AdminTokenRevoke(w http.ResponseWriter, r *http.Request) {
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		h.Fail(w, r, httpx.Errorf(http.StatusBadRequest, "%q is not a token id: expected a positive whole number", raw))
		return
	}
	p, _ := httpx.Principal(r)
	if _, err := h.Auth.RevokeToken(r.Context(), p, id); err != nil {
		h.Fail(w, r, err)
		return
	}
	httpx.Redirect(w, r, "/admin/tokens")
}
