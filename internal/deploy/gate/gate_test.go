package gate_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

func TestGate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		slos          []journeys.SLO
		spans, errs   int64 // per minute of step s2 over [t0-1h, t0)
		now           time.Duration
		verdict       slo.Verdict
		reason        string
		good, total   int64
		wantSLOChecks int
	}{
		{"pass", []journeys.SLO{paySLO}, 100, 1, 0, slo.VerdictPass,
			"1 SLO burns within 2× over the last 1h", 5940, 6000, 1},
		{"burn equal to the limit passes", []journeys.SLO{paySLO}, 100, 2, 0, slo.VerdictPass,
			"1 SLO burns within 2× over the last 1h", 5880, 6000, 1},
		{"fail", []journeys.SLO{paySLO}, 100, 3, 0, slo.VerdictFail,
			"pay-success: burn 3× over the last 1h exceeds 2× (180 bad of 6000 events)", 5820, 6000, 1},
		{"too little traffic", []journeys.SLO{paySLO}, 1, 0, 0, slo.VerdictCannotDecide,
			"pay-success: only 60 events in the last 1h, need at least 100", 60, 60, 1},
		{"no traffic", []journeys.SLO{paySLO}, 0, 0, 0, slo.VerdictCannotDecide,
			"pay-success: no events in the last 1h", 0, 0, 1},
		{"stale", []journeys.SLO{paySLO}, 100, 1, 6 * time.Minute, slo.VerdictCannotDecide,
			"rollups are stale: complete through 2025-03-10 00:00 UTC, 6m ago (limit 5m)", 5940, 6000, 1},
		{"a failure on stale data still fails", []journeys.SLO{paySLO}, 100, 5, 6 * time.Minute, slo.VerdictFail,
			"pay-success: burn 5× over the last 1h exceeds 2× (300 bad of 6000 events)", 5700, 6000, 1},
		{"no SLOs", nil, 100, 0, 0, slo.VerdictCannotDecide, `journey "shop" has no SLOs to judge`, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, shopJourney(tt.slos...), alerttest.Options{})
			f.write(t, at(-time.Hour), t0, rows(1, at(-time.Hour), t0, time.Minute, tt.spans, tt.errs), nil)
			f.clock.Set(at(tt.now))
			res, err := f.svc.Gate(f.ctx, "shop", 2, time.Hour)
			require.NoError(t, err)
			require.Equal(t, tt.verdict, res.Verdict)
			require.Equal(t, tt.reason, res.Reason)
			require.Equal(t, "shop", res.Journey)
			require.Equal(t, "1h", res.Window)
			require.Equal(t, 2.0, res.MaxBurn)
			require.Equal(t, at(tt.now), res.At)
			require.Equal(t, t0, res.DataThrough)
			require.Equal(t, gate.CheckFreshness, res.Checks[0].Kind)
			require.Len(t, res.Checks, 2)
			if tt.wantSLOChecks == 0 {
				return
			}
			c := res.Checks[1]
			require.Equal(t, gate.CheckSLO, c.Kind)
			require.Equal(t, "pay-success", c.Name)
			require.Equal(t, tt.good, c.Burn.Burn.Events.Good)
			require.Equal(t, tt.total, c.Burn.Burn.Events.Total)
			if tt.total > 0 {
				require.InDelta(t, float64(tt.total-tt.good)/float64(tt.total)/0.01, c.Burn.Burn.Rate, 1e-9)
			}
			require.Equal(t, int64(sloeval.DefaultMinEvents), c.Burn.MinEvents)
			require.Equal(t, 0.99, c.Burn.Objective)
		})
	}
}

func TestGateUnknownJourneyAndBadQuery(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(paySLO), alerttest.Options{})
	res, err := f.svc.Gate(f.ctx, "nope", 2, time.Hour)
	require.ErrorIs(t, err, fault.ErrNotFound)
	require.Equal(t, slo.VerdictCannotDecide, res.Verdict)
	require.Equal(t, `journey "nope" not found`, res.Reason)

	res, err = f.svc.Gate(f.ctx, "shop", -1, 0)
	require.ErrorIs(t, err, fault.ErrInvalid)
	require.Equal(t, slo.VerdictCannotDecide, res.Verdict)
	require.Equal(t, "bad request: max_burn: must be a number of at least 0, e.g. 2; window: must be between 1m and 90d", res.Reason)
}

