package web

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/views"
)

// adminUsers lists every account, with the form to add one.
func (h *handler) adminUsers(w http.ResponseWriter, r *http.Request) {
	h.renderUsers(w, r, http.StatusOK, views.NewUserForm{Role: string(auth.RoleViewer)}, nil)
}

// renderUsers shows the users page with form as typed and, once, a
// generated password.
func (h *handler) renderUsers(w http.ResponseWriter, r *http.Request, status int, form views.NewUserForm, issued *views.IssuedPassword) {
	users, err := h.auth.ListUsers(r.Context())
	if err != nil {
		h.fail(w, r, authError(err))
		return
	}
	p, _ := principal(r)
	h.render(w, r, status, views.AdminUsersPage(h.site, views.AdminUsers{
		Users:  users,
		Self:   p.UserID,
		Form:   form,
		Issued: issued,
		CopyJS: h.assets.url("copy.js"),
	}))
}
