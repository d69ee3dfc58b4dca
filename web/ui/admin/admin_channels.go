package admin

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/web/httpx"
)

// AdminChannels lists the notification channels, URLs redacted, with the
// form to add one.
func (h *Handler) AdminChannels(w http.ResponseWriter, r *http.Request) {
	h.renderChannels(w, r, http.StatusOK, ChannelForm{Kind: string(notify.ChannelWebhook), Enabled: true})
}

// renderChannels shows the channels page with form as typed.
func (h *Handler) renderChannels(w http.ResponseWriter, r *http.Request, status int, form ChannelForm) {
	channels, err := h.alerting.Channels(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.Render(w, r, status, AdminChannelsPage(h.Site, Channels{Channels: channels, Form: form}))
}

// readChannelForm reads the channel form as typed.
func readChannelForm(v url.Values) ChannelForm {
	return ChannelForm{
		Name:     strings.TrimSpace(v.Get("name")),
		Kind:     strings.TrimSpace(v.Get("kind")),
		URL:      strings.TrimSpace(v.Get("url")),
		Journeys: strings.TrimSpace(v.Get("journeys")),
		Enabled:  v.Get("enabled") != "",
	}
}

// channelInput is the channel a form describes; keepURL stands in for an
// empty URL (the stored one, on edit).
func channelInput(f ChannelForm, keepURL string) notify.ChannelInput {
	in := notify.ChannelInput{
		Name: f.Name, Kind: notify.ChannelKind(f.Kind), URL: f.URL,
		Journeys: httpx.SplitList(f.Journeys), Enabled: f.Enabled,
	}
	if in.URL == "" {
		in.URL = keepURL
	}
	return in
}

// formChannelErrors places field errors on the form, whose journeys are
// one input: the first bad slug's message is shown beside it.
func formChannelErrors(fields map[string]string) map[string]string {
	out := map[string]string{}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return journeyIndex(keys[i]) < journeyIndex(keys[j]) })
	for _, k := range keys {
		field := k
		if strings.HasPrefix(k, "journeys[") {
			field = "journeys"
		}
		if _, ok := out[field]; !ok {
			out[field] = fields[k]
		}
	}
	return out
}

// journeyIndex orders journeys[N] keys by N, other keys first.
func journeyIndex(k string) int {
	rest, ok := strings.CutPrefix(k, "journeys[")
	if !ok {
		return -1
	}
	n, _ := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	return n
}
