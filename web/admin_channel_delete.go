package web

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/views"
)

// adminChannelDeleteConfirm asks before deleting a channel.
func (h *handler) adminChannelDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	c, err := h.loadChannel(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.AdminChannelDeletePage(h.site, c))
}

// adminChannelDelete deletes a channel, and its pending deliveries, and
// goes back to the list.
func (h *handler) adminChannelDelete(w http.ResponseWriter, r *http.Request) {
	c, err := h.loadChannel(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.alerting.DeleteChannel(r.Context(), c.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.auditChannel(r, "channel.delete", c.ID, &c, nil)
	redirect(w, r, "/admin/channels")
}
