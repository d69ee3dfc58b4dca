package demo

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// tinyConfig is a model without chance: one pro user in eu on app 1.5.0,
// every session goes through every step, payment always fails, durations
// are exactly the medians.
func tinyConfig() Config {
	c := DefaultConfig()
	c.Seed = 7
	c.Start = t0
	c.Duration = time.Hour
	c.Sessions = 3
	c.Users = 1
	c.Tiers = []Weighted{{"pro", 1}}
	c.Regions = []Weighted{{"eu", 1}}
	c.Versions = []Weighted{{"1.5.0", 1}}
	c.ContinueCap = 1
	c.ThinkMin, c.ThinkMax = 10*time.Second, 10*time.Second
	c.OrderMin, c.OrderMax = 99.99, 99.99
	for i := range c.Steps {
		c.Steps[i].Continue = 1
		c.Steps[i].ErrorRate = 0
		c.Steps[i].Sigma = 0
	}
	pay := &c.Steps[StepIndex(StepPayment)]
	pay.ErrorRateBy = []SegmentRate{{Key: AttrAppVersion, Value: "1.5.0", Rate: 1}}
	c.BadDeploy.Enabled = false
	return c
}

func lat(n int, d time.Duration) Latency {
	ds := make([]time.Duration, n)
	for i := range ds {
		ds[i] = d
	}
	ns := int64(d)
	ms := float64(ns) / 1e6
	return Latency{N: n, MinNs: ns, MeanNs: ns, P50Ns: ns, P95Ns: ns, P99Ns: ns, MaxNs: ns, P50Ms: ms, P95Ms: ms, P99Ms: ms, Durations: ds}
}

