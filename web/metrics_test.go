package web

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// scrape reads /metrics with Prometheus' own text parser.
func scrape(t *testing.T, b *sloBundle, headers ...string) map[string]*dto.MetricFamily {
	t.Helper()
	rec := b.do(t, http.MethodGet, "/metrics", nil, headers...)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4"), rec.Header().Get("Content-Type"))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	require.NoError(t, err)
	return fams
}

// sample finds the value of the one series of a family with exactly these
// labels (name, value pairs); ok is false when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

func mustSample(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	v, ok := sample(fams, name, labels...)
	require.True(t, ok, "%s %v", name, labels)
	return v
}

// seriesOf lists the label sets of a family, for checks that something is
// gone.
func seriesOf(fams map[string]*dto.MetricFamily, name string) []string {
	var out []string
	for _, m := range fams[name].GetMetric() {
		var ls []string
		for _, l := range m.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		out = append(out, strings.Join(ls, ","))
	}
	sort.Strings(out)
	return out
}

func TestMetricsAgreeWithSLOPage(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedIncident(t)

	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop/slos/pay-success", nil))
	body := doc.Selection
	fams := scrape(t, b)
	slo := []string{"journey", "shop", "slo", "pay-success"}
	with := func(kv ...string) []string { return append(append([]string{}, slo...), kv...) }

	require.Equal(t, dataValue(t, body, "slo-objective"), mustSample(t, fams, "waymark_slo_objective_ratio", slo...))
	require.Equal(t, dataValue(t, body, "slo-sli"), mustSample(t, fams, "waymark_slo_sli_ratio", slo...))
	require.Equal(t, dataValue(t, body, "slo-budget-remaining"), mustSample(t, fams, "waymark_slo_error_budget_remaining_ratio", slo...))
	require.Equal(t, dataValue(t, body, "slo-good"), mustSample(t, fams, "waymark_slo_events_total", with("kind", "good")...))
	require.Equal(t, dataValue(t, body, "slo-bad"), mustSample(t, fams, "waymark_slo_events_total", with("kind", "bad")...))
	require.Equal(t, 560.0, mustSample(t, fams, "waymark_slo_events_total", with("kind", "good")...))
	require.Equal(t, 40.0, mustSample(t, fams, "waymark_slo_events_total", with("kind", "bad")...))
	// Every alert window once, 12m being the long window of one pair and
	// the short window of another.
	burns := map[string]string{
		"2m": "pair-0-long-burn", "1m": "pair-0-short-burn", "12m": "pair-1-long-burn",
		"48m": "pair-2-long-burn", "4m": "pair-2-short-burn", "2h24m": "pair-3-long-burn",
	}
	for window, id := range burns {
		require.Equal(t, dataValue(t, body, id), mustSample(t, fams, "waymark_slo_burn_rate", with("window", window)...), window)
	}
	require.Len(t, seriesOf(fams, "waymark_slo_burn_rate"), 3*len(burns))
	for state, want := range map[string]float64{"ok": 0, "ticket": 0, "page": 1, "insufficient_traffic": 0} {
		require.Equal(t, want, mustSample(t, fams, "waymark_slo_alert_state", with("state", state)...), state)
	}
	require.Equal(t, float64(sloT0.Unix()), mustSample(t, fams, "waymark_slo_last_evaluation_timestamp_seconds", slo...))
	require.Equal(t, 0.0, mustSample(t, fams, "waymark_slo_stale", slo...))

	// Without events there is no SLI to report, only the state.
	confirm := []string{"journey", "shop", "slo", "confirm-success"}
	_, ok := sample(fams, "waymark_slo_sli_ratio", confirm...)
	require.False(t, ok)
	require.Equal(t, 1.0, mustSample(t, fams, "waymark_slo_alert_state", append(confirm, "state", "insufficient_traffic")...))
	require.Equal(t, 1.0, mustSample(t, fams, "waymark_slo_error_budget_remaining_ratio", confirm...))

	// Steps over the last hour: 600 traces through s1 and s2, 40 failed
	// payments, nothing at s3.
	steps := []struct {
		step               string
		spans, errors, cnv float64
	}{{"s1", 600, 0, 1}, {"s2", 600, 40, 1}, {"s3", 0, 0, 0}}
	for _, s := range steps {
		l := []string{"journey", "shop", "step", s.step}
		require.Equal(t, s.spans, mustSample(t, fams, "waymark_step_spans_total", l...), s.step)
		require.Equal(t, s.errors, mustSample(t, fams, "waymark_step_errors_total", l...), s.step)
		require.Equal(t, s.cnv, mustSample(t, fams, "waymark_step_conversion_ratio", l...), s.step)
	}
	require.Equal(t, float64(sloT0.Unix()), mustSample(t, fams, "waymark_journey_rollups_complete_through_timestamp_seconds", "journey", "shop"))
	require.Equal(t, 0.0, mustSample(t, fams, "waymark_journey_rollups_failing", "journey", "shop"))
	require.Equal(t, 1.0, mustSample(t, fams, "waymark_metrics_source_up", "source", "slos"))
	require.Equal(t, 1.0, mustSample(t, fams, "waymark_metrics_source_up", "source", "steps"))
	_, ok = sample(fams, "waymark_metrics_source_up", "source", "jobs")
	require.False(t, ok, "no job counts are configured")
	_, ok = fams["go_goroutines"]
	require.True(t, ok)
}

