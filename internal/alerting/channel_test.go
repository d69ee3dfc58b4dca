package alerting_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerting"
)

func TestChannelValidation(t *testing.T) {
	t.Parallel()
	ok := alerting.ChannelInput{Name: "oncall", Kind: alerting.ChannelSlack, URL: "https://hooks.slack.com/services/T/B/x"}
	tests := []struct {
		name   string
		modify func(*alerting.ChannelInput)
		want   string
	}{
		{"ok", func(*alerting.ChannelInput) {}, ""},
		{"no name", func(c *alerting.ChannelInput) { c.Name = " " }, "name: required"},
		{"long name", func(c *alerting.ChannelInput) { c.Name = strings.Repeat("n", 101) }, "name: must be at most 100 characters"},
		{"kind", func(c *alerting.ChannelInput) { c.Kind = "pagerduty" }, `kind: unknown kind "pagerduty"; use webhook, slack or alertmanager`},
		{"no url", func(c *alerting.ChannelInput) { c.URL = "" }, "url: required"},
		{"scheme", func(c *alerting.ChannelInput) { c.URL = "file:///etc/passwd" }, "url: must be an http or https URL"},
		{"journeys", func(c *alerting.ChannelInput) { c.Journeys = []string{"shop", "Bad Slug"} }, `journeys[1]: "Bad Slug" is not a journey slug`},
		{"several", func(c *alerting.ChannelInput) { c.Name, c.URL = "", "" }, "name: required; url: required"},
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
			require.ErrorIs(t, err, alerting.ErrInvalid)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestChannelCRUD(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(), alerting.Options{})
	created, err := f.svc.CreateChannel(f.ctx, alerting.ChannelInput{Name: " oncall ", Kind: alerting.ChannelAlertmanager, URL: "http://am:9093", Enabled: true})
	require.NoError(t, err)
	require.Equal(t, alerting.Channel{ID: created.ID, Name: "oncall", Kind: alerting.ChannelAlertmanager, URL: "http://am:9093",
		Journeys: []string{}, Enabled: true, CreatedAt: t0, UpdatedAt: t0}, created)

	_, err = f.svc.CreateChannel(f.ctx, alerting.ChannelInput{Name: "oncall", Kind: alerting.ChannelWebhook, URL: "http://x"})
	require.ErrorIs(t, err, alerting.ErrConflict)
	_, err = f.svc.CreateChannel(f.ctx, alerting.ChannelInput{Name: "x", Kind: "sms", URL: "http://x"})
	require.ErrorIs(t, err, alerting.ErrInvalid)

	f.clock.Set(at(time.Minute))
	slack, err := f.svc.CreateChannel(f.ctx, alerting.ChannelInput{Name: "a-slack", Kind: alerting.ChannelSlack,
		URL: "https://user:pw@hooks.slack.com/services/T/B/secret", Journeys: []string{"shop"}})
	require.NoError(t, err)
	require.Equal(t, "https://hooks.slack.com/…", slack.RedactedURL())

	list, err := f.svc.Channels(f.ctx)
	require.NoError(t, err)
	require.Equal(t, []alerting.Channel{slack, created}, list)

	f.clock.Set(at(2 * time.Minute))
	upd, err := f.svc.UpdateChannel(f.ctx, created.ID, alerting.ChannelInput{Name: "oncall-eu", Kind: alerting.ChannelAlertmanager, URL: "http://am-eu:9093", Enabled: false})
	require.NoError(t, err)
	require.Equal(t, "oncall-eu", upd.Name)
	require.False(t, upd.Enabled)
	require.Equal(t, t0, upd.CreatedAt)
	require.Equal(t, at(2*time.Minute), upd.UpdatedAt)
	got, err := f.svc.Channel(f.ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, upd, got)

	_, err = f.svc.UpdateChannel(f.ctx, created.ID, alerting.ChannelInput{Name: "a-slack", Kind: alerting.ChannelWebhook, URL: "http://x"})
	require.ErrorIs(t, err, alerting.ErrConflict)
	_, err = f.svc.UpdateChannel(f.ctx, 9999, alerting.ChannelInput{Name: "z", Kind: alerting.ChannelWebhook, URL: "http://x"})
	require.ErrorIs(t, err, alerting.ErrNotFound)

	require.NoError(t, f.svc.DeleteChannel(f.ctx, created.ID))
	require.ErrorIs(t, f.svc.DeleteChannel(f.ctx, created.ID), alerting.ErrNotFound)
	_, err = f.svc.Channel(f.ctx, created.ID)
	require.ErrorIs(t, err, alerting.ErrNotFound)
}
