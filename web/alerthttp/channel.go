package alerthttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Channel is a channel as the API shows it and the audit log keeps it.
// URL is redacted (scheme and host): the stored one may hold a secret and
// is never read back.
type Channel struct {
	ID        int64              `json:"id"`
	Name      string             `json:"name"`
	Kind      notify.ChannelKind `json:"kind"`
	URL       string             `json:"url"`
	Journeys  []string           `json:"journeys"`
	Enabled   bool               `json:"enabled"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`
}

// ChannelOf is c as the API shows it.
func ChannelOf(c notify.Channel) Channel {
	js := c.Journeys
	if js == nil {
		js = []string{}
	}
	return Channel{ID: c.ID, Name: c.Name, Kind: c.Kind, URL: c.RedactedURL(), Journeys: js, Enabled: c.Enabled,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// CheckChannelText refuses text Postgres cannot hold (NUL, invalid UTF-8)
// as field errors rather than a failed insert.
func CheckChannelText(in notify.ChannelInput) map[string]string {
	fields := map[string]string{}
	for name, v := range map[string]string{"name": in.Name, "kind": string(in.Kind), "url": in.URL} {
		if p := httpx.TextProblem(v); p != "" {
			fields[name] = p
		}
	}
	for i, s := range in.Journeys {
		if p := httpx.TextProblem(s); p != "" {
			fields["journeys["+strconv.Itoa(i)+"]"] = p
		}
	}
	return fields
}

// ChannelFieldErrors turns what saving a channel failed with into
// messages per field, as the API names them (journeys[1], name). It
// reports false for errors that are not about the input.
func ChannelFieldErrors(name string, err error) (map[string]string, bool) {
	var ve *fault.Invalid
	switch {
	case errors.As(err, &ve):
		return ve.Fields, true
	case errors.Is(err, fault.ErrConflict):
		return map[string]string{"name": fmt.Sprintf("another channel is named %q", name)}, true
	}
	return nil, false
}

// ChannelFlow saves channels with their audit entries, for the channel
// pages and the API alike.
type ChannelFlow struct {
	*httpx.Base
	// Channels keeps the channels.
	Channels ChannelStore
}

// Load reads the channel of the request's {id}.
func (f *ChannelFlow) Load(r *http.Request) (notify.Channel, error) {
	id, err := httpx.PathID(r, "id", "a channel")
	if err != nil {
		return notify.Channel{}, err
	}
	return f.Channels.Channel(r.Context(), id)
}

// channelDoc is what the audit log keeps of a channel: everything but the
// URL's secret parts.
func channelDoc(c *notify.Channel) json.RawMessage {
	if c == nil {
		return nil
	}
	return httpx.JSONDoc(ChannelOf(*c))
}

// Audit records a change of a channel through r; before and after are nil
// when it did not exist.
func (f *ChannelFlow) Audit(r *http.Request, action string, id int64, before, after *notify.Channel) {
	p, ok := httpx.Principal(r)
	if !ok {
		return
	}
	e := p.Entry(action, "channel", strconv.FormatInt(id, 10))
	e.Before, e.After = channelDoc(before), channelDoc(after)
	f.RecordAfter(r, e)
}

// Save replaces channel c with in and records the change as action.
func (f *ChannelFlow) Save(r *http.Request, action string, c notify.Channel, in notify.ChannelInput) (notify.Channel, error) {
	after, err := f.Channels.UpdateChannel(r.Context(), c.ID, in)
	if err != nil {
		return notify.Channel{}, err
	}
	f.Audit(r, action, c.ID, &c, &after)
	return after, nil
}