func TestMetricsHTTP(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedSLOJourney(t, sloJourney("shop", paySuccess))
	for _, target := range []string{"/journeys/shop/slos/pay-success", "/journeys/shop/slos/pay-success", "/journeys/nope",
		"/api/v1/journeys/shop/gate?window=1h", "/no/such/page", "/api/v1/nothing"} {
		b.do(t, http.MethodGet, target, nil)
	}
	b.do(t, "BREW", "/journeys", nil)
	fams := scrape(t, b)
	requests := []struct {
		route, method, code string
		n                   float64
	}{
		{"/journeys/{slug}/slos/{name}", "GET", "200", 2},
		{"/journeys/{slug}", "GET", "404", 1},
		{"/api/v1/journeys/{slug}/gate", "GET", "200", 1},
		{"unmatched", "GET", "404", 1},
		{"/api/*", "GET", "404", 1},
		// No route serves that method, so no pattern names it.
		{"unmatched", "OTHER", "405", 1},
	}
	for _, r := range requests {
		l := []string{"route", r.route, "method", r.method, "code", r.code}
		require.Equal(t, r.n, mustSample(t, fams, "waymark_http_requests_total", l...), "%v", l)
	}
	require.Equal(t, 2.0, mustSample(t, fams, "waymark_http_request_duration_seconds", "route", "/journeys/{slug}/slos/{name}", "method", "GET"))
	// The raw paths never become labels.
	for _, s := range seriesOf(fams, "waymark_http_requests_total") {
		require.NotContains(t, s, "pay-success")
		require.NotContains(t, s, "nope")
	}
	// The scrape itself is counted on the next one.
	fams = scrape(t, b)
	require.Equal(t, 1.0, mustSample(t, fams, "waymark_http_requests_total", "route", "/metrics", "method", "GET", "code", "200"))
}

func TestMetricsForgetRemovedSLOs(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedSLOJourney(t, sloJourney("shop", paySuccess, confirmSuccess))
	b.evaluate(t, "shop", "pay-success", sloT0)
	b.evaluate(t, "shop", "confirm-success", sloT0)
	fams := scrape(t, b)
	require.Equal(t, []string{"journey=shop,slo=confirm-success", "journey=shop,slo=pay-success"}, seriesOf(fams, "waymark_slo_objective_ratio"))

	_, _, err := b.store.PutJourney(b.ctx, sloJourney("shop", paySuccess), "test")
	require.NoError(t, err)
	fams = scrape(t, b)
	require.Equal(t, []string{"journey=shop,slo=pay-success"}, seriesOf(fams, "waymark_slo_objective_ratio"))
	require.Equal(t, []string{"journey=shop,slo=pay-success"}, seriesOf(fams, "waymark_slo_sli_ratio"))
	for _, s := range seriesOf(fams, "waymark_slo_alert_state") {
		require.NotContains(t, s, "confirm-success")
	}
}

