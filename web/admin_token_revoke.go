package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
)

// adminTokenRevoke revokes an API token: the next request with it is
// refused. Revoking a revoked token changes nothing.
func (h *handler) adminTokenRevoke(w http.ResponseWriter, r *http.Request) {
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, errorf(http.StatusBadRequest, "%q is not a token id: expected a positive whole number", raw))
		return
	}
	p, _ := principal(r)
	if _, err := h.auth.RevokeToken(r.Context(), p, id); err != nil {
		h.fail(w, r, authError(err))
		return
	}
	redirect(w, r, "/admin/tokens")
}