// canaryRows writes, for each step, 200 spans of the candidate version
// and 200 of the baseline in the last hour.
func canaryRows(candErrs, baseErrs, candSpans int64, candLat, baseLat time.Duration) []rollup.StepRow {
	var out []rollup.StepRow
	seg := func(v string, k int, spans, errs int64, lat time.Duration) rollup.StepRow {
		sk := &sketch.Sketch{}
		for i := int64(0); i < spans; i++ {
			sk.Add(lat)
		}
		return rollup.StepRow{Step: k, Bucket: at(-30 * time.Minute), Width: time.Minute,
			Segment: rollup.Segment{Key: "span.app.version", Value: v}, Spans: spans, Errors: errs, Latency: sk}
	}
	for k := 0; k < 3; k++ {
		out = append(out, seg("1.5.0", k, candSpans, candErrs, candLat), seg("1.4.0", k, 200, baseErrs, baseLat))
	}
	return out
}

func TestCanary(t *testing.T) {
	t.Parallel()
	cand := rollup.Segment{Key: "span.app.version", Value: "1.5.0"}
	base := rollup.Segment{Key: "span.app.version", Value: "1.4.0"}
	ms := time.Millisecond
	tests := []struct {
		name              string
		candErrs, baseErr int64
		candSpans         int64
		candLat, baseLat  time.Duration
		candidate         rollup.Segment
		verdict           slo.Verdict
		reason            string // of the overall result
	}{
		{"pass", 2, 2, 200, 100 * ms, 100 * ms, cand, slo.VerdictPass,
			"candidate span.app.version=1.5.0 within limits of baseline span.app.version=1.4.0 on 3 steps"},
		{"error rate", 10, 2, 200, 100 * ms, 100 * ms, cand, slo.VerdictFail,
			"s1: candidate error rate 5% vs baseline 1% (+4 pp, limit +1 pp); " +
				"s2: candidate error rate 5% vs baseline 1% (+4 pp, limit +1 pp); " +
				"s3: candidate error rate 5% vs baseline 1% (+4 pp, limit +1 pp)"},
		{"too few", 0, 0, 50, 100 * ms, 100 * ms, cand, slo.VerdictCannotDecide,
			"s1: candidate has 50 events, need at least 100; s2: candidate has 50 events, need at least 100; s3: candidate has 50 events, need at least 100"},
		{"not a segment", 0, 0, 200, 100 * ms, 100 * ms, rollup.Segment{Key: "span.tier", Value: "gold"}, slo.VerdictCannotDecide,
			`span.tier is not a segment of journey "shop"; add it to spec.segments`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, shopJourney(paySLO), alerttest.Options{})
			f.write(t, at(-time.Hour), t0, canaryRows(tt.candErrs, tt.baseErr, tt.candSpans, tt.candLat, tt.baseLat), nil)
			res, err := f.svc.Canary(f.ctx, "shop", tt.candidate, base, time.Hour, 0.01, 1.2)
			require.NoError(t, err)
			require.Equal(t, tt.verdict, res.Verdict)
			require.Equal(t, tt.reason, res.Reason)
			for _, c := range res.Checks {
				if c.Kind != gate.CheckCanary || c.Canary == nil {
					continue
				}
				require.Equal(t, tt.candSpans, c.Canary.Candidate.Total)
				require.Equal(t, tt.candErrs, c.Canary.Candidate.Errors)
				require.Equal(t, int64(200), c.Canary.Baseline.Total)
				require.InDelta(t, float64(tt.candErrs)/float64(tt.candSpans)-float64(tt.baseErr)/200, c.Canary.ErrorRateDelta, 1e-12)
			}
		})
	}
}

// TestCanaryLatency: a candidate twice as slow fails on p95, within the
// sketch's 1%.
func TestCanaryLatency(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(paySLO), alerttest.Options{})
	f.write(t, at(-time.Hour), t0, canaryRows(0, 0, 200, 200*time.Millisecond, 100*time.Millisecond), nil)
	res, err := f.svc.Canary(f.ctx, "shop", rollup.Segment{Key: "span.app.version", Value: "1.5.0"},
		rollup.Segment{Key: "span.app.version", Value: "1.4.0"}, time.Hour, 0.01, 1.2)
	require.NoError(t, err)
	require.Equal(t, slo.VerdictFail, res.Verdict)
	require.Len(t, res.Checks, 4)
	for _, c := range res.Checks[1:] {
		require.Equal(t, slo.VerdictFail, c.Verdict)
		require.InDelta(t, 2, c.Canary.P95Ratio, 0.02)
		require.InDelta(t, float64(200*time.Millisecond), float64(c.Canary.Candidate.P95), 0.01*float64(200*time.Millisecond))
	}
}

