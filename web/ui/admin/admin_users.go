package admin

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/httpx"
)

// AdminUsers lists every account, with the form to add one.
func (h *Handler) AdminUsers(w http.ResponseWriter, r *http.Request) {
	h.renderUsers(w, r, http.StatusOK, NewUserForm{Role: string(auth.RoleViewer)}, nil)
}

// renderUsers shows the users page with form as typed and, once, a
// generated password.
func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, status int, form NewUserForm, issued *IssuedPassword) {
	users, err := h.Auth.ListUsers(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	p, _ := httpx.Principal(r)
	h.Render(w, r, status, AdminUsersPage(h.Site, Users{
		Users:  users,
		Self:   p.UserID,
		Form:   form,
		Issued: issued,
		CopyJS: h.Site.CopyJS,
	}))
}