func TestTruthTinyPlanByHand(t *testing.T) {
	t.Parallel()
	tr, err := Plan(tinyConfig())
	require.NoError(t, err)
	truth := tr.Truth()

	require.Equal(t, 3, truth.Sessions)
	require.Equal(t, 1, truth.Users)
	require.Equal(t, 15, truth.Traces)
	require.Equal(t, 3*(3+3+2+3+3), truth.Spans)
	require.Equal(t, 3, truth.ErrorTraces)
	require.Equal(t, 6, truth.ErrorSpans) // payment root + its PSP call
	require.Equal(t, map[string]map[string]int{
		AttrUserTier: {"pro": 3}, AttrRegion: {"eu": 3}, AttrAppVersion: {"1.5.0": 3},
	}, truth.SessionsBy)
	require.Equal(t, map[EndReason]int{EndError: 3}, truth.SessionEnd)
	require.Equal(t, map[string]int{StepPayment: 3}, truth.SessionLastStep)
	require.Equal(t, []Window{}, truth.BadDeploys)
	require.Equal(t, []AnomalyTruth{}, truth.Anomalies)
	require.Equal(t, []Window{}, truth.PropagationBreaks)
	require.Equal(t, []BrokenSpan{}, truth.BrokenSpans)
	require.Equal(t, SamplingTruth{Probability: 1, AdjustedCount: 1, Sessions: 3, Traces: 15, Spans: 42}, truth.Sampling)
	require.Equal(t, []HourCount{{Hour: t0, Sessions: 3, Expected: 3}}, truth.SessionsPerHour)
	require.Equal(t, []FunnelStep{
		{Step: StepLogin, Sessions: 3, Succeeded: 3, Conversion: 1, Overall: 1},
		{Step: StepBrowse, Sessions: 3, Succeeded: 3, Conversion: 1, Overall: 1},
		{Step: StepAddToCart, Sessions: 3, Succeeded: 3, Conversion: 1, Overall: 1},
		{Step: StepCheckout, Sessions: 3, Succeeded: 3, Conversion: 1, Overall: 1},
		{Step: StepPayment, Sessions: 3, Succeeded: 0, Conversion: 1, Overall: 1},
	}, truth.Funnel)
	var cohortSessions int
	for _, c := range truth.Cohorts {
		require.Equal(t, []int{c.Reached[0], c.Reached[0], c.Reached[0], c.Reached[0], c.Reached[0]}, c.Reached)
		cohortSessions += c.Reached[0]
	}
	require.Equal(t, 3, cohortSessions)

	// Session timelines: steps back to back with 10s of thinking between.
	for _, s := range tr.Sessions() {
		require.Equal(t, 5, s.Steps)
		require.Equal(t, EndError, s.End)
		require.Equal(t, int64(9999), s.OrderCents)
	}
	for i, x := range tr.Traces() {
		if x.Step == 0 {
			continue
		}
		prev := tr.Traces()[i-1]
		require.Equal(t, prev.Root().End.Add(10*time.Second), x.Root().Start)
	}

	login := truth.Steps[0]
	perMinute := login.PerMinute
	login.PerMinute = nil
	require.Equal(t, StepTruth{
		Index: 1, Step: StepLogin, Service: "auth_svc", RootSpanName: "POST /login",
		Sessions: 3, RootSpans: 3, Spans: 9,
		By: map[string]map[string]*SegmentTruth{
			AttrUserTier:   {"pro": {Sessions: 3, Spans: 9, Latency: lat(3, 80*time.Millisecond)}},
			AttrRegion:     {"eu": {Sessions: 3, Spans: 9, Latency: lat(3, 80*time.Millisecond)}},
			AttrAppVersion: {"1.5.0": {Sessions: 3, Spans: 9, Latency: lat(3, 80*time.Millisecond)}},
		},
		Latency: lat(3, 80*time.Millisecond),
		Children: []ChildTruth{
			{Name: "SELECT users", Kind: "client", Spans: 3},
			{Name: "verify_password", Kind: "internal", Spans: 3},
		},
	}, login)
	var roots, spans int
	for _, m := range perMinute {
		roots += m.RootSpans
		spans += m.Spans
	}
	require.Equal(t, 3, roots)
	require.Equal(t, 9, spans)

	// Payment: 350ms × 1.2 (pro) × 1.5 (failed) = 630ms, every one failed.
	pay := truth.Steps[4]
	pay.PerMinute = nil
	paySeg := &SegmentTruth{Sessions: 3, Errors: 3, Spans: 9, ErrorSpans: 6, ValueCents: 29997, ErrorValueCents: 29997, Latency: lat(3, 630*time.Millisecond)}
	require.Equal(t, StepTruth{
		Index: 5, Step: StepPayment, Service: "payment_svc", RootSpanName: "POST /payments",
		Sessions: 3, RootSpans: 3, Spans: 9, Errors: 3, ErrorSpans: 6, ValueCents: 29997, ErrorValueCents: 29997,
		By: map[string]map[string]*SegmentTruth{
			AttrUserTier: {"pro": paySeg}, AttrRegion: {"eu": paySeg}, AttrAppVersion: {"1.5.0": paySeg},
		},
		Latency: lat(3, 630*time.Millisecond),
		Children: []ChildTruth{
			{Name: "POST /psp/charge", Kind: "client", Spans: 3, ErrorSpans: 3},
			{Name: "fraud_check", Kind: "internal", Spans: 3},
		},
	}, pay)

	for i, want := range []time.Duration{80, 120, 60, 200, 630} {
		require.Equal(t, lat(3, want*time.Millisecond), truth.Steps[i].Latency, i)
	}

	root := tr.Traces()[4].Root()
	require.Equal(t, []attribute.KeyValue{
		attribute.String("session.id", tr.Sessions()[0].ID),
		attribute.String("user.id", "u-00001"),
		attribute.String("user.tier", "pro"),
		attribute.String("region", "eu"),
		attribute.String("app.version", "1.5.0"),
		attribute.String("funnel.step", "payment"),
		attribute.Int("funnel.step_index", 5),
		attribute.String("http.request.method", "POST"),
		attribute.String("http.route", "/payments"),
		attribute.String("url.path", "/payments"),
		attribute.Int("http.response.status_code", 500),
		attribute.Float64("order.total", 99.99),
	}, root.Attrs)
	require.Equal(t, "internal server error", root.StatusMessage)
	psp := tr.Traces()[4].Spans[1]
	require.Equal(t, []attribute.KeyValue{
		attribute.String("server.address", "psp.example.com"),
		attribute.String("http.request.method", "POST"),
		attribute.String("session.id", tr.Sessions()[0].ID),
		attribute.Int("http.response.status_code", 500),
	}, psp.Attrs)
	require.True(t, psp.Error)
}

