package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/web/views"
)

// adminChannels lists the notification channels, URLs redacted, with the
// form to add one.
func (h *handler) adminChannels(w http.ResponseWriter, r *http.Request) {
	h.renderChannels(w, r, http.StatusOK, views.ChannelForm{Kind: string(alerting.ChannelWebhook), Enabled: true})
}

// renderChannels shows the channels page with form as typed.
func (h *handler) renderChannels(w http.ResponseWriter, r *http.Request, status int, form views.ChannelForm) {
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	channels, err := h.alerting.Channels(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, views.AdminChannelsPage(h.site, views.AdminChannels{Channels: channels, Form: form}))
}

// readChannelForm reads the channel form as typed.
func readChannelForm(v url.Values) views.ChannelForm {
	return views.ChannelForm{
		Name:     strings.TrimSpace(v.Get("name")),
		Kind:     strings.TrimSpace(v.Get("kind")),
		URL:      strings.TrimSpace(v.Get("url")),
		Journeys: strings.TrimSpace(v.Get("journeys")),
		Enabled:  v.Get("enabled") != "",
	}
}

// channelInput is the channel a form describes; keepURL stands in for an
// empty URL (the stored one, on edit).
func channelInput(f views.ChannelForm, keepURL string) alerting.ChannelInput {
	in := alerting.ChannelInput{
		Name: f.Name, Kind: alerting.ChannelKind(f.Kind), URL: f.URL,
		Journeys: splitList(f.Journeys), Enabled: f.Enabled,
	}
	if in.URL == "" {
		in.URL = keepURL
	}
	return in
}

// checkChannelText refuses NUL characters, which Postgres text cannot
// hold, as field errors rather than a failed insert.
func checkChannelText(in alerting.ChannelInput) map[string]string {
	fields := map[string]string{}
	for name, v := range map[string]string{"name": in.Name, "kind": string(in.Kind), "url": in.URL} {
		if strings.ContainsRune(v, 0) {
			fields[name] = "must not contain NUL characters"
		}
	}
	for i, s := range in.Journeys {
		if strings.ContainsRune(s, 0) {
			fields["journeys["+strconv.Itoa(i)+"]"] = "must not contain NUL characters"
		}
	}
	return fields
}

// channelFieldErrors turns what saving a channel failed with into
// messages per field, as the API names them (journeys[1], name). It
// reports false for errors that are not about the input.
func channelFieldErrors(name string, err error) (map[string]string, bool) {
	var ve *alerting.ValidationError
	switch {
	case errors.As(err, &ve):
		return ve.Fields, true
	case errors.Is(err, alerting.ErrConflict):
		return map[string]string{"name": fmt.Sprintf("another channel is named %q", name)}, true
	}
	return nil, false
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

// channelID reads the {id} of a channel route.
func channelID(r *http.Request) (int64, error) {
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusBadRequest, "%q is not a channel id: expected a positive whole number", raw)
	}
	return id, nil
}

// loadChannel reads the channel of the request's {id}.
func (h *handler) loadChannel(r *http.Request) (alerting.Channel, error) {
	if h.alerting == nil {
		return alerting.Channel{}, errNoAlerting
	}
	id, err := channelID(r)
	if err != nil {
		return alerting.Channel{}, err
	}
	return h.alerting.Channel(r.Context(), id)
}

// channelDoc is what the audit log keeps of a channel: everything but the
// URL's secret parts.
func channelDoc(c *alerting.Channel) json.RawMessage {
	if c == nil {
		return nil
	}
	return jsonDoc(toAPIChannel(*c))
}

// auditChannel records a change of a channel through r; before and after
// are nil when it did not exist.
func (h *handler) auditChannel(r *http.Request, action string, id int64, before, after *alerting.Channel) {
	p, ok := principal(r)
	if !ok {
		return
	}
	e := p.Entry(action, "channel", strconv.FormatInt(id, 10))
	e.Before, e.After = channelDoc(before), channelDoc(after)
	h.recordAfter(r, e)
}

// saveChannel replaces channel c with in and records the change as action.
func (h *handler) saveChannel(r *http.Request, action string, c alerting.Channel, in alerting.ChannelInput) (alerting.Channel, error) {
	after, err := h.alerting.UpdateChannel(r.Context(), c.ID, in)
	if err != nil {
		return alerting.Channel{}, err
	}
	h.auditChannel(r, action, c.ID, &c, &after)
	return after, nil
}
