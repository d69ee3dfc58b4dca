package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/pgtest"
)

func TestDemoWebhookLogsAlertsAndKeepsOneChannel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	var logs bytes.Buffer
	d := &deps{log: slog.New(slog.NewTextHandler(&logs, nil)), pool: pool, store: journeystore.New(pool)}
	d.alerting = newAlertServices(pool, d.store, "", nil)

	first, err := d.demoWebhook(ctx)
	require.NoError(t, err)
	second, err := d.demoWebhook(ctx) // a restart points the same channel at the new port
	require.NoError(t, err)
	chs, err := d.alerting.notify.Channels(ctx)
	require.NoError(t, err)
	require.Len(t, chs, 1)
	require.Equal(t, demoChannel, chs[0].Name)
	require.Equal(t, notify.ChannelWebhook, chs[0].Kind)

	done := make(chan error, 2)
	go func() { done <- first.run(ctx) }()
	go func() { done <- second.run(ctx) }()

	body := `{"event":"firing","state":"page","journey":{"slug":"shop-checkout"},"slo":{"name":"payment-success"},"summary":"burning","deployment":{"service":"payment_svc","version":"4.2.0"}}`
	resp, err := http.Post(chs[0].URL, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Contains(t, logs.String(), `msg="alert notification received" service=demo-webhook event=firing state=page journey=shop-checkout slo=payment-success summary=burning after_deploy="payment_svc 4.2.0"`)

	resp, err = http.Post(chs[0].URL, "application/json", strings.NewReader("not json"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	cancel()
	require.NoError(t, <-done)
	require.NoError(t, <-done)
}
