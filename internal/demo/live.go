package demo

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LiveConfig configures Run.
type LiveConfig struct {
	// Model is the traffic model. Start, Duration and Sessions are ignored;
	// BadDeploy offsets count from the moment Run starts. Seed 0 seeds from
	// the clock, so that two runs into one store never reuse ids.
	Model Config
	// Endpoint is the OTLP/HTTP endpoint (see ExportURL).
	Endpoint string
	// Headers go with every export, e.g. X-Scope-OrgID for a multi-tenant
	// Tempo or Authorization for a collector.
	Headers map[string]string
	// Rate is the mean number of sessions started per second (Poisson).
	Rate float64
	// Backfill sends this much history first, as if the shop had been
	// running before Run started, so that charts are not empty.
	Backfill time.Duration
	// TruthPath, when set, receives the truth of everything sent when Run
	// returns.
	TruthPath string
	// Log receives progress and export failures; nil discards.
	Log *slog.Logger
	// OnBackfilled, when set, is called once the history (Backfill) has
	// been sent and flushed, with the instant it starts at: the moment to
	// recompute anything that read the store while history was arriving.
	OnBackfilled func(from time.Time)
	// OnBadDeploy, when set, is called as the scripted bad deploy starts
	// (active) and is rolled back, so that the demo can record deploy
	// markers the way a CD pipeline would.
	OnBadDeploy func(active bool, at time.Time)
}

// DefaultLiveConfig is `waymark demo`: two sessions a second into the
// embedded receiver after 30 minutes of history, with a ten-minute bad
// deploy of app 1.5.0 (half of its payments fail, three times slower) three
// minutes in and every hour after. An hour apart, each deploy's page has
// de-escalated and resolved before the next one: with the example SLOs'
// 15-minute resolve hold that takes about 37 minutes.
func DefaultLiveConfig() LiveConfig {
	m := DefaultConfig()
	m.Seed = 0
	m.Start, m.Duration, m.Sessions = time.Time{}, 0, 0
	// A healthy shop between bad deploys, so that SLOs are met until one
	// breaks payments for a while: that is what should page. Healthy means
	// well within every example SLO, noise included: payments fail 0.05%
	// of the time against payment-success's 0.5% budget (a 0.1× burn, so
	// that the few payments of a quiet 12 minutes after an incident do not
	// reach 1× by chance), and a third of the sessions pay, above
	// checkout-conversion's 30%.
	for i, rate := range []float64{0.0003, 0.001, 0.001, 0.002, 0.0005} {
		m.Steps[i].ErrorRate = rate
	}
	for i, cont := range []float64{0.95, 0.75, 0.7, 0.9} {
		m.Steps[i].Continue = cont
	}
	// Free-tier payments are slower, yet within the example's 2s latency
	// SLO until the bad deploy makes them three times slower.
	pay := &m.Steps[StepIndex(StepPayment)]
	pay.TierLatency = map[string]float64{"free": 1.3, "pro": 1.1}
	m.BadDeploy.After = 3 * time.Minute
	m.BadDeploy.For = 10 * time.Minute
	m.BadDeploy.Every = time.Hour
	m.BadDeploy.ErrorRate = 0.5
	m.BadDeploy.Latency = 3
	return LiveConfig{
		Model:    m,
		Endpoint: DefaultEndpoint,
		Rate:     2,
		Backfill: 30 * time.Minute,
	}
}

const (
	maxRate     = 10_000
	maxBackfill = 7 * 24 * time.Hour
)