func TestMetricsTokenAndJobs(t *testing.T) {
	t.Parallel()
	failJobs := false
	b := setupSLO(t, func(o *Options) {
		o.MetricsToken = "m3trics"
		o.JobCounts = JobCountsFunc(func(context.Context) ([]JobCount, error) {
			if failJobs {
				return nil, errors.New("database is down")
			}
			return []JobCount{{Kind: "rollup", State: "available", Count: 3}, {Kind: "rollup", State: "completed", Count: 10},
				{Kind: "slo_evaluate", State: "running", Count: 1}}, nil
		})
	})
	rec := b.do(t, http.MethodGet, "/metrics", nil)
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Equal(t, `Bearer realm="waymark"`, rec.Header().Get("WWW-Authenticate"))
	require.NotContains(t, rec.Body.String(), "waymark_")
	require.Equal(t, http.StatusUnauthorized, b.do(t, http.MethodGet, "/metrics", nil, "Authorization", "Bearer nope").Code)

	fams := scrape(t, b, "Authorization", "Bearer m3trics")
	require.Equal(t, 3.0, mustSample(t, fams, "waymark_jobs", "kind", "rollup", "state", "available"))
	require.Equal(t, 10.0, mustSample(t, fams, "waymark_jobs", "kind", "rollup", "state", "completed"))
	require.Equal(t, 1.0, mustSample(t, fams, "waymark_jobs", "kind", "slo_evaluate", "state", "running"))
	require.Equal(t, 1.0, mustSample(t, fams, "waymark_metrics_source_up", "source", "jobs"))

	// A source that cannot be read says so; the others still report.
	failJobs = true
	fams = scrape(t, b, "Authorization", "Bearer m3trics")
	require.Equal(t, 0.0, mustSample(t, fams, "waymark_metrics_source_up", "source", "jobs"))
	require.Equal(t, 1.0, mustSample(t, fams, "waymark_metrics_source_up", "source", "slos"))
	_, ok := fams["waymark_jobs"]
	require.False(t, ok)
}

func TestMetricsExportWhatRollupRunsCost(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	ctx := context.Background()
	_, err := b.store.CreateJourney(ctx, sloJourney("shop", paySuccess), "test")
	require.NoError(t, err)
	// Two runs of the shop journey, on Tempo, as a worker records them.
	for _, r := range []rollup.RunReport{
		{Slug: "shop", Version: 1, Started: sloT0, From: sloT0.Add(-2 * time.Minute), To: sloT0.Add(-time.Minute),
			Spans: 120, NewSpans: 100, RecountSpans: 20, Source: "tempo", Duration: 1500 * time.Millisecond,
			Fetch: journeys.FetchStats{Requests: 6, InspectedBytes: 4_000_000}},
		{Slug: "shop", Version: 1, Started: sloT0, From: sloT0.Add(-time.Minute), To: sloT0,
			Spans: 90, NewSpans: 90, Source: "tempo", Duration: 500 * time.Millisecond,
			Fetch: journeys.FetchStats{Requests: 3, InspectedBytes: 1_000_000}},
	} {
		require.NoError(t, b.rollups.RecordRun(ctx, r))
	}
	fams := scrape(t, b)
	l := []string{"journey", "shop", "source", "tempo"}
	require.Equal(t, 2.0, mustSample(t, fams, "waymark_rollup_runs_total", l...))
	require.Equal(t, 2.0, mustSample(t, fams, "waymark_rollup_run_seconds_total", l...))
	require.Equal(t, 210.0, mustSample(t, fams, "waymark_rollup_spans_read_total", l...))
	require.Equal(t, 190.0, mustSample(t, fams, "waymark_rollup_new_spans_total", l...))
	require.Equal(t, 20.0, mustSample(t, fams, "waymark_rollup_recount_spans_total", l...))
	require.Equal(t, 9.0, mustSample(t, fams, "waymark_rollup_source_requests_total", l...))
	require.Equal(t, 5e6, mustSample(t, fams, "waymark_rollup_source_inspected_bytes_total", l...))
	require.Equal(t, 1.0, mustSample(t, fams, "waymark_rollup_amplification_ratio", l...))
	require.Equal(t, 0.0, mustSample(t, fams, "waymark_rollup_lag_seconds", l...))
	require.Equal(t, 0.0, mustSample(t, fams, "waymark_rollup_open_instances", l...))
	require.Equal(t, dto.MetricType_COUNTER, fams["waymark_rollup_runs_total"].GetType())
}
