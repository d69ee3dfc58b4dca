package web

import (
	"net/http"
	"strings"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/web/views"
)

// adminChannelEdit shows a channel's form. The URL input starts empty: the
// stored URL may hold a secret, and an empty one is kept on save.
func (h *handler) adminChannelEdit(w http.ResponseWriter, r *http.Request) {
	c, err := h.loadChannel(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := views.ChannelForm{Name: c.Name, Kind: string(c.Kind), Journeys: strings.Join(c.Journeys, ", "), Enabled: c.Enabled}
	h.render(w, r, http.StatusOK, views.AdminChannelEditPage(h.site, views.AdminChannelEdit{Channel: c, Form: form}))
}

// adminChannelUpdate saves a channel's form and goes back to the list;
// invalid input re-renders it as typed (422).
func (h *handler) adminChannelUpdate(w http.ResponseWriter, r *http.Request) {
	c, err := h.loadChannel(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := parseSmallForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	form := readChannelForm(r.PostForm)
	in := channelInput(form, c.URL)
	fields := checkChannelText(in)
	if len(fields) == 0 {
		_, err = h.saveChannel(r, "channel.update", c, in)
		var ok bool
		if fields, ok = channelFieldErrors(in.Name, err); !ok && err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if len(fields) > 0 {
		form.Errors = formChannelErrors(fields)
		h.render(w, r, http.StatusUnprocessableEntity, views.AdminChannelEditPage(h.site, views.AdminChannelEdit{Channel: c, Form: form}))
		return
	}
	redirect(w, r, "/admin/channels")
}

// adminChannelEnable turns a channel on; enabling an enabled one changes
// nothing.
func (h *handler) adminChannelEnable(w http.ResponseWriter, r *http.Request) {
	h.setChannelEnabled(w, r, true)
}

// adminChannelDisable turns a channel off, keeping its settings: alerts
// stop going to it until it is enabled again.
func (h *handler) adminChannelDisable(w http.ResponseWriter, r *http.Request) {
	h.setChannelEnabled(w, r, false)
}

func (h *handler) setChannelEnabled(w http.ResponseWriter, r *http.Request, enabled bool) {
	c, err := h.loadChannel(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if c.Enabled != enabled {
		action := "channel.disable"
		if enabled {
			action = "channel.enable"
		}
		in := alerting.ChannelInput{Name: c.Name, Kind: c.Kind, URL: c.URL, Journeys: c.Journeys, Enabled: enabled}
		if _, err := h.saveChannel(r, action, c, in); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	redirect(w, r, "/admin/channels")
}
