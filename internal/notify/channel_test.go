package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/notify"
)

func TestChannelValidation(t *testing.T) {
	t.Parallel()
	ok := notify.ChannelInput{Name: "oncall", Kind: notify.ChannelSlack, URL: "https://hooks.slack.com/services/T/B/x"}
	tests := []struct {
		name   string
		modify func(*notify.ChannelInput)
		want   string
	}{
		{"ok", func(*notify.ChannelInput) {}, ""},
		{"no name", func(c *notify.ChannelInput) { c.Name = " " }, "name: required"},
		{"long name", func(c *notify.ChannelInput) { c.Name = strings.Repeat("n", 101) }, "name: must be at most 100 characters"},
		{"kind", func(c *notify.ChannelInput) { c.Kind = "pagerduty" }, `kind: unknown kind "pagerduty"; use webhook, slack or alertmanager`},
		{"no url", func(c *notify.ChannelInput) { c.URL = "" }, "url: required"},
		{"scheme", func(c *notify.ChannelInput) { c.URL = "file:///etc/passwd" }, "url: must be an http or https URL"},
		{"journeys", func(c *notify.ChannelInput) { c.Journeys = []string{"shop", "Bad Slug"} }, `journeys[1]: "Bad Slug" is not a journey slug`},
		{"several", func(c *notify.ChannelInput) { c.Name, c.URL = "", "" }, "name: required; url: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := ok
			tt.modify(&in)
			err := in.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, fault.ErrInvalid)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestChannelCRUD(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(), alerttest.Options{})
	created, err := f.svc.CreateChannel(f.ctx, notify.ChannelInput{Name: " oncall ", Kind: notify.ChannelAlertmanager, URL: "http://am:9093", Enabled: true})
	require.NoError(t, err)
	require.Equal(t, notify.Channel{ID: created.ID, Name: "oncall", Kind: notify.ChannelAlertmanager, URL: "http://am:9093",
		Journeys: []string{}, Enabled: true, CreatedAt: t0, UpdatedAt: t0}, created)

	_, err = f.svc.CreateChannel(f.ctx, notify.ChannelInput{Name: "oncall", Kind: notify.ChannelWebhook, URL: "http://x"})
	require.ErrorIs(t, err, fault.ErrConflict)
	_, err = f.svc.CreateChannel(f.ctx, notify.ChannelInput{Name: "x", Kind: "sms", URL: "http://x"})
	require.ErrorIs(t, err, fault.ErrInvalid)

	f.clock.Set(at(time.Minute))
	slack, err := f.svc.CreateChannel(f.ctx, notify.ChannelInput{Name: "a-slack", Kind: notify.ChannelSlack,
		URL: "https://user:pw@hooks.slack.com/services/T/B/secret", Journeys: []string{"shop"}})
	require.NoError(t, err)
	require.Equal(t, "https://hooks.slack.com/…", slack.RedactedURL())

	list, err := f.svc.Channels(f.ctx)
	require.NoError(t, err)
	require.Equal(t, []notify.Channel{slack, created}, list)

	f.clock.Set(at(2 * time.Minute))
	upd, err := f.svc.UpdateChannel(f.ctx, created.ID, notify.ChannelInput{Name: "oncall-eu", Kind: notify.ChannelAlertmanager, URL: "http://am-eu:9093", Enabled: false})
	require.NoError(t, err)
	require.Equal(t, "oncall-eu", upd.Name)
	require.False(t, upd.Enabled)
	require.Equal(t, t0, upd.CreatedAt)
	require.Equal(t, at(2*time.Minute), upd.UpdatedAt)
	got, err := f.svc.Channel(f.ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, upd, got)

	_, err = f.svc.UpdateChannel(f.ctx, created.ID, notify.ChannelInput{Name: "a-slack", Kind: notify.ChannelWebhook, URL: "http://x"})
	require.ErrorIs(t, err, fault.ErrConflict)
	_, err = f.svc.UpdateChannel(f.ctx, 9999, notify.ChannelInput{Name: "z", Kind: notify.ChannelWebhook, URL: "http://x"})
	require.ErrorIs(t, err, fault.ErrNotFound)

	require.NoError(t, f.svc.DeleteChannel(f.ctx, created.ID))
	require.ErrorIs(t, f.svc.DeleteChannel(f.ctx, created.ID), fault.ErrNotFound)
	_, err = f.svc.Channel(f.ctx, created.ID)
	require.ErrorIs(t, err, fault.ErrNotFound)
}
