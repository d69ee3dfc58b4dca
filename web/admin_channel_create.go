package web

import "net/http"

// adminChannelCreate adds a channel and goes back to the list. Invalid
// input re-renders the form as typed with a message beside each field
// (422).
func (h *handler) adminChannelCreate(w http.ResponseWriter, r *http.Request) {
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	if err := parseSmallForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	form := readChannelForm(r.PostForm)
	in := channelInput(form, "")
	if fields := checkChannelText(in); len(fields) > 0 {
		form.Errors = formChannelErrors(fields)
		h.renderChannels(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	c, err := h.alerting.CreateChannel(r.Context(), in)
	if fields, ok := channelFieldErrors(in.Name, err); ok {
		form.Errors = formChannelErrors(fields)
		h.renderChannels(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auditChannel(r, "channel.create", c.ID, nil, &c)
	redirect(w, r, "/admin/channels")
}
