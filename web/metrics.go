package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// metricsRange is the period the per-step metrics count over, ending at
// the current minute.
const metricsRange = time.Hour

// collectorSource is a trace source that keeps its own counters, as the
// embedded span store does.
type collectorSource interface {
	Collector() prometheus.Collector
}

// metricsShow answers a Prometheus scrape. With Options.MetricsToken set,
// the scraper must send it as a bearer token.
func (h *handler) metricsShow(w http.ResponseWriter, r *http.Request) {
	if !h.RequireToken(w, r, h.metricsToken) {
		return
	}
	snap := h.readMetrics(r.Context())
	scrape := prometheus.NewRegistry()
	if err := scrape.Register(snap); err != nil {
		h.Fail(w, r, fmt.Errorf("register metrics: %w", err))
		return
	}
	// The embedded span store counts what its OTLP receiver refuses; its
	// counters outlive any one registry, so each scrape registers them.
	if c, ok := h.traceSource.(collectorSource); ok {
		if err := scrape.Register(c.Collector()); err != nil {
			h.Fail(w, r, fmt.Errorf("register trace source metrics: %w", err))
			return
		}
	}
	promhttp.HandlerFor(prometheus.Gatherers{h.Metrics.Reg, scrape}, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(h.Log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	}).ServeHTTP(w, r)
}

// Descriptions of the metrics read on each scrape.
var (
	sloLabels       = []string{"journey", "slo"}
	descSLOObj      = prometheus.NewDesc("waymark_slo_objective_ratio", "The SLO's objective: the share of events that must be good.", sloLabels, nil)
	descSLOSLI      = prometheus.NewDesc("waymark_slo_sli_ratio", "Good over total events over the SLO window, at the latest evaluation; absent without events.", sloLabels, nil)
	descSLOBudget   = prometheus.NewDesc("waymark_slo_error_budget_remaining_ratio", "Share of the error budget left over the SLO window at the latest evaluation: 1 untouched, 0 spent, negative overspent.", sloLabels, nil)
	descSLOBurn     = prometheus.NewDesc("waymark_slo_burn_rate", "Burn rate over each alert window at the latest evaluation: 1 spends the budget exactly over the SLO window.", []string{"journey", "slo", "window"}, nil)
	descSLOState    = prometheus.NewDesc("waymark_slo_alert_state", "1 for the SLO's current alert state, 0 for the others.", []string{"journey", "slo", "state"}, nil)
	descSLOEvents   = prometheus.NewDesc("waymark_slo_events_total", "Good and bad events over the SLO window at the latest evaluation.", []string{"journey", "slo", "kind"}, nil)
	descSLOEvalTime = prometheus.NewDesc("waymark_slo_last_evaluation_timestamp_seconds", "When the SLO was last evaluated.", sloLabels, nil)
	descSLOStale    = prometheus.NewDesc("waymark_slo_stale", "1 when the latest evaluation found the rollups too old to judge and kept the alert state.", sloLabels, nil)

	stepLabels      = []string{"journey", "step"}
	descStepSpans   = prometheus.NewDesc("waymark_step_spans_total", "Spans of the step over the last hour.", stepLabels, nil)
	descStepErrors  = prometheus.NewDesc("waymark_step_errors_total", "Errored spans of the step over the last hour.", stepLabels, nil)
	descStepConv    = prometheus.NewDesc("waymark_step_conversion_ratio", "Share of the journeys that reached the previous step and reached this one, of those entering in the last hour.", stepLabels, nil)
	descRollupsThru = prometheus.NewDesc("waymark_journey_rollups_complete_through_timestamp_seconds", "End of the journey's last complete rollup bucket.", []string{"journey"}, nil)
	descRollupsFail = prometheus.NewDesc("waymark_journey_rollups_failing", "1 while the journey's rollup runs are failing.", []string{"journey"}, nil)

	runLabels        = []string{"journey", "source"}
	descRuns         = prometheus.NewDesc("waymark_rollup_runs_total", "Rollup runs of the journey that succeeded, by any worker.", runLabels, nil)
	descRunSeconds   = prometheus.NewDesc("waymark_rollup_run_seconds_total", "Time the journey's rollup runs took.", runLabels, nil)
	descRunSpans     = prometheus.NewDesc("waymark_rollup_spans_read_total", "Spans the journey's rollup runs read from the trace source.", runLabels, nil)
	descRunNew       = prometheus.NewDesc("waymark_rollup_new_spans_total", "Spans of minutes the runs counted for the first time.", runLabels, nil)
	descRunRecount   = prometheus.NewDesc("waymark_rollup_recount_spans_total", "Spans the runs read again to count late arrivals.", runLabels, nil)
	descRunRequests  = prometheus.NewDesc("waymark_rollup_source_requests_total", "Requests the runs made to the trace source.", runLabels, nil)
	descRunInspected = prometheus.NewDesc("waymark_rollup_source_inspected_bytes_total", "Bytes the trace source (Tempo) reports it inspected for the runs.", runLabels, nil)
	descRunAmp       = prometheus.NewDesc("waymark_rollup_amplification_ratio", "Spans the last run read per new span: 1 reads only what is new.", runLabels, nil)
	descRunLag       = prometheus.NewDesc("waymark_rollup_lag_seconds", "How far behind now the journey's rollups are complete.", runLabels, nil)
	descRunOpen      = prometheus.NewDesc("waymark_rollup_open_instances", "Traces or sessions whose window is open, carried from run to run.", runLabels, nil)

	descJobs     = prometheus.NewDesc("waymark_jobs", "Background jobs by kind and state.", []string{"kind", "state"}, nil)
	descSourceUp = prometheus.NewDesc("waymark_metrics_source_up", "1 when the scrape could read this source of metrics, 0 when reading it failed.", []string{"source"}, nil)
)

