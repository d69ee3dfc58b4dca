package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/waymarkhq/waymark/internal/notify"
)

// demoChannel is the notification channel the demo points at its own
// webhook receiver, so that a page from the bad deploy shows in the log.
const demoChannel = "demo-webhook"

// demoWebhook receives the demo's alert notifications and logs them, as an
// on-call tool would show them. It listens on a free loopback port and
// points the demo channel at it.
func (d *deps) demoWebhook(ctx context.Context) (service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return service{}, fmt.Errorf("demo webhook: listen: %w", err)
	}
	in := notify.ChannelInput{Name: demoChannel, Kind: notify.ChannelWebhook, URL: "http://" + ln.Addr().String() + "/alerts", Enabled: true}
	if err := d.upsertChannel(ctx, in); err != nil {
		ln.Close()
		return service{}, err
	}
	log := d.log.With("service", demoChannel)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p notify.WebhookPayload
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p); err != nil {
			http.Error(w, "not a Waymark webhook payload", http.StatusBadRequest)
			return
		}
		attrs := []any{"event", p.Event, "state", p.State, "journey", p.Journey.Slug, "slo", p.SLO.Name, "summary", p.Summary}
		if p.Deployment != nil {
			attrs = append(attrs, "after_deploy", p.Deployment.Service+" "+p.Deployment.Version)
		}
		log.Warn("alert notification received", attrs...)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return service{name: demoChannel, run: func(ctx context.Context) error {
		go func() { <-ctx.Done(); _ = srv.Close() }()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}}, nil
}

// upsertChannel creates the channel named in.Name or points it at in's URL.
func (d *deps) upsertChannel(ctx context.Context, in notify.ChannelInput) error {
	chs, err := d.alerting.notify.Channels(ctx)
	if err != nil {
		return fmt.Errorf("demo webhook: %w", err)
	}
	for _, c := range chs {
		if c.Name == in.Name {
			_, err := d.alerting.notify.UpdateChannel(ctx, c.ID, in)
			return err
		}
	}
	_, err = d.alerting.notify.CreateChannel(ctx, in)
	return err
}