// TestRunGateWithCanary is the whole API request: SLOs pass, the canary
// fails, so the gate fails; the JSON form carries every number.
func TestRunGateWithCanary(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(paySLO), alerttest.Options{})
	steps := append(rows(1, at(-time.Hour), t0, time.Minute, 100, 0), canaryRows(20, 0, 200, 100*time.Millisecond, 100*time.Millisecond)...)
	f.write(t, at(-time.Hour), t0, steps, nil)
	q, err := gate.ParseGateQuery(url.Values{"max_burn": {"2"}, "window": {"1h"},
		"candidate": {"span.app.version=1.5.0"}, "baseline": {"span.app.version=1.4.0"}, "max_error_rate_delta": {"0.05"}})
	require.NoError(t, err)
	res, err := f.svc.RunGate(f.ctx, "shop", q)
	require.NoError(t, err)
	require.Equal(t, slo.VerdictFail, res.Verdict)
	require.Equal(t, "s1: candidate error rate 10% vs baseline 0% (+10 pp, limit +5 pp); "+
		"s2: candidate error rate 10% vs baseline 0% (+10 pp, limit +5 pp); "+
		"s3: candidate error rate 10% vs baseline 0% (+10 pp, limit +5 pp)", res.Reason)
	var kinds []string
	for _, c := range res.Checks {
		kinds = append(kinds, c.Kind+":"+string(c.Verdict))
	}
	require.Equal(t, []string{"freshness:pass", "slo:pass", "canary:fail", "canary:fail", "canary:fail"}, kinds)

	b, err := json.Marshal(res)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, "fail", back["verdict"])
	require.Equal(t, map[string]any{"key": "span.app.version", "value": "1.5.0"}, back["candidate"])
	checks := back["checks"].([]any)
	require.Len(t, checks, 5)
	canary := checks[2].(map[string]any)["canary"].(map[string]any)
	require.Equal(t, 0.1, canary["error_rate_delta"])
	require.Equal(t, 0.05, canary["max_error_rate_delta"])
}

func TestParseGateQuery(t *testing.T) {
	t.Parallel()
	v15 := &rollup.Segment{Key: "span.app.version", Value: "1.5.0"}
	v14 := &rollup.Segment{Key: "span.app.version", Value: "1.4.0"}
	tests := []struct {
		query string
		want  gate.Query
		err   string
	}{
		{"", gate.Query{MaxBurn: 1, Window: time.Hour, MaxErrorRateDelta: 0.01, MaxP95Ratio: 1.2}, ""},
		{"max_burn=2&window=30m", gate.Query{MaxBurn: 2, Window: 30 * time.Minute, MaxErrorRateDelta: 0.01, MaxP95Ratio: 1.2}, ""},
		{"window=1d&candidate=span.app.version%3D1.5.0&baseline=span.app.version%3D1.4.0&max_error_rate_delta=0.02&max_p95_ratio=1.5",
			gate.Query{MaxBurn: 1, Window: 24 * time.Hour, Candidate: v15, Baseline: v14, MaxErrorRateDelta: 0.02, MaxP95Ratio: 1.5}, ""},
		{"candidate=span.x%3Da%3Db&baseline=span.x%3Dc", gate.Query{MaxBurn: 1, Window: time.Hour,
			Candidate: &rollup.Segment{Key: "span.x", Value: "a=b"}, Baseline: &rollup.Segment{Key: "span.x", Value: "c"},
			MaxErrorRateDelta: 0.01, MaxP95Ratio: 1.2}, ""},
		{"max_burn=-1", gate.Query{}, `max_burn: "-1" is not a number of at least 0, e.g. 2`},
		{"max_burn=NaN", gate.Query{}, `max_burn: "NaN" is not a number of at least 0, e.g. 2`},
		{"window=soon", gate.Query{}, `window: "soon" is not a duration such as 1h or 30m`},
		{"window=30s", gate.Query{}, `window: must be between 1m and 90d`},
		{"candidate=span.v%3D2", gate.Query{}, `baseline: required with candidate`},
		{"baseline=span.v%3D2", gate.Query{}, `candidate: required with baseline`},
		{"candidate=nokey&baseline=%3Dv", gate.Query{}, `baseline: "=v" is not key=value, e.g. span.app.version=1.5.0; candidate: "nokey" is not key=value, e.g. span.app.version=1.5.0`},
		{"max_error_rate_delta=2&max_p95_ratio=0", gate.Query{}, `max_error_rate_delta: "2" is not a number between 0 and 1, e.g. 0.01; max_p95_ratio: "0" is not a positive number, e.g. 1.2`},
	}
	for _, tt := range tests {
		v, err := url.ParseQuery(tt.query)
		require.NoError(t, err)
		got, err := gate.ParseGateQuery(v)
		if tt.err != "" {
			require.ErrorIs(t, err, fault.ErrInvalid, tt.query)
			require.EqualError(t, err, tt.err, tt.query)
			continue
		}
		require.NoError(t, err, tt.query)
		require.Equal(t, tt.want, got, tt.query)
		// Values round-trips.
		back, err := gate.ParseGateQuery(got.Values())
		require.NoError(t, err)
		require.Equal(t, got, back)
	}
}

