package admin

import (
	"net/http"
	"strings"

	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/httpx"
)

// AdminChannelEdit shows a channel's form. The URL input starts empty: the
// stored URL may hold a secret, and an empty one is kept on save.
func (h *Handler) AdminChannelEdit(w http.ResponseWriter, r *http.Request) {
	c, err := h.ch.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	form := ChannelForm{Name: c.Name, Kind: string(c.Kind), Journeys: strings.Join(c.Journeys, ", "), Enabled: c.Enabled}
	h.Render(w, r, http.StatusOK, AdminChannelEditPage(h.Site, ChannelEdit{Channel: c, Form: form}))
}

// AdminChannelUpdate saves a channel's form and goes back to the list;
// invalid input re-renders it as typed (422).
func (h *Handler) AdminChannelUpdate(w http.ResponseWriter, r *http.Request) {
	c, err := h.ch.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := parseSmallForm(w, r); err != nil {
		h.Fail(w, r, err)
		return
	}
	form := readChannelForm(r.PostForm)
	in := channelInput(form, c.URL)
	fields := alerthttp.CheckChannelText(in)
	if len(fields) == 0 {
		_, err = h.ch.Save(r, "channel.update", c, in)
		var ok bool
		if fields, ok = alerthttp.ChannelFieldErrors(in.Name, err); !ok && err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	if len(fields) > 0 {
		form.Errors = formChannelErrors(fields)
		h.Render(w, r, http.StatusUnprocessableEntity, AdminChannelEditPage(h.Site, ChannelEdit{Channel: c, Form: form}))
		return
	}
	httpx.Redirect(w, r, "/admin/channels")
}

// AdminChannelEnable turns a channel on; enabling an enabled one changes
// nothing.
func (h *Handler) AdminChannelEnable(w http.ResponseWriter, r *http.Request) {
	h.setChannelEnabled(w, r, true)
}

// AdminChannelDisable turns a channel off, keeping its settings: alerts
// stop going to it until it is enabled again.
func (h *Handler) AdminChannelDisable(w http.ResponseWriter, r *http.Request) {
	h.setChannelEnabled(w, r, false)
}

func (h *Handler) setChannelEnabled(w http.ResponseWriter, r *http.Request, enabled bool) {
	c, err := h.ch.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if c.Enabled != enabled {
		action := "channel.disable"
		if enabled {
			action = "channel.enable"
		}
		in := notify.ChannelInput{Name: c.Name, Kind: c.Kind, URL: c.URL, Journeys: c.Journeys, Enabled: enabled}
		if _, err := h.ch.Save(r, action, c, in); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	httpx.Redirect(w, r, "/admin/channels")
}