func (c LiveConfig) validate() error {
	var errs []error
	if _, err := ExportURL(c.Endpoint); err != nil {
		errs = append(errs, err)
	}
	for k, v := range c.Headers {
		if !validHeaderName(k) || strings.ContainsAny(v, "\r\n\x00") {
			errs = append(errs, fmt.Errorf("header %q: invalid name or value", k))
		}
	}
	if math.IsNaN(c.Rate) || c.Rate <= 0 || c.Rate > maxRate {
		errs = append(errs, fmt.Errorf("rate must be in (0, %d] sessions per second, got %v", maxRate, c.Rate))
	}
	if c.Backfill < 0 || c.Backfill > maxBackfill {
		errs = append(errs, fmt.Errorf("backfill must be in [0, %s], got %s", maxBackfill, c.Backfill))
	} else if c.Rate > 0 && c.Backfill.Seconds()*c.Rate > maxSessions {
		errs = append(errs, fmt.Errorf("backfill of %s at %v sessions/s exceeds %d sessions", c.Backfill, c.Rate, maxSessions))
	}
	if c.TruthPath != "" {
		if fi, err := os.Stat(filepath.Dir(c.TruthPath)); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Errorf("truth path %q: directory does not exist", c.TruthPath))
		}
	}
	if err := c.Model.validateModel(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Run sends shop traffic in real time until ctx ends: sessions start at
// cfg.Rate per second and each step's trace is sent when it ends. Steps
// still in flight when ctx ends are not sent. Run returns nil when ctx ends
// and every span was flushed; export failures along the way are logged and
// counted in the truth, not fatal, so that a receiver restarting does not
// stop the demo.
func Run(ctx context.Context, cfg LiveConfig) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("run demo traffic: %w", err)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now().Round(0).UTC()
	model := cfg.Model
	if model.Seed == 0 {
		model.Seed = start.UnixNano()
	}
	// Retries are short: a live demo would rather drop a batch than stall
	// behind a receiver that is down, and must stop promptly.
	em, err := newEmitter(ctx, emitterOptions{endpoint: cfg.Endpoint, headers: cfg.Headers, batchTimeout: time.Second, retryFor: 5 * time.Second, log: log, environment: cfg.Model.Environment})
	if err != nil {
		return fmt.Errorf("run demo traffic: %w", err)
	}
	var tb *truthBuilder
	if cfg.TruthPath != "" {
		tb = newTruthBuilder(model)
	}
	p := newPlanner(model, start)
	log.Info("demo traffic started",
		slog.String("endpoint", cfg.Endpoint),
		slog.Float64("sessions_per_second", cfg.Rate),
		slog.Int64("seed", model.Seed),
		slog.Duration("backfill", cfg.Backfill),
		slog.Bool("bad_deploy", model.BadDeploy.Enabled))

	var (
		pending  traceHeap
		seq      int
		next     = start.Add(-cfg.Backfill)
		first    = next
		sessions int
		inDeploy bool
		// History is due on the first pass; live traffic after it.
		backfilled = cfg.OnBackfilled == nil
	)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		now := time.Now()
		if ctx.Err() != nil {
			return finishLive(ctx, em, tb, cfg.TruthPath, first, now.Round(0).UTC(), start, sessions, log)
		}
		for !next.After(now) {
			_, traces := p.session(sessions, next.Round(0).UTC(), time.Time{})
			for _, tr := range traces {
				heap.Push(&pending, queued{tr: tr, seq: seq})
				seq++
			}
			sessions++
			next = next.Add(time.Duration(p.rng.ExpFloat64() / cfg.Rate * float64(time.Second)))
		}
		for pending.Len() > 0 && !pending[0].tr.Root().End.After(now) {
			tr := heap.Pop(&pending).(queued).tr
			em.emit(ctx, tr)
			if tb != nil {
				tb.add(tr)
			}
		}
		if !backfilled {
			backfilled = true
			if err := em.flush(ctx); err != nil {
				log.Warn("demo traffic: some history was not exported", slog.Any("err", err))
			}
			cfg.OnBackfilled(first)
		}
		if b := model.BadDeploy; b.active(start, now) != inDeploy {
			inDeploy = !inDeploy
			log.Info("demo bad deploy", slog.Bool("active", inDeploy), slog.String("step", b.Step), slog.String("app_version", b.Version))
			if cfg.OnBadDeploy != nil {
				cfg.OnBadDeploy(inDeploy, now)
			}
		}
		wait := min(next.Sub(now), time.Second)
		if pending.Len() > 0 {
			wait = min(wait, pending[0].tr.Root().End.Sub(now))
		}
		timer.Reset(max(wait, time.Millisecond))
	}
}

func finishLive(ctx context.Context, em *emitter, tb *truthBuilder, path string, from, to, start time.Time, sessions int, log *slog.Logger) error {
	// ctx has ended; give the last batches a bounded time of their own.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var errs []error
	if err := em.flush(fctx); err != nil {
		log.Warn("demo traffic: some spans were not exported", slog.Any("err", err))
	}
	for _, p := range em.providers {
		errs = append(errs, p.Shutdown(fctx))
	}
	errs = append(errs, em.exp.inner.Shutdown(fctx))
	failed := em.emitted.Load() - em.exp.sent.Load()
	log.Info("demo traffic stopped", slog.Int("sessions", sessions), slog.Int64("spans", em.emitted.Load()), slog.Int64("failed_spans", failed))
	if tb != nil {
		t := tb.truth(from, to, start)
		t.FailedSpans = int(failed)
		errs = append(errs, writeTruthFile(path, t))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop demo traffic: %w", err)
	}
	return nil
}

// writeTruthFile replaces path atomically, so that a reader never sees half
// a file.
func writeTruthFile(path string, t *Truth) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".truth-*.json")
	if err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	defer os.Remove(f.Name())
	if err := writeTruth(f, t); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	return nil
}

// queued is a planned trace waiting for its end time; seq keeps traces that
// end at the same instant in planning order.
type queued struct {
	tr  *Trace
	seq int
}

type traceHeap []queued

func (h traceHeap) Len() int { return len(h) }
func (h traceHeap) Less(i, j int) bool {
	a, b := h[i].tr.Root().End, h[j].tr.Root().End
	if a.Equal(b) {
		return h[i].seq < h[j].seq
	}
	return a.Before(b)
}
func (h traceHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *traceHeap) Push(x any)   { *h = append(*h, x.(queued)) }
func (h *traceHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// validHeaderName reports whether k is an HTTP token (RFC 9110).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range []byte(k) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