// sloStates are the alert states waymark_slo_alert_state has a series for.
var sloStates = []slo.State{slo.StateOK, slo.StateTicket, slo.StatePage, slo.StateInsufficientTraffic}

// snapshot is the metrics read for one scrape.
type snapshot struct {
	mu      sync.Mutex
	metrics []prometheus.Metric
}

// Describe sends nothing: a snapshot's series depend on what was read, so
// it is an unchecked collector.
func (s *snapshot) Describe(chan<- *prometheus.Desc) {}

// Collect sends the metrics read.
func (s *snapshot) Collect(ch chan<- prometheus.Metric) {
	for _, m := range s.metrics {
		ch <- m
	}
}

func (s *snapshot) gauge(d *prometheus.Desc, v float64, labels ...string) {
	s.add(prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
}

func (s *snapshot) counter(d *prometheus.Desc, v float64, labels ...string) {
	s.add(prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...))
}

func (s *snapshot) add(m prometheus.Metric) {
	s.mu.Lock()
	s.metrics = append(s.metrics, m)
	s.mu.Unlock()
}

// readMetrics reads what a scrape exports about journeys, SLOs and jobs.
// A source that cannot be read is reported by waymark_metrics_source_up
// and logged; the rest is still exported.
func (h *handler) readMetrics(ctx context.Context) *snapshot {
	s := &snapshot{}
	source := func(name string, configured bool, read func() error) {
		if !configured {
			return
		}
		up := 1.0
		if err := read(); err != nil {
			up = 0
			// A scraper that hung up is no failure of the source.
			level := slog.LevelError
			if errors.Is(ctx.Err(), context.Canceled) {
				level = slog.LevelDebug
			}
			h.Log.LogAttrs(ctx, level, "read metrics", slog.String("source", name), slog.String("error", err.Error()))
		}
		s.gauge(descSourceUp, up, name)
	}
	source("slos", h.Site.SLOs, func() error { return h.sloMetrics(ctx, s) })
	source("steps", h.Site.Rollups, func() error { return h.stepMetrics(ctx, s) })
	source("jobs", h.jobsOn, func() error { return h.jobMetrics(ctx, s) })
	return s
}

