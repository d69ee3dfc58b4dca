package admin

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/httpx"
)

// AdminChannelDeleteConfirm asks before deleting a channel.
func (h *Handler) AdminChannelDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	c, err := h.ch.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.Render(w, r, http.StatusOK, AdminChannelDeletePage(h.Site, c))
}

// AdminChannelDelete deletes a channel, and its pending deliveries, and
// goes back to the list.
func (h *Handler) AdminChannelDelete(w http.ResponseWriter, r *http.Request) {
	c, err := h.ch.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := h.alerting.DeleteChannel(r.Context(), c.ID); err != nil {
		h.Fail(w, r, err)
		return
	}
	h.ch.Audit(r, "channel.delete", c.ID, &c, nil)
	httpx.Redirect(w, r, "/admin/channels")
}
