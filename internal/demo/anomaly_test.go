package demo

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chanceConfig is tinyConfig with two regions, every session going on to
// every step and nothing failing: what an anomaly changes is all there is
// to see.
func chanceConfig(sessions int) Config {
	c := tinyConfig()
	c.Sessions = sessions
	c.Users = 200
	c.Regions = []Weighted{{"eu", 0.5}, {"us", 0.5}}
	c.Steps[StepIndex(StepPayment)].ErrorRateBy = nil
	return c
}

func TestConversionAnomalyIsExact(t *testing.T) {
	t.Parallel()
	cfg := chanceConfig(2000)
	base, err := Plan(cfg)
	require.NoError(t, err)
	a := Anomaly{Metric: MetricConversion, Step: StepCheckout, SegmentKey: AttrRegion, SegmentValue: "eu",
		From: t0.Add(20 * time.Minute), To: t0.Add(40 * time.Minute), Factor: 0.3}
	cfg.Anomalies = []Anomaly{a}
	tr, err := Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()

	// Every session reaches add to cart as before; only eu sessions that
	// finished it inside the window may stop there.
	cart, checkout := StepIndex(StepAddToCart), StepIndex(StepCheckout)
	byID := map[string]*Trace{}
	for _, x := range tr.Traces() {
		byID[x.ID.String()] = x
	}
	carts := map[*Session]*Trace{}
	for _, x := range base.Traces() {
		if x.Step == cart {
			carts[x.Session] = x
		}
	}
	var hit, cont int
	for i, s := range base.Sessions() {
		cartTrace := carts[s]
		if cartTrace == nil {
			continue
		}
		got := tr.Sessions()[i]
		end := cartTrace.Root().End
		if s.Region == "eu" && !end.Before(a.From) && end.Before(a.To) {
			hit++
			if got.Steps > cart+1 {
				cont++
				require.Equal(t, s.Steps, got.Steps)
			} else {
				require.Equal(t, cart+1, got.Steps)
				require.Equal(t, EndDropped, got.End)
			}
			continue
		}
		require.Equal(t, *s, *got, "untouched sessions are the same")
	}
	require.Equal(t, []AnomalyTruth{{Anomaly: a, Sessions: hit, Continued: cont}}, truth.Anomalies)
	require.Equal(t, []Anomaly{a}, tr.Anomalies())
	// Continuing was certain; under the anomaly it is a 0.3 chance.
	se := math.Sqrt(0.3 * 0.7 / float64(hit))
	require.Greater(t, hit, 200)
	require.InDelta(t, 0.3, float64(cont)/float64(hit), 4*se)
	require.Equal(t, base.Truth().Funnel[checkout].Sessions-(hit-cont), truth.Funnel[checkout].Sessions)
	// Nothing marks it: no deploy, the same span attributes everywhere.
	require.Equal(t, []Window{}, truth.BadDeploys)
	for _, x := range tr.Traces() {
		y := byID[x.ID.String()]
		require.Equal(t, x.ServiceVersion, Steps()[x.Step].ServiceVersion)
		for k := range x.Spans {
			for _, kv := range y.Spans[k].Attrs {
				require.NotContains(t, string(kv.Key), "anomal")
			}
		}
	}
}

func TestLatencyAnomalyIsExact(t *testing.T) {
	t.Parallel()
	cfg := chanceConfig(300)
	a := Anomaly{Metric: MetricLatency, Step: StepBrowse, SegmentKey: AttrRegion, SegmentValue: "us",
		From: t0.Add(10 * time.Minute), To: t0.Add(30 * time.Minute), Factor: 3}
	cfg.Anomalies = []Anomaly{a}
	tr, err := Plan(cfg)
	require.NoError(t, err)
	var hit int
	for _, x := range tr.Traces() {
		r := x.Root()
		in := x.Step == StepIndex(StepBrowse) && x.Session.Region == "us" && !r.Start.Before(a.From) && r.Start.Before(a.To)
		switch {
		case in:
			hit++
			require.Equal(t, 360*time.Millisecond, r.Duration())
			// The children take their share of the slower root.
			require.Greater(t, x.Spans[1].Duration(), 150*time.Millisecond)
		case x.Step == StepIndex(StepBrowse):
			require.Equal(t, 120*time.Millisecond, r.Duration())
		}
	}
	truth := tr.Truth()
	require.Positive(t, hit)
	require.Equal(t, []AnomalyTruth{{Anomaly: a, Sessions: hit}}, truth.Anomalies)
	us := truth.Steps[StepIndex(StepBrowse)].By[AttrRegion]["us"].Latency
	require.Equal(t, int64(360*time.Millisecond), us.MaxNs)
	require.Equal(t, int64(120*time.Millisecond), truth.Steps[StepIndex(StepBrowse)].By[AttrRegion]["eu"].Latency.MaxNs)
}

