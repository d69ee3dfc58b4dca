package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// openSource builds the configured trace source. With the embedded source
// the span store is kept too, because serve also runs its OTLP receiver and
// its retention.
func (d *deps) openSource() error {
	switch d.cfg.TraceSource {
	case config.SourceTempo:
		c, err := tempo.New(tempo.Options{
			BaseURL:  d.cfg.Tempo.URL,
			Tenant:   d.cfg.Tempo.Tenant,
			User:     d.cfg.Tempo.User,
			Password: d.cfg.Tempo.Password,
			Token:    d.cfg.Tempo.Token,
			Timeout:  d.cfg.Tempo.Timeout,
			Logger:   d.log,
		})
		if err != nil {
			return &configError{err: fmt.Errorf("WAYMARK_TEMPO_URL: %w", err)}
		}
		d.source = tempo.NewSource(c, tempo.SourceOptions{Logger: d.log})
		d.jobSource = d.source
	default:
		d.spans = spanstore.NewStore(d.ingestDB(), d.log)
		d.source = d.spans.WithPool(d.pool)
		d.jobSource = d.spans.WithPool(d.jobsDB())
	}
	return nil
}

// sourceInfo names the trace source for the sources page: Tempo's URL,
// or the embedded store's OTLP address, with the lag the rollups read at.
func (d deps) sourceInfo() journeyhttp.Source {
	if d.cfg.TraceSource == config.SourceTempo {
		return journeyhttp.Source{Kind: "tempo", Target: d.cfg.Tempo.URL, Lag: jobs.TempoLag}
	}
	return journeyhttp.Source{Kind: "embedded", Target: "OTLP/HTTP on " + d.cfg.OTLPListen, Lag: jobs.DefaultLag}
}

// sourceServices are the embedded store's OTLP receiver and its retention.
// The receiver listens at once, so that a busy port fails the start.
func (d deps) sourceServices() ([]service, error) {
	if d.spans == nil {
		return nil, nil
	}
	ln, err := net.Listen("tcp", d.cfg.OTLPListen)
	if err != nil {
		return nil, fmt.Errorf("otlp: listen on %s (WAYMARK_OTLP_LISTEN): %w", d.cfg.OTLPListen, err)
	}
	srv := spanstore.NewServer(d.cfg.OTLPListen, spanstore.NewReceiver(d.spans, spanstore.Config{}, d.log), d.log)
	receiver := service{name: "otlp", run: func(ctx context.Context) error { return srv.Serve(ctx, ln) }}
	retention := service{name: "span-retention", run: d.spanRetention}
	return []service{receiver, retention}, nil
}

// spanRetention drops whole days of spans older than the retention, hourly.
// Dropping partitions costs nothing per span, so it never competes with
// ingest the way a DELETE would.
func (d deps) spanRetention(ctx context.Context) error {
	keep := time.Duration(d.cfg.SpanRetentionDays) * 24 * time.Hour
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		dropped, err := d.spans.DropBefore(ctx, time.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			d.log.Warn("span retention failed", "err", err)
		case len(dropped) > 0:
			d.log.Info("dropped old spans", "partitions", dropped)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

var _ rollup.TraceSource = (*spanstore.Store)(nil)
var _ rollup.TraceSource = (*tempo.Source)(nil)