func FuzzParseGateQuery(f *testing.F) {
	for _, s := range []string{"", "max_burn=2&window=1h", "window=1d&candidate=a%3Db&baseline=a%3Dc",
		"max_burn=1e309", "window=-5m", "candidate==&baseline==", "max_p95_ratio=Inf", "window=99999999999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := gate.ParseGateQuery(v)
		if err != nil {
			require.ErrorIs(t, err, fault.ErrInvalid)
			return
		}
		require.GreaterOrEqual(t, q.Window, gate.MinGateWindow)
		require.LessOrEqual(t, q.Window, gate.MaxGateWindow)
		require.GreaterOrEqual(t, q.MaxBurn, 0.0)
		back, err := gate.ParseGateQuery(q.Values())
		require.NoError(t, err)
		require.Equal(t, q, back)
	})
}

// TestGateOnConversionCountsClosedCohorts: a gate on a conversion SLO
// judges the cohorts whose 10-minute trace window closed in its window,
// not the ones still deciding. Over the last hour those entered from
// t0-70m to t0-10m: 60 cohorts of 100 instances, 40 converting, a burn of
// 0.6/0.5 = 1.2. The ten open cohorts after them, whose finished instances
// all converted, do not count: with them the burn would be lower.
func TestGateOnConversionCountsClosedCohorts(t *testing.T) {
	t.Parallel()
	conv := journeys.SLO{Name: "reach-s3", Kind: journeys.SLOConversion, Objective: 0.5, Window: dur(day)}
	f := setup(t, shopJourney(conv), alerttest.Options{})
	var funnels []rollup.FunnelRow
	for m := -80; m < 0; m++ {
		r := rollup.FunnelRow{Bucket: at(time.Duration(m) * time.Minute), Width: time.Minute,
			Reached: []int64{100, 60, 40}, InFlight: []int64{0, 0, 0}}
		if m >= -10 {
			// Open at t0: the 30 instances that converted so far, and 70 in
			// flight.
			r.Reached, r.InFlight = []int64{100, 50, 30}, []int64{70, 20, 0}
		}
		funnels = append(funnels, r)
	}
	f.write(t, at(-80*time.Minute), t0, nil, funnels)
	res, err := f.svc.Gate(f.ctx, "shop", 1, time.Hour)
	require.NoError(t, err)
	require.Equal(t, slo.VerdictFail, res.Verdict)
	require.Len(t, res.Checks, 2)
	c := res.Checks[1]
	require.Equal(t, slo.Counts{Good: 2400, Total: 6000}, c.Burn.Burn.Events)
	require.InDelta(t, 1.2, c.Burn.Burn.Rate, 1e-12)
	require.Equal(t, "reach-s3: burn 1.2× over the last 1h exceeds 1× (3600 bad of 6000 events) (journeys whose 10m window closed then: entered 1h10m to 10m before the rollups' end)", c.Reason)
}
