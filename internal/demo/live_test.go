package demo

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fastModel is the default shop sped up a thousandfold, so that sessions go
// through the funnel within a test.
func fastModel() Config {
	m := DefaultLiveConfig().Model
	m.Seed = 99
	m.ThinkMin, m.ThinkMax = 2*time.Millisecond, 20*time.Millisecond
	for i := range m.Steps {
		m.Steps[i].Median /= 100
		m.Steps[i].Continue = 0.95
	}
	return m
}

func readTruth(t *testing.T, path string) Truth {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var tr Truth
	require.NoError(t, json.Unmarshal(b, &tr))
	return tr
}

// runFor runs the live generator for d and returns once it has stopped.
func runFor(t *testing.T, cfg LiveConfig, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	require.NoError(t, Run(ctx, cfg))
}

func TestRunSendsWhatItsTruthSays(t *testing.T) {
	t.Parallel()
	sink, srv := newSink(t)
	model := fastModel()
	model.BadDeploy = BadDeploy{Enabled: true, Step: StepPayment, Version: "1.5.0", After: 0, For: time.Hour, ErrorRate: 1, Latency: 2}
	path := filepath.Join(t.TempDir(), "truth.json")
	cfg := LiveConfig{Model: model, Endpoint: srv.URL, Rate: 300, TruthPath: path, Headers: map[string]string{"X-Scope-OrgID": "shop"}}

	before := time.Now()
	runFor(t, cfg, 800*time.Millisecond)
	after := time.Now()

	truth := readTruth(t, path)
	got := sink.got()
	require.Positive(t, truth.Sessions)
	require.Equal(t, truth.Spans, len(got))
	require.Zero(t, truth.FailedSpans)
	require.Equal(t, []Window{{From: truth.WindowStart, To: truth.WindowStart.Add(time.Hour)}}, truth.BadDeploys)
	require.Equal(t, int64(99), truth.Model.Seed)
	require.False(t, truth.WindowStart.Before(before.Truncate(time.Microsecond)))
	require.False(t, truth.WindowEnd.After(after))

	roots, errs := map[string]int{}, map[string]int{}
	sessions := map[string]bool{}
	payments15 := 0
	for _, g := range got {
		require.False(t, time.Unix(0, g.End).After(after), "nothing is sent before it happened")
		if g.Parent != "" {
			continue
		}
		roots[g.Name]++
		sessions[g.Attrs[AttrSessionID]] = true
		if g.Error {
			errs[g.Name]++
		}
		if g.Name == "POST /payments" && g.Attrs[AttrAppVersion] == "1.5.0" {
			payments15++
			require.True(t, g.Error, "the bad deploy fails every 1.5.0 payment")
		}
	}
	require.Len(t, sessions, truth.Sessions)
	for _, st := range truth.Steps {
		require.Equal(t, st.RootSpans, roots[st.RootSpanName], st.Step)
		require.Equal(t, st.Errors, errs[st.RootSpanName], st.Step)
	}
	require.Equal(t, payments15, truth.Steps[4].By[AttrAppVersion]["1.5.0"].Errors)
	require.Equal(t, "shop", sink.headers[0].Get("X-Scope-OrgID"))
}

func TestRunBackfills(t *testing.T) {
	t.Parallel()
	sink, srv := newSink(t)
	model := DefaultLiveConfig().Model
	model.Seed = 5
	model.BadDeploy.After = 0
	path := filepath.Join(t.TempDir(), "truth.json")
	cfg := LiveConfig{Model: model, Endpoint: srv.URL, Rate: 10, Backfill: time.Minute, TruthPath: path}
	var (
		mu         sync.Mutex
		backfilled []time.Time
		deploys    []bool
	)
	cfg.OnBackfilled = func(from time.Time) {
		mu.Lock()
		defer mu.Unlock()
		backfilled = append(backfilled, from)
	}
	cfg.OnBadDeploy = func(active bool, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		deploys = append(deploys, active)
	}

	start := time.Now()
	runFor(t, cfg, 300*time.Millisecond)

	truth := readTruth(t, path)
	// The run may end while history is still being sent. An export cut
	// short counts as failed in the truth, though the receiver may have
	// taken it before the answer was lost: no more arrive than the truth
	// holds, and no fewer than it says were sent.
	got := len(sink.got())
	require.LessOrEqual(t, got, truth.Spans)
	require.GreaterOrEqual(t, got, truth.Spans-truth.FailedSpans)
	if truth.FailedSpans == 0 {
		require.Equal(t, truth.Spans, got)
	}
	require.Greater(t, truth.Sessions, 400, "about 600 sessions in the minute before")
	require.WithinDuration(t, start.Add(-time.Minute), truth.WindowStart, time.Second)
	// The bad deploy counts from the start of the run, not of the history.
	require.Equal(t, []Window{{From: truth.WindowStart.Add(time.Minute), To: truth.WindowStart.Add(time.Minute + model.BadDeploy.For)}}, truth.BadDeploys)
	// The history hook fires once, with its first instant (after a flush
	// that may be cut short when the run ends); the deploy hook fires as
	// the bad deploy starts.
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []time.Time{truth.WindowStart}, backfilled)
	require.Equal(t, []bool{true}, deploys)
	require.True(t, truth.FirstSpanStart.Before(start.Add(-50*time.Second)))
	// Sessions still thinking when the run stopped were cut.
	require.Positive(t, truth.SessionEnd[EndInFlight])
}