func TestAnomalyScheduleIsSeeded(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = monday
	cfg.Duration = 24 * time.Hour
	cfg.Sessions = 4000
	cfg.AnomalySchedule.Enabled = true
	cfg.BadDeploy.Every = time.Hour
	tr, err := Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	s := cfg.AnomalySchedule

	require.Len(t, truth.Anomalies, 8)
	require.Len(t, truth.BadDeploys, 24, "the schedule adds no deploy")
	for k, a := range truth.Anomalies {
		slot := monday.Add(time.Duration(k) * s.Every)
		require.False(t, a.From.Before(slot), k)
		require.False(t, a.To.After(slot.Add(s.Every)), k)
		d := a.To.Sub(a.From)
		require.True(t, d >= s.MinFor && d <= s.MaxFor, "%d lasts %s", k, d)
		switch a.Metric {
		case MetricConversion:
			require.Equal(t, s.ConversionFactor, a.Factor)
			require.NotEqual(t, StepLogin, a.Step)
		case MetricLatency:
			require.Equal(t, s.LatencyFactor, a.Factor)
			require.NotEqual(t, cfg.BadDeploy.Step, a.Step, "the deploy's step is the deploy's")
		default:
			t.Fatalf("metric %q", a.Metric)
		}
		require.Contains(t, []string{"", AttrRegion, AttrUserTier}, a.SegmentKey)
		require.Positive(t, a.Sessions, k)
		require.Equal(t, a.Anomaly, tr.Anomalies()[k])
	}
	metrics := map[string]int{}
	for _, a := range truth.Anomalies {
		metrics[a.Metric]++
	}
	require.Len(t, metrics, 2, "both kinds in a day: %v", metrics)

	// The same seed places the same anomalies; a shorter window only
	// the ones that start inside it, and its sessions are the same.
	again, err := Plan(cfg)
	require.NoError(t, err)
	require.Equal(t, tr.Anomalies(), again.Anomalies())
	cfg.Seed++
	other, err := Plan(cfg)
	require.NoError(t, err)
	require.NotEqual(t, tr.Anomalies(), other.Anomalies())

	// Turning the schedule off changes only what the anomalies touched.
	cfg.Seed--
	cfg.AnomalySchedule.Enabled = false
	calm, err := Plan(cfg)
	require.NoError(t, err)
	require.Equal(t, []AnomalyTruth{}, calm.Truth().Anomalies)
	var same int
	for i, x := range calm.Sessions() {
		if *x == *tr.Sessions()[i] {
			same++
		}
	}
	require.Greater(t, same, len(calm.Sessions())*9/10)
	require.Less(t, same, len(calm.Sessions()))
}

// Over many seeds the schedule hits every kind of anomaly, each one
// measurable from the traffic: the truth can score a detector.
func TestScheduledAnomaliesAreMeasurable(t *testing.T) {
	t.Parallel()
	var conv, lat int
	for seed := int64(1); seed <= 6; seed++ {
		cfg := DefaultConfig()
		cfg.Seed = seed
		cfg.Start = monday.Add(9 * time.Hour)
		cfg.Duration = 3 * time.Hour
		cfg.Sessions = 6000
		cfg.BadDeploy.Enabled = false
		cfg.AnomalySchedule.Enabled = true
		tr, err := Plan(cfg)
		require.NoError(t, err)
		truth := tr.Truth()
		require.Len(t, truth.Anomalies, 1)
		a := truth.Anomalies[0]
		k := StepIndex(a.Step)
		// Inside against outside the window, for the anomaly's segment.
		reached := map[*Session]int{}
		for _, x := range tr.Traces() {
			reached[x.Session] = max(reached[x.Session], x.Step+1)
		}
		var in, out []float64
		for _, x := range tr.Traces() {
			if a.SegmentKey != "" && x.Session.Segment(a.SegmentKey) != a.SegmentValue {
				continue
			}
			r := x.Root()
			switch a.Metric {
			case MetricLatency:
				if x.Step != k {
					continue
				}
				v := float64(r.Duration())
				if !r.Start.Before(a.From) && r.Start.Before(a.To) {
					in = append(in, v)
				} else {
					out = append(out, v)
				}
			case MetricConversion:
				if x.Step != k-1 || r.Error {
					continue
				}
				v := 0.0
				if reached[x.Session] > k {
					v = 1
				}
				if !r.End.Before(a.From) && r.End.Before(a.To) {
					in = append(in, v)
				} else {
					out = append(out, v)
				}
			}
		}
		require.Equal(t, a.Sessions, len(in), seed)
		if a.Metric == MetricConversion {
			require.Equal(t, a.Continued, int(mean(in)*float64(len(in))+0.5), seed)
		}
		mi, mo := mean(in), mean(out)
		t.Logf("seed %d: %s %s %s=%s for %s: %d touched, %.3g inside against %.3g outside", seed, a.Metric, a.Step, a.SegmentKey, a.SegmentValue, a.To.Sub(a.From), a.Sessions, mi, mo)
		if a.Metric == MetricLatency {
			lat++
			// Lognormal durations: a factor of 3 on every one moves the
			// median by exactly 3 in expectation; far beyond noise.
			require.Greater(t, median(in), 2*median(out), "seed %d %+v", seed, a)
		} else {
			conv++
			require.Less(t, mi, 0.6*mo, "seed %d %+v", seed, a)
		}
	}
	require.Positive(t, conv)
	require.Positive(t, lat)
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
