package admin

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/httpx"
)

// AdminChannelCreate adds a channel and goes back to the list. Invalid
// input re-renders the form as typed with a message beside each field
// (422).
func (h *Handler) AdminChannelCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseSmallForm(w, r); err != nil {
		h.Fail(w, r, err)
		return
	}
	form := readChannelForm(r.PostForm)
	in := channelInput(form, "")
	if fields := alerthttp.CheckChannelText(in); len(fields) > 0 {
		form.Errors = formChannelErrors(fields)
		h.renderChannels(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	c, err := h.alerting.CreateChannel(r.Context(), in)
	if fields, ok := alerthttp.ChannelFieldErrors(in.Name, err); ok {
		form.Errors = formChannelErrors(fields)
		h.renderChannels(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.ch.Audit(r, "channel.create", c.ID, nil, &c)
	httpx.Redirect(w, r, "/admin/channels")
}
