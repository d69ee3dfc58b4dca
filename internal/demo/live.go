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
	// Rate is the mean number of sessions started per second (Poisson):
	// with a daily pattern, the mean over a weekday, the rate following
	// the pattern through the day.
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

// DefaultLiveConfig is the steady live shop: two sessions a second into the
// embedded receiver after 30 minutes of history, with a ten-minute bad
// deploy of app 1.5.0 (half of its payments fail, three times slower) three
// minutes in and every hour after, and nothing else going wrong. An hour
// apart, each deploy's page has de-escalated and resolved before the next
// one: with the example SLOs' 15-minute resolve hold that takes about 37
// minutes. `waymark demo` runs LiveDemoConfig, which adds the time of day
// and anomalies.
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
	// The deploy marker names the payment release; its spans say so too.
	m.BadDeploy.ServiceVersion = BadPaymentVersion
	m.Sample = 1
	// Off unless asked for (-propagation-break): twenty minutes in, for a
	// quarter of an hour, and again every two hours.
	m.PropagationBreak.After = 20 * time.Minute
	m.PropagationBreak.For = 15 * time.Minute
	m.PropagationBreak.Every = 2 * time.Hour
	return LiveConfig{
		Model:    m,
		Endpoint: DefaultEndpoint,
		Rate:     2,
		Backfill: 30 * time.Minute,
	}
}

// LiveDemoConfig is `waymark demo`: DefaultLiveConfig with the daily
// pattern on, in UTC, and an anomaly that no deploy explains every three
// hours, 20 to 60 minutes long at a seeded time. Four sessions a second on
// average over a day keep the night (about two a second) as busy as the
// steady shop: at one a second, the few payments of a night minute let
// payment-success flap in and out of insufficient traffic (minEvents 40).
// The early-afternoon peak is about eight a second.
func LiveDemoConfig() LiveConfig {
	c := DefaultLiveConfig()
	c.Rate = 4
	c.Model.Daily.Enabled = true
	c.Model.AnomalySchedule.Enabled = true
	return c
}

// PlanConfig is the Config whose Plan is the traffic Run would start in
// [start, start+d) without backfill: the model, with as many sessions as
// the rate gives on average over that window along the daily pattern.
// Bad deploys, breaks and scheduled anomalies count from start, as they
// count from the moment Run starts. Seed 0 stays 0: set one to plan.
func (c LiveConfig) PlanConfig(start time.Time, d time.Duration) Config {
	m := c.Model
	m.Start, m.Duration = start, d
	m.Sessions = int(math.Round(c.Rate * newRateCurve(m.Daily).integral(start, start.Add(d))))
	return m
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
	em, err := newEmitter(ctx, emitterOptions{endpoint: cfg.Endpoint, headers: cfg.Headers, batchTimeout: time.Second, retryFor: 5 * time.Second, log: log, environment: cfg.Model.Environment, sample: cfg.Model.Sample})
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
		slog.Bool("bad_deploy", model.BadDeploy.Enabled),
		slog.Bool("daily_pattern", model.Daily.Enabled),
		slog.Bool("anomalies", model.AnomalySchedule.Enabled || len(model.Anomalies) > 0),
		slog.Float64("sample", p.samp.p),
		slog.Bool("propagation_break", model.PropagationBreak.Enabled))

	var (
		pending  traceHeap
		seq      int
		next     = start.Add(-cfg.Backfill)
		first    = next
		sessions int
		inDeploy bool
		inBreak  bool
		// inAnomaly[k] says p.anomalies[k] was active at the last pass.
		inAnomaly []bool
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
			return finishLive(ctx, em, tb, p, cfg, first, now.Round(0).UTC(), sessions, log)
		}
		for !next.After(now) {
			_, traces := p.session(sessions, next.Round(0).UTC(), time.Time{})
			for _, tr := range traces {
				heap.Push(&pending, queued{tr: tr, seq: seq})
				seq++
			}
			sessions++
			next = p.curve.advance(next, p.rng.ExpFloat64()/cfg.Rate)
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
		// The break and the anomalies are only logged: no deploy marker
		// announces them.
		if b := model.PropagationBreak; b.active(start, now) != inBreak {
			inBreak = !inBreak
			v, _ := p.version(StepIndex(b.Step), now)
			log.Info("demo propagation break", slog.Bool("active", inBreak), slog.String("step", b.Step), slog.String("span", b.Span), slog.String("service_version", v))
		}
		p.scheduleUntil(now)
		for k := range p.anomalies {
			if k == len(inAnomaly) {
				inAnomaly = append(inAnomaly, false)
			}
			a := &p.anomalies[k]
			if active := !now.Before(a.From) && now.Before(a.To); active != inAnomaly[k] {
				inAnomaly[k] = active
				log.Info("demo anomaly", slog.Bool("active", active), slog.String("metric", a.Metric), slog.String("step", a.Step),
					slog.String("segment", a.SegmentKey+"="+a.SegmentValue), slog.Float64("factor", a.Factor), slog.Time("to", a.To))
			}
		}
		wait := min(next.Sub(now), time.Second)
		if pending.Len() > 0 {
			wait = min(wait, pending[0].tr.Root().End.Sub(now))
		}
		timer.Reset(max(wait, time.Millisecond))
	}
}

func finishLive(ctx context.Context, em *emitter, tb *truthBuilder, p *planner, cfg LiveConfig, from, to time.Time, sessions int, log *slog.Logger) error {
	// ctx has ended; give the last batches a bounded time of their own.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var errs []error
	if err := em.flush(fctx); err != nil {
		log.Warn("demo traffic: some spans were not exported", slog.Any("err", err))
	}
	errs = append(errs, em.close(fctx))
	failed := em.emitted.Load() - em.exp.sent.Load()
	log.Info("demo traffic stopped", slog.Int("sessions", sessions), slog.Int64("spans", em.emitted.Load()), slog.Int64("failed_spans", failed))
	if tb != nil {
		p.scheduleUntil(to)
		t := tb.truth(truthWindow{
			from: from, to: to, base: p.start, anomalies: anomaliesIn(p.anomalies, from, to),
			expected: func(a, b time.Time) float64 { return cfg.Rate * p.curve.integral(a, b) },
		})
		t.FailedSpans = int(failed)
		errs = append(errs, writeTruthFile(cfg.TruthPath, t))
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