func TestPlanIsDeterministic(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = t0
	cfg.Sessions = 400
	a, err := Plan(cfg)
	require.NoError(t, err)
	// A monotonic reading and another zone denote the same instant.
	cfg.Start = t0.In(time.FixedZone("X", 3600))
	b, err := Plan(cfg)
	require.NoError(t, err)

	require.Equal(t, a.Truth(), b.Truth())
	require.Equal(t, len(a.Traces()), len(b.Traces()))
	for i := range a.Traces() {
		require.Equal(t, *a.Traces()[i].Session, *b.Traces()[i].Session)
		require.Equal(t, a.Traces()[i].ID, b.Traces()[i].ID)
		require.Equal(t, a.Traces()[i].Spans, b.Traces()[i].Spans)
	}
	var ja, jb bytes.Buffer
	require.NoError(t, a.WriteTruth(&ja))
	require.NoError(t, b.WriteTruth(&jb))
	require.Equal(t, ja.String(), jb.String())

	cfg.Seed++
	c, err := Plan(cfg)
	require.NoError(t, err)
	require.NotEqual(t, a.Traces()[0].ID, c.Traces()[0].ID)
	require.NotEqual(t, a.Sessions()[0].ID, c.Sessions()[0].ID)
}

func TestPlanInvariants(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = t0
	tr, err := Plan(cfg)
	require.NoError(t, err)
	end := tr.End()
	seenTrace := map[[16]byte]bool{}
	seenSession := map[string]bool{}
	var prev *Trace
	for _, x := range tr.Traces() {
		require.False(t, seenTrace[x.ID], "trace ids are unique")
		seenTrace[x.ID] = true
		root := x.Root()
		require.False(t, root.Parent.IsValid())
		require.Equal(t, len(Steps()[x.Step].Children)+1, len(x.Spans))
		for k, sp := range x.Spans {
			require.False(t, sp.Start.Before(cfg.Start))
			require.True(t, sp.End.Before(end), "every span ends inside the window")
			require.False(t, sp.End.Before(sp.Start))
			if k > 0 {
				require.Equal(t, root.ID, sp.Parent)
				require.False(t, sp.Start.Before(x.Spans[k-1].End) && k > 1, "children run one after another")
				require.False(t, sp.Start.Before(root.Start))
				require.False(t, sp.End.After(root.End))
				require.Contains(t, sp.Attrs, attribute.String(AttrSessionID, x.Session.ID))
			}
		}
		if x.Step == 0 {
			require.False(t, seenSession[x.Session.ID], "session ids are unique")
			seenSession[x.Session.ID] = true
			require.Equal(t, x.Session.Start, root.Start)
		} else {
			require.Same(t, prev.Session, x.Session)
			require.Equal(t, prev.Step+1, x.Step)
			require.False(t, prev.Root().Error, "an error ends the session")
			think := root.Start.Sub(prev.Root().End)
			require.True(t, think >= cfg.ThinkMin && think <= cfg.ThinkMax, think)
		}
		prev = x
	}

	truth := tr.Truth()
	require.Equal(t, truth.Traces, len(tr.Traces()))
	var ends int
	for _, n := range truth.SessionEnd {
		ends += n
	}
	require.Equal(t, truth.Sessions, ends)
	for i, f := range truth.Funnel {
		require.Equal(t, truth.Steps[i].Sessions, f.Sessions)
		sum := 0
		for _, c := range truth.Cohorts {
			sum += c.Reached[i]
		}
		require.Equal(t, f.Sessions, sum)
		if i > 0 {
			require.InDelta(t, float64(f.Sessions)/float64(truth.Funnel[i-1].Sessions), f.Conversion, 1e-12)
		}
	}
	for _, st := range truth.Steps {
		var roots, errs, spans int
		for _, m := range st.PerMinute {
			roots += m.RootSpans
			errs += m.Errors
			spans += m.Spans
		}
		require.Equal(t, st.RootSpans, roots)
		require.Equal(t, st.Errors, errs)
		require.Equal(t, st.Spans, spans)
		for _, k := range SegmentKeys() {
			var sessions, errs int
			for _, seg := range st.By[k] {
				sessions += seg.Sessions
				errs += seg.Errors
			}
			require.Equal(t, st.Sessions, sessions, k)
			require.Equal(t, st.Errors, errs, k)
		}
	}

	// The scripted bad deploy is visible: app 1.5.0 payments fail far more
	// often inside its window than outside.
	require.Equal(t, []Window{{From: t0.Add(10 * time.Minute), To: t0.Add(20 * time.Minute)}}, truth.BadDeploys)
	var in, inErr, out, outErr int
	for _, x := range tr.Traces() {
		if x.Step != StepIndex(StepPayment) || x.Session.AppVersion != "1.5.0" {
			continue
		}
		r := x.Root()
		if !r.Start.Before(truth.BadDeploys[0].From) && r.Start.Before(truth.BadDeploys[0].To) {
			in++
			if r.Error {
				inErr++
			}
		} else {
			out++
			if r.Error {
				outErr++
			}
		}
	}
	require.Greater(t, float64(inErr)/float64(in), 0.09)
	require.Less(t, float64(outErr)/float64(out), 0.06)
}

