package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/httpx"
)

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
func readChannelBody(r *http.Request, current *notify.Channel) (notify.ChannelInput, error) {
	if err := httpx.RequireJSON(r); err != nil {
		return notify.ChannelInput{}, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return notify.ChannelInput{}, fmt.Errorf("read body: %w", err)
	}
	var b channelBody
	if err := httpx.DecodeStrict(body, &b, "channel"); err != nil {
		return notify.ChannelInput{}, err
	}
	in := notify.ChannelInput{Name: b.Name, Kind: notify.ChannelKind(b.Kind), URL: b.URL, Journeys: b.Journeys, Enabled: true}
	if current != nil {
		in.Enabled = current.Enabled
		if in.URL == "" {
			in.URL = current.URL
		}
	}
	if b.Enabled != nil {
		in.Enabled = *b.Enabled
	}
	if fields := alerthttp.CheckChannelText(in); len(fields) > 0 {
		return in, invalidChannel(fields, nil)
	}
	return in, nil
}

// invalidChannel is the 422 (409 for a taken name) of a channel that
// cannot be saved as sent.
func invalidChannel(fields map[string]string, err error) *httpx.Error {
	if errors.Is(err, fault.ErrConflict) {
		return &httpx.Error{Status: http.StatusConflict, Msg: "conflict", Fields: fields, Err: err}
	}
	return &httpx.Error{Status: http.StatusUnprocessableEntity, Msg: "invalid channel", Fields: fields, Err: err}
}

// saveChannelErr classifies an error from saving channel name.
func saveChannelErr(name string, err error) error {
	if fields, ok := alerthttp.ChannelFieldErrors(name, err); ok {
		return invalidChannel(fields, err)
	}
	return err
}

// ChannelList lists every channel by name.
func (h *Handler) ChannelList(w http.ResponseWriter, r *http.Request) {
	cs, err := h.alerting.Channels(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	out := make([]alerthttp.Channel, len(cs))
	for i, c := range cs {
		out[i] = alerthttp.ChannelOf(c)
	}
	h.WriteJSON(w, r, http.StatusOK, struct {
		Channels []alerthttp.Channel `json:"channels"`
	}{out})
}

// ChannelCreate adds a channel: 201 with it, URL redacted.
func (h *Handler) ChannelCreate(w http.ResponseWriter, r *http.Request) {
	in, err := readChannelBody(r, nil)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	c, err := h.alerting.CreateChannel(r.Context(), in)
	if err != nil {
		h.Fail(w, r, saveChannelErr(in.Name, err))
		return
	}
	h.ch.Audit(r, "channel.create", c.ID, nil, &c)
	w.Header().Set("Location", "/api/v1/channels/"+strconv.FormatInt(c.ID, 10))
	h.WriteJSON(w, r, http.StatusCreated, alerthttp.ChannelOf(c))
}

// ChannelGet shows one channel, URL redacted.
func (h *Handler) ChannelGet(w http.ResponseWriter, r *http.Request) {
	c, err := h.ch.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, alerthttp.ChannelOf(c))
}

// ChannelPut replaces a channel's settings (see channelBody for the
// url and enabled it keeps).
func (h *Handler) ChannelPut(w http.ResponseWriter, r *http.Request) {
	c, err := h.ch.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	in, err := readChannelBody(r, &c)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	after, err := h.ch.Save(r, "channel.update", c, in)
	if err != nil {
		h.Fail(w, r, saveChannelErr(in.Name, err))
		return
	}
	h.WriteJSON(w, r, http.StatusOK, alerthttp.ChannelOf(after))
}

// ChannelDelete deletes a channel and its pending deliveries: 204.
func (h *Handler) ChannelDelete(w http.ResponseWriter, r *http.Request) {
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
	w.WriteHeader(http.StatusNoContent)
}
