package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/waymarkhq/waymark/internal/alerting"
)

// apiChannel is a channel as the API shows it. URL is redacted (scheme and
// host): the stored one may hold a secret and is never read back.
type apiChannel struct {
	ID        int64                `json:"id"`
	Name      string               `json:"name"`
	Kind      alerting.ChannelKind `json:"kind"`
	URL       string               `json:"url"`
	Journeys  []string             `json:"journeys"`
	Enabled   bool                 `json:"enabled"`
	CreatedAt time.Time            `json:"created_at"`
	UpdatedAt time.Time            `json:"updated_at"`
}

func toAPIChannel(c alerting.Channel) apiChannel {
	js := c.Journeys
	if js == nil {
		js = []string{}
	}
	return apiChannel{ID: c.ID, Name: c.Name, Kind: c.Kind, URL: c.RedactedURL(), Journeys: js, Enabled: c.Enabled,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// channelBody is a channel as clients send it. On PUT an empty url keeps
// the stored one, since GET never shows it; an omitted enabled means true
// on POST and unchanged on PUT.
type channelBody struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	URL      string   `json:"url"`
	Journeys []string `json:"journeys"`
	Enabled  *bool    `json:"enabled"`
}

// readChannelBody decodes a channel body into the input to save, starting
// from current (the stored channel on PUT, nil on POST).
func readChannelBody(r *http.Request, current *alerting.Channel) (alerting.ChannelInput, error) {
	if err := requireJSONBody(r); err != nil {
		return alerting.ChannelInput{}, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return alerting.ChannelInput{}, fmt.Errorf("read body: %w", err)
	}
	var b channelBody
	if err := decodeStrict(body, &b, "channel"); err != nil {
		return alerting.ChannelInput{}, err
	}
	in := alerting.ChannelInput{Name: b.Name, Kind: alerting.ChannelKind(b.Kind), URL: b.URL, Journeys: b.Journeys, Enabled: true}
	if current != nil {
		in.Enabled = current.Enabled
		if in.URL == "" {
			in.URL = current.URL
		}
	}
	if b.Enabled != nil {
		in.Enabled = *b.Enabled
	}
	if fields := checkChannelText(in); len(fields) > 0 {
		return in, invalidChannel(fields, nil)
	}
	return in, nil
}

// invalidChannel is the 422 (409 for a taken name) of a channel that
// cannot be saved as sent.
func invalidChannel(fields map[string]string, err error) *httpError {
	if errors.Is(err, alerting.ErrConflict) {
		return &httpError{status: http.StatusConflict, msg: "conflict", fields: fields, err: err}
	}
	return &httpError{status: http.StatusUnprocessableEntity, msg: "invalid channel", fields: fields, err: err}
}

// saveChannelErr classifies an error from saving channel name.
func saveChannelErr(name string, err error) error {
	if fields, ok := channelFieldErrors(name, err); ok {
		return invalidChannel(fields, err)
	}
	return err
}

// apiChannelList lists every channel by name.
func (h *handler) apiChannelList(w http.ResponseWriter, r *http.Request) {
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	cs, err := h.alerting.Channels(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]apiChannel, len(cs))
	for i, c := range cs {
		out[i] = toAPIChannel(c)
	}
	h.writeJSON(w, r, http.StatusOK, struct {
		Channels []apiChannel `json:"channels"`
	}{out})
}

// apiChannelCreate adds a channel: 201 with it, URL redacted.
func (h *handler) apiChannelCreate(w http.ResponseWriter, r *http.Request) {
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	in, err := readChannelBody(r, nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.alerting.CreateChannel(r.Context(), in)
	if err != nil {
		h.fail(w, r, saveChannelErr(in.Name, err))
		return
	}
	h.auditChannel(r, "channel.create", c.ID, nil, &c)
	w.Header().Set("Location", "/api/v1/channels/"+strconv.FormatInt(c.ID, 10))
	h.writeJSON(w, r, http.StatusCreated, toAPIChannel(c))
}

// apiChannelGet shows one channel, URL redacted.
func (h *handler) apiChannelGet(w http.ResponseWriter, r *http.Request) {
	c, err := h.loadChannel(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, toAPIChannel(c))
}

// apiChannelPut replaces a channel's settings (see channelBody for the
// url and enabled it keeps).
func (h *handler) apiChannelPut(w http.ResponseWriter, r *http.Request) {
	c, err := h.loadChannel(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := readChannelBody(r, &c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	after, err := h.saveChannel(r, "channel.update", c, in)
	if err != nil {
		h.fail(w, r, saveChannelErr(in.Name, err))
		return
	}
	h.writeJSON(w, r, http.StatusOK, toAPIChannel(after))
}

// apiChannelDelete deletes a channel and its pending deliveries: 204.
func (h *handler) apiChannelDelete(w http.ResponseWriter, r *http.Request) {
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
	w.WriteHeader(http.StatusNoContent)
}