func TestRunCountsRefusedSpans(t *testing.T) {
	t.Parallel()
	sink, srv := newSink(t)
	sink.status = http.StatusBadRequest
	path := filepath.Join(t.TempDir(), "truth.json")
	cfg := LiveConfig{Model: fastModel(), Endpoint: srv.URL, Rate: 200, TruthPath: path}

	runFor(t, cfg, 400*time.Millisecond)

	truth := readTruth(t, path)
	require.Positive(t, truth.Spans)
	require.Equal(t, truth.Spans, truth.FailedSpans)
}

func TestRunRejectsBadConfig(t *testing.T) {
	t.Parallel()
	err := Run(context.Background(), LiveConfig{Model: fastModel(), Endpoint: DefaultEndpoint})
	require.EqualError(t, err, "run demo traffic: rate must be in (0, 10000] sessions per second, got 0")
	cfg := DefaultLiveConfig()
	cfg.Model.Users = 0
	cfg.Endpoint = ""
	err = Run(context.Background(), cfg)
	require.EqualError(t, err, "run demo traffic: endpoint is empty\nusers must be in [1, 10000000], got 0")
}

// A live run places its scheduled anomalies from its start, lists them in
// its truth with what they touched, and counts its hours against the
// daily pattern's rate.
func TestRunTruthListsAnomaliesAndHours(t *testing.T) {
	t.Parallel()
	_, srv := newSink(t)
	model := fastModel()
	model.Daily = DailyPattern{Enabled: true, Night: 0.25, Weekend: 1}
	model.AnomalySchedule = AnomalySchedule{Enabled: true, Every: 300 * time.Millisecond, MinFor: 100 * time.Millisecond, MaxFor: 200 * time.Millisecond, ConversionFactor: 0.4, LatencyFactor: 3}
	path := filepath.Join(t.TempDir(), "truth.json")
	runFor(t, LiveConfig{Model: model, Endpoint: srv.URL, Rate: 300, TruthPath: path}, 800*time.Millisecond)

	truth := readTruth(t, path)
	start := truth.WindowStart
	require.NotEmpty(t, truth.Anomalies)
	p := newPlanner(model, start)
	for k, a := range truth.Anomalies {
		// The seeded placement of slot k, counted from the run's start.
		want := p.scheduled(k, start.Add(time.Duration(k)*model.AnomalySchedule.Every))
		require.True(t, want.From.Equal(a.From), k)
		require.True(t, want.To.Equal(a.To), k)
		require.Equal(t, want.Metric, a.Metric, k)
		require.Equal(t, want.Step, a.Step, k)
		require.Equal(t, want.SegmentValue, a.SegmentValue, k)
		require.True(t, a.From.Before(truth.WindowEnd))
	}
	require.NotEmpty(t, truth.SessionsPerHour)
	var sessions int
	var expected float64
	for _, h := range truth.SessionsPerHour {
		sessions += h.Sessions
		expected += h.Expected
	}
	require.Equal(t, truth.Sessions, sessions)
	curve := newRateCurve(model.Daily)
	require.InDelta(t, 300*curve.integral(truth.WindowStart, truth.WindowEnd), expected, 1e-6)
}

func TestPlanConfigIsTheLiveRate(t *testing.T) {
	t.Parallel()
	night := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	steady := DefaultLiveConfig().PlanConfig(night, 90*time.Minute)
	require.Equal(t, 10_800, steady.Sessions, "two a second for 90 minutes")
	require.Equal(t, night, steady.Start)
	require.Equal(t, 90*time.Minute, steady.Duration)

	live := LiveDemoConfig()
	cfg := live.PlanConfig(night, 90*time.Minute)
	curve := newRateCurve(live.Model.Daily)
	require.Equal(t, int(math.Round(4*curve.integral(night, night.Add(90*time.Minute)))), cfg.Sessions)
	require.Equal(t, 10_400, cfg.Sessions, "about two a second at night")
	day := live.PlanConfig(night.Add(24*time.Hour), 24*time.Hour)
	require.Equal(t, 4*86_400, day.Sessions, "the rate is the mean over a day")
	cfg.Seed = 1
	tr, err := Plan(cfg)
	require.NoError(t, err)
	require.Len(t, tr.Sessions(), cfg.Sessions)
}