func TestBadDeployIsExact(t *testing.T) {
	t.Parallel()
	cfg := tinyConfig()
	cfg.Sessions = 200
	cfg.Versions = []Weighted{{"1.4.0", 1}, {"1.5.0", 1}}
	pay := &cfg.Steps[StepIndex(StepPayment)]
	pay.ErrorRateBy = nil
	cfg.BadDeploy = BadDeploy{Enabled: true, Step: StepPayment, Version: "1.5.0", After: 20 * time.Minute, For: 10 * time.Minute, ErrorRate: 1, Latency: 2}
	tr, err := Plan(cfg)
	require.NoError(t, err)

	from, to := t0.Add(20*time.Minute), t0.Add(30*time.Minute)
	var hit int
	for _, x := range tr.Traces() {
		r := x.Root()
		inWindow := !r.Start.Before(from) && r.Start.Before(to)
		bad := x.Step == StepIndex(StepPayment) && x.Session.AppVersion == "1.5.0" && inWindow
		require.Equal(t, bad, r.Error)
		if bad {
			hit++
			require.Equal(t, 1260*time.Millisecond, r.Duration()) // 350 × 1.2 × 2 × 1.5
		} else if x.Step == StepIndex(StepPayment) {
			require.Equal(t, 420*time.Millisecond, r.Duration())
		}
	}
	truth := tr.Truth()
	require.Positive(t, hit)
	require.Equal(t, hit, truth.Steps[4].Errors)
	require.Equal(t, hit, truth.Steps[4].By[AttrAppVersion]["1.5.0"].Errors)
	require.Zero(t, truth.Steps[4].By[AttrAppVersion]["1.4.0"].Errors)
	require.Equal(t, []Window{{From: from, To: to}}, truth.BadDeploys)
}