func (h *handler) sloMetrics(ctx context.Context, s *snapshot) error {
	states, err := h.alerting.AllSLOStates(ctx)
	if err != nil {
		return fmt.Errorf("read SLO states: %w", err)
	}
	for _, st := range states {
		l := []string{st.Journey, st.SLO}
		s.gauge(descSLOObj, st.Objective, l...)
		if !st.Evaluated {
			continue
		}
		if !st.NoData {
			s.gauge(descSLOSLI, st.SLI, l...)
		}
		s.gauge(descSLOBudget, st.BudgetRemaining, l...)
		s.gauge(descSLOEvents, float64(st.Good), st.Journey, st.SLO, "good")
		s.gauge(descSLOEvents, float64(st.Total-st.Good), st.Journey, st.SLO, "bad")
		s.gauge(descSLOEvalTime, float64(st.EvaluatedAt.UnixNano())/1e9, l...)
		s.gauge(descSLOStale, boolValue(st.Stale), l...)
		for _, state := range sloStates {
			s.gauge(descSLOState, boolValue(st.State == state), st.Journey, st.SLO, string(state))
		}
		// A window may be the long one of a pair and the short one of
		// another (6h in the workbook's table): its burn is the same.
		seen := map[time.Duration]bool{}
		burn := func(b slo.Burn) {
			if seen[b.Window] || b.Window <= 0 {
				return
			}
			seen[b.Window] = true
			s.gauge(descSLOBurn, b.Rate, st.Journey, st.SLO, layout.WindowText(b.Window))
		}
		for _, p := range st.Pairs {
			burn(p.LongBurn)
			burn(p.ShortBurn)
		}
	}
	return nil
}

func (h *handler) stepMetrics(ctx context.Context, s *snapshot) error {
	recs, err := h.store.ListJourneys(ctx)
	if err != nil {
		return fmt.Errorf("list journeys: %w", err)
	}
	fresh, err := h.rollups.AllFreshness(ctx)
	if err != nil {
		return fmt.Errorf("read freshness: %w", err)
	}
	for _, f := range fresh {
		if !f.CompleteThrough.IsZero() {
			s.gauge(descRollupsThru, float64(f.CompleteThrough.Unix()), f.Slug)
		}
		s.gauge(descRollupsFail, boolValue(f.Failing()), f.Slug)
		if f.Totals.Runs == 0 {
			continue
		}
		src, t := f.Source, f.Totals
		s.counter(descRuns, float64(t.Runs), f.Slug, src)
		s.counter(descRunSeconds, t.RunTime.Seconds(), f.Slug, src)
		s.counter(descRunSpans, float64(t.Spans), f.Slug, src)
		s.counter(descRunNew, float64(t.NewSpans), f.Slug, src)
		s.counter(descRunRecount, float64(t.RecountSpans), f.Slug, src)
		s.counter(descRunRequests, float64(t.Requests), f.Slug, src)
		s.counter(descRunInspected, float64(t.InspectedBytes), f.Slug, src)
		s.gauge(descRunAmp, f.LastAmplification(), f.Slug, src)
		s.gauge(descRunOpen, float64(f.OpenInstances), f.Slug, src)
		if !f.CompleteThrough.IsZero() {
			s.gauge(descRunLag, h.Now().Sub(f.CompleteThrough).Seconds(), f.Slug, src)
		}
	}
	to := h.Now().UTC().Truncate(time.Minute)
	from := to.Add(-metricsRange)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(metricsParallel)
	for _, rec := range recs {
		j := rec.Journey
		g.Go(func() error {
			slug := j.Metadata.Slug
			st, err := h.rollups.Stats(ctx, slug, from, to, nil)
			if err != nil {
				return fmt.Errorf("read stats of %q: %w", slug, err)
			}
			for k, ss := range st.Steps {
				name := stepName(j, k)
				s.gauge(descStepSpans, float64(ss.Spans), slug, name)
				s.gauge(descStepErrors, float64(ss.Errors), slug, name)
				s.gauge(descStepConv, ss.ConversionFromPrevious, slug, name)
			}
			return nil
		})
	}
	return g.Wait()
}

func (h *handler) jobMetrics(ctx context.Context, s *snapshot) error {
	counts, err := h.jobCounts.JobCounts(ctx)
	if err != nil {
		return fmt.Errorf("count jobs: %w", err)
	}
	seen := map[[2]string]bool{}
	for _, c := range counts {
		k := [2]string{c.Kind, c.State}
		if seen[k] {
			continue
		}
		seen[k] = true
		s.gauge(descJobs, float64(c.Count), c.Kind, c.State)
	}
	return nil
}

// stepName names step k (0-based) by the journey's current definition, or
// by its position when only an earlier version had it.
func stepName(j journeys.Journey, k int) string {
	if k < len(j.Spec.Steps) {
		return j.Spec.Steps[k].Name
	}
	return "step " + strconv.Itoa(k+1)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// metricsParallel bounds the stats queries a scrape runs at once.
const metricsParallel = 4
