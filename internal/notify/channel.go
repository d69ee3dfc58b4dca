package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/pgrow"
	"github.com/waymarkhq/waymark/journeys"
)

// ChannelKind is the format a channel receives alerts in.
type ChannelKind string

// Channel kinds.
const (
	// ChannelWebhook receives Waymark's own JSON (see WebhookPayload).
	ChannelWebhook ChannelKind = "webhook"
	// ChannelSlack is a Slack incoming webhook.
	ChannelSlack ChannelKind = "slack"
	// ChannelAlertmanager is a Prometheus Alertmanager: alerts are posted
	// to {url}/api/v2/alerts.
	ChannelAlertmanager ChannelKind = "alertmanager"
)

// Valid reports whether k is a known kind.
func (k ChannelKind) Valid() bool {
	switch k {
	case ChannelWebhook, ChannelSlack, ChannelAlertmanager:
		return true
	}
	return false
}

// MaxChannelName is the longest channel name.
const MaxChannelName = 100

// Channel is where alerts of some or all journeys are sent.
type Channel struct {
	ID   int64       `json:"id"`
	Name string      `json:"name"`
	Kind ChannelKind `json:"kind"`
	// URL may hold a secret (Slack's webhook path, basic-auth user info):
	// show RedactedURL to people.
	URL string `json:"url"`
	// Journeys limits the channel to these journey slugs; empty means all.
	Journeys  []string  `json:"journeys"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RedactedURL returns the URL with its user info and path replaced, so
// that a page can show where a channel points without its secret.
func (c Channel) RedactedURL() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "(invalid URL)"
	}
	r := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" {
		r += "/…"
	}
	return r
}

// ChannelInput is a channel to create or the new form of one to update.
type ChannelInput struct {
	Name     string      `json:"name"`
	Kind     ChannelKind `json:"kind"`
	URL      string      `json:"url"`
	Journeys []string    `json:"journeys"`
	Enabled  bool        `json:"enabled"`
}

// Validate reports every problem with in as a *fault.Invalid.
func (in ChannelInput) Validate() error {
	v := &fault.Invalid{What: "input"}
	switch name := strings.TrimSpace(in.Name); {
	case name == "":
		v.Add("name", "required")
	case !utf8.ValidString(name):
		v.Add("name", "must be UTF-8 text")
	case utf8.RuneCountInString(name) > MaxChannelName:
		v.Add("name", fmt.Sprintf("must be at most %d characters", MaxChannelName))
	}
	if !in.Kind.Valid() {
		v.Add("kind", fmt.Sprintf("unknown kind %q; use webhook, slack or alertmanager", in.Kind))
	}
	switch {
	case in.URL == "":
		v.Add("url", "required")
	case len(in.URL) > deploy.MaxDeployURL:
		v.Add("url", fmt.Sprintf("must be at most %d characters", deploy.MaxDeployURL))
	default:
		if err := deploy.CheckHTTPURL(in.URL); err != nil {
			v.Add("url", err.Error())
		}
	}
	for i, slug := range in.Journeys {
		if !journeys.ValidSlug(slug) {
			v.Add(fmt.Sprintf("journeys[%d]", i), fmt.Sprintf("%q is not a journey slug", slug))
		}
	}
	return v.Err()
}

const channelColumns = `id, name, kind, url, journeys, enabled, created_at, updated_at`

func scanChannel(row pgx.CollectableRow) (Channel, error) {
	var c Channel
	err := row.Scan(&c.ID, &c.Name, &c.Kind, &c.URL, &c.Journeys, &c.Enabled, &c.CreatedAt, &c.UpdatedAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if c.Journeys == nil {
		c.Journeys = []string{}
	}
	return c, err
}

func channelErr(op, name string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("channel %q: %w", name, fault.ErrConflict)
	}
	return fmt.Errorf("%s channel %q: %w", op, name, err)
}

func (in ChannelInput) normalized() ChannelInput {
	in.Name = strings.TrimSpace(in.Name)
	if in.Journeys == nil {
		in.Journeys = []string{}
	}
	return in
}

// CreateChannel stores a new channel. It returns a *fault.Invalid when
// in is invalid and an error wrapping fault.ErrConflict when the name is taken.
func (s *Service) CreateChannel(ctx context.Context, in ChannelInput) (Channel, error) {
	if err := in.Validate(); err != nil {
		return Channel{}, err
	}
	in = in.normalized()
	now := s.now().UTC()
	rows, err := s.pool.Query(ctx, `
		INSERT INTO notification_channels (name, kind, url, journeys, enabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		RETURNING `+channelColumns, in.Name, in.Kind, in.URL, in.Journeys, in.Enabled, now)
	if err != nil {
		return Channel{}, channelErr("create", in.Name, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanChannel)
	if err != nil {
		return Channel{}, channelErr("create", in.Name, err)
	}
	return c, nil
}

// UpdateChannel replaces a channel's settings. Deliveries already queued
// go to the channel's new URL.
func (s *Service) UpdateChannel(ctx context.Context, id int64, in ChannelInput) (Channel, error) {
	if err := in.Validate(); err != nil {
		return Channel{}, err
	}
	in = in.normalized()
	rows, err := s.pool.Query(ctx, `
		UPDATE notification_channels SET name = $2, kind = $3, url = $4, journeys = $5, enabled = $6, updated_at = $7
		WHERE id = $1
		RETURNING `+channelColumns, id, in.Name, in.Kind, in.URL, in.Journeys, in.Enabled, s.now().UTC())
	if err != nil {
		return Channel{}, channelErr("update", in.Name, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanChannel)
	if errors.Is(err, pgx.ErrNoRows) {
		return Channel{}, fmt.Errorf("channel %d: %w", id, fault.ErrNotFound)
	}
	if err != nil {
		return Channel{}, channelErr("update", in.Name, err)
	}
	return c, nil
}

// DeleteChannel removes a channel and its pending deliveries.
func (s *Service) DeleteChannel(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM notification_channels WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete channel %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("channel %d: %w", id, fault.ErrNotFound)
	}
	return nil
}

// Channel returns one channel.
func (s *Service) Channel(ctx context.Context, id int64) (Channel, error) {
	return getChannel(ctx, s.pool, id)
}

func getChannel(ctx context.Context, q querier, id int64) (Channel, error) {
	return pgrow.One(ctx, q, scanChannel, fault.ErrNotFound, fmt.Sprintf("channel %d", id),
		`SELECT `+channelColumns+` FROM notification_channels WHERE id = $1`, id)
}

// Channels lists every channel by name.
func (s *Service) Channels(ctx context.Context) ([]Channel, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+channelColumns+` FROM notification_channels ORDER BY name COLLATE "C", id`)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanChannel)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	return out, nil
}