func TestPlanCutsSessionsAtWindowEnd(t *testing.T) {
	t.Parallel()
	cfg := tinyConfig()
	cfg.Sessions = 50
	cfg.Duration = time.Second // login takes 80ms, thinking 10s: nobody gets further
	tr, err := Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()

	var sent int
	for _, s := range tr.Sessions() {
		require.Equal(t, EndInFlight, s.End)
		if s.Start.Before(t0.Add(920 * time.Millisecond)) {
			require.Equal(t, 1, s.Steps)
			sent++
		} else {
			require.Equal(t, 0, s.Steps)
		}
	}
	require.Positive(t, sent)
	require.Equal(t, sent, truth.Sessions)
	require.Equal(t, sent, truth.Traces)
	require.Equal(t, map[EndReason]int{EndInFlight: sent}, truth.SessionEnd)
	require.Equal(t, []int{sent, 0, 0, 0, 0}, []int{truth.Funnel[0].Sessions, truth.Funnel[1].Sessions, truth.Funnel[2].Sessions, truth.Funnel[3].Sessions, truth.Funnel[4].Sessions})
	require.Equal(t, 0.0, truth.Funnel[1].Conversion)
	require.Equal(t, 0.0, truth.Funnel[2].Conversion, "no sessions before: no conversion, not NaN")
}

func TestPlanNoSessions(t *testing.T) {
	t.Parallel()
	cfg := tinyConfig()
	cfg.Sessions = 0
	tr, err := Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	require.Zero(t, truth.Spans)
	require.Len(t, truth.Steps, NumSteps)
	require.Equal(t, Latency{}, truth.Steps[0].Latency)
	var buf bytes.Buffer
	require.NoError(t, tr.WriteTruth(&buf))
	var back map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	require.Equal(t, float64(0), back["spans_total"])
}

func TestTruthJSONShape(t *testing.T) {
	t.Parallel()
	tr, err := Plan(tinyConfig())
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, tr.WriteTruth(&buf))
	var got struct {
		Sessions int `json:"sessions_total"`
		Steps    []struct {
			Step   string `json:"step"`
			Errors int    `json:"errors"`
			By     map[string]map[string]struct {
				Sessions int `json:"sessions"`
				Latency  struct {
					P95Ns int64   `json:"p95_ns"`
					P95Ms float64 `json:"p95_ms"`
				} `json:"root_latency"`
			} `json:"by"`
		} `json:"steps"`
		Funnel []struct {
			Sessions   int     `json:"sessions"`
			Conversion float64 `json:"conversion"`
		} `json:"funnel"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	require.Equal(t, 3, got.Sessions)
	require.Equal(t, "payment", got.Steps[4].Step)
	require.Equal(t, 3, got.Steps[4].Errors)
	require.Equal(t, 3, got.Steps[4].By["user.tier"]["pro"].Sessions)
	require.Equal(t, int64(630_000_000), got.Steps[4].By["user.tier"]["pro"].Latency.P95Ns)
	require.Equal(t, 630.0, got.Steps[4].By["user.tier"]["pro"].Latency.P95Ms)
	require.Equal(t, 1.0, got.Funnel[4].Conversion)
	require.NotContains(t, buf.String(), "Durations")
}

func TestNearestRank(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name string
		d    []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", []time.Duration{7}, 0.99, 7},
		{"p50 of 100", hundred, 0.50, 50 * time.Millisecond},
		{"p95 of 100", hundred, 0.95, 95 * time.Millisecond},
		{"p99 of 100", hundred, 0.99, 99 * time.Millisecond},
		{"p100", hundred, 1, 100 * time.Millisecond},
		{"q=0 is the minimum", hundred, 0, time.Millisecond},
		{"p50 of 3", []time.Duration{1, 2, 3}, 0.5, 2},
		{"p50 of 4", []time.Duration{1, 2, 3, 4}, 0.5, 2},
		{"p95 of 21", make([]time.Duration, 21), 0.95, 0},
	} {
		require.Equal(t, tc.want, nearestRank(tc.d, tc.q), tc.name)
	}
	l := newLatency([]time.Duration{3, 1, 2})
	require.Equal(t, []time.Duration{1, 2, 3}, l.Durations)
	require.Equal(t, time.Duration(2), l.Quantile(0.5))
	require.Equal(t, int64(2), l.MeanNs)
}

func TestBadDeployWindows(t *testing.T) {
	t.Parallel()
	b := BadDeploy{Enabled: true, After: 2 * time.Minute, For: 5 * time.Minute, Every: 20 * time.Minute}
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{
		{0, false}, {2*time.Minute - 1, false}, {2 * time.Minute, true}, {7*time.Minute - 1, true},
		{7 * time.Minute, false}, {22 * time.Minute, true}, {27 * time.Minute, false}, {-time.Hour, false},
	} {
		require.Equal(t, tc.want, b.active(t0, t0.Add(tc.at)), tc.at)
	}
	require.Equal(t, []Window{
		{t0.Add(2 * time.Minute), t0.Add(7 * time.Minute)},
		{t0.Add(22 * time.Minute), t0.Add(27 * time.Minute)},
	}, b.windows(t0, t0.Add(22*time.Minute+1)))
	once := b
	once.Every = 0
	require.True(t, once.active(t0, t0.Add(3*time.Minute)))
	require.False(t, once.active(t0, t0.Add(23*time.Minute)))
	require.Equal(t, []Window{{t0.Add(2 * time.Minute), t0.Add(7 * time.Minute)}}, once.windows(t0, t0.Add(time.Hour)))
	off := b
	off.Enabled = false
	require.False(t, off.active(t0, t0.Add(3*time.Minute)))
	require.Nil(t, off.windows(t0, t0.Add(time.Hour)))
}

func TestPlanRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"no start", func(c *Config) { c.Start = time.Time{} }, "start is required"},
		{"zero duration", func(c *Config) { c.Duration = 0 }, "duration must be in (0, 9600h0m0s], got 0s"},
		{"negative sessions", func(c *Config) { c.Sessions = -1 }, "sessions must be in [0, 10000000], got -1"},
		{"no users", func(c *Config) { c.Users = 0 }, "users must be in [1, 10000000], got 0"},
		{"no tiers", func(c *Config) { c.Tiers = nil }, "tiers: at least one value is required"},
		{"zero weights", func(c *Config) { c.Regions = []Weighted{{"eu", 0}} }, "regions: weights must add up to a positive number"},
		{"duplicate version", func(c *Config) { c.Versions = []Weighted{{"1", 1}, {"1", 1}} }, `versions: duplicate value "1"`},
		{"negative weight", func(c *Config) { c.Tiers = []Weighted{{"free", -1}} }, `tiers: weight of "free" must be a non-negative number, got -1`},
		{"continue > 1", func(c *Config) { c.Steps[1].Continue = 1.5 }, "steps[browse].continue must be in [0, 1], got 1.5"},
		{"error rate NaN", func(c *Config) { c.Steps[0].ErrorRate = nan() }, "steps[login].error_rate must be in [0, 1], got NaN"},
		{"unknown segment", func(c *Config) { c.Steps[4].ErrorRateBy = []SegmentRate{{"country", "fr", 0.5}} }, `steps[payment].error_rate_by: unknown segment key "country" (want one of [user.tier region app.version])`},
		{"zero median", func(c *Config) { c.Steps[2].Median = 0 }, "steps[add_to_cart].median must be in [1µs, 1h], got 0s"},
		{"negative sigma", func(c *Config) { c.Steps[3].Sigma = -1 }, "steps[checkout].sigma must be in [0, 3], got -1"},
		{"zero tier latency", func(c *Config) { c.Steps[4].TierLatency = map[string]float64{"free": 0} }, "steps[payment].tier_latency[free] must be in (0, 1000], got 0"},
		{"zero error latency", func(c *Config) { c.Steps[0].ErrorLatency = 0 }, "steps[login].error_latency must be in (0, 1000], got 0"},
		{"think reversed", func(c *Config) { c.ThinkMin, c.ThinkMax = time.Minute, time.Second }, "think time must satisfy 0 <= think_min (1m0s) <= think_max (1s) <= 1h"},
		{"order reversed", func(c *Config) { c.OrderMin, c.OrderMax = 10, 5 }, "order totals must satisfy 0 <= order_min (10) <= order_max (5) <= 1e9"},
		{"bad deploy step", func(c *Config) { c.BadDeploy.Step = "refund" }, `bad_deploy.step: unknown step "refund"`},
		{"bad deploy version", func(c *Config) { c.BadDeploy.Version = "" }, "bad_deploy.version is required"},
		{"bad deploy timing", func(c *Config) { c.BadDeploy.Every = time.Minute }, "bad_deploy timing must satisfy after >= 0, for > 0 and every = 0 or every >= for (after 10m0s, for 10m0s, every 1m0s)"},
		{"bad deploy rate", func(c *Config) { c.BadDeploy.ErrorRate = 2 }, "bad_deploy.error_rate must be in [0, 1], got 2"},
		{"tier continue", func(c *Config) { c.TierContinue = map[string]float64{"pro": -1} }, "tier_continue[pro] must be in (0, 1000], got -1"},
		{"daily night", func(c *Config) { c.Daily = DailyPattern{Enabled: true, Night: 0, Weekend: 1} }, "daily.night must be in (0, 1], got 0"},
		{"daily zone", func(c *Config) { c.Daily = DailyPattern{Enabled: true, Night: 0.5, Weekend: 1, Zone: "Nowhere/City"} }, `daily.zone "Nowhere/City": not a known time zone`},
		{"anomaly metric", func(c *Config) {
			c.Anomalies = []Anomaly{{Metric: "errors", Step: StepBrowse, From: t0, To: t0.Add(time.Minute), Factor: 2}}
		}, `anomalies[0].metric: want conversion or latency, got "errors"`},
		{"anomaly into the first step", func(c *Config) {
			c.Anomalies = []Anomaly{{Metric: MetricConversion, Step: StepLogin, From: t0, To: t0.Add(time.Minute), Factor: 0.5}}
		}, `anomalies[0].step: a conversion anomaly needs a step before "login"`},
		{"anomaly segment", func(c *Config) {
			c.Anomalies = []Anomaly{{Metric: MetricLatency, Step: StepBrowse, SegmentKey: "country", SegmentValue: "fr", From: t0, To: t0.Add(time.Minute), Factor: 2}}
		}, `anomalies[0].segment_key: unknown segment key "country" (want one of [user.tier region app.version])`},
		{"anomaly segment value", func(c *Config) {
			c.Anomalies = []Anomaly{{Metric: MetricLatency, Step: StepBrowse, SegmentKey: AttrRegion, From: t0, To: t0.Add(time.Minute), Factor: 2}}
		}, `anomalies[0]: segment_key "region" without a segment_value`},
		{"anomaly window", func(c *Config) {
			c.Anomalies = []Anomaly{{Metric: MetricLatency, Step: StepBrowse, From: t0, To: t0, Factor: 0}}
		}, "anomalies[0]: want from < to, got from 2026-03-01T12:00:00Z, to 2026-03-01T12:00:00Z\nanomalies[0].factor must be in (0, 1000], got 0"},
		{"anomaly schedule", func(c *Config) { c.AnomalySchedule.Enabled, c.AnomalySchedule.Every = true, time.Minute },
			"anomaly_schedule timing must satisfy 0 < min_for <= max_for <= every <= 9600h0m0s (min_for 20m0s, max_for 1h0m0s, every 1m0s)"},
		{"sample", func(c *Config) { c.Sample = 1.5 }, "sample must be in [0, 1], got 1.5"},
		{"tiny sample", func(c *Config) { c.Sample = 1e-30 }, "sample must be 0 (send everything) or at least 2^-56, got 1e-30"},
		{"break span", func(c *Config) { c.PropagationBreak.Enabled, c.PropagationBreak.Span = true, "SELECT inventory" },
			`propagation_break.span: step login has no child span "SELECT inventory"`},
		{"break version", func(c *Config) { c.PropagationBreak.Enabled, c.PropagationBreak.Version = true, "" }, "propagation_break.version is required"},
		{"break timing", func(c *Config) { c.PropagationBreak.Enabled, c.PropagationBreak.For = true, 0 },
			"propagation_break timing must satisfy after >= 0, for > 0 and every = 0 or every >= for (after 10m0s, for 0s, every 0s)"},
	} {
		cfg := DefaultConfig()
		cfg.Start = t0
		tc.modify(&cfg)
		_, err := Plan(cfg)
		require.EqualError(t, err, "plan traffic: "+tc.want, tc.name)
	}
	// A disabled bad deploy is not checked.
	cfg := tinyConfig()
	cfg.BadDeploy = BadDeploy{Step: "nope"}
	_, err := Plan(cfg)
	require.NoError(t, err)
}

func nan() float64 {
	var z float64
	return z / z
}

func FuzzPlan(f *testing.F) {
	f.Add(int64(1), 20, int64(time.Minute), 0.5, 0.1, 0.5, int64(time.Millisecond), int64(time.Second), 2.0)
	f.Add(int64(-5), 3, int64(1), 1.0, 1.0, 3.0, int64(time.Hour), int64(time.Hour), 1000.0)
	f.Add(int64(0), 0, int64(-1), -0.1, 2.0, -1.0, int64(0), int64(-1), 0.0)
	f.Fuzz(func(t *testing.T, seed int64, sessions int, dur int64, cont, errRate, sigma float64, median, think int64, mult float64) {
		cfg := DefaultConfig()
		cfg.Seed = seed
		cfg.Start = t0
		cfg.Sessions = sessions % 50
		cfg.Duration = time.Duration(dur)
		cfg.ThinkMax = time.Duration(think)
		cfg.BadDeploy.Latency = mult
		for i := range cfg.Steps {
			cfg.Steps[i].Continue = cont
			cfg.Steps[i].ErrorRate = errRate
			cfg.Steps[i].Sigma = sigma
			cfg.Steps[i].Median = time.Duration(median)
			cfg.Steps[i].TierLatency = map[string]float64{"free": mult}
		}
		tr, err := Plan(cfg)
		if err != nil {
			require.Nil(t, tr)
			return
		}
		truth := tr.Truth()
		require.Equal(t, len(tr.Traces()), truth.Traces)
		for _, x := range tr.Traces() {
			for _, sp := range x.Spans {
				require.False(t, sp.End.Before(sp.Start))
				require.True(t, sp.End.Before(tr.End()))
			}
		}
	})
}

func TestPlanChangeTouchesOnlyWhatItChanges(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = t0
	cfg.Sessions = 300
	a, err := Plan(cfg)
	require.NoError(t, err)
	cfg.Steps[StepIndex(StepPayment)].ErrorRate = 0.5
	b, err := Plan(cfg)
	require.NoError(t, err)

	require.Equal(t, len(a.Traces()), len(b.Traces()), "payment is last: no session gets longer or shorter")
	for i := range a.Sessions() {
		require.Equal(t, a.Sessions()[i].ID, b.Sessions()[i].ID)
		require.Equal(t, a.Sessions()[i].Start, b.Sessions()[i].Start)
	}
	var changed int
	for i, x := range a.Traces() {
		y := b.Traces()[i]
		require.Equal(t, x.ID, y.ID)
		if x.Step != StepIndex(StepPayment) {
			require.Equal(t, x.Spans, y.Spans)
		} else if x.Root().Error != y.Root().Error {
			changed++
		}
	}
	require.Positive(t, changed)
	require.Equal(t, a.Truth().Steps[3], b.Truth().Steps[3])
}
