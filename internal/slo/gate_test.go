package slo

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGateBurn(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-01T12:00:00Z")
	// The last hour: 40 calm minutes at 10/min, 20 minutes at 50/min with
	// 2 bad: 40 bad of 1400.
	s := series(t, now.Add(-time.Hour), minutes(40, 10, 0), minutes(20, 50, 2))
	tests := []struct {
		name      string
		window    time.Duration
		maxBurn   float64
		objective float64
		minEvents int64
		at        time.Duration // before now
		verdict   Verdict
		events    Counts
		burn      float64
		reason    string
	}{
		// 40/1400 = 2.857% at a 1% budget.
		{"fails above the limit", time.Hour, 2, 0.99, 100, 0, VerdictFail, Counts{1360, 1400}, 40.0 / 1400 / 0.01,
			"burn 2.86× over the last 1h exceeds 2× (40 bad of 1400 events)"},
		{"passes within the limit", time.Hour, 3, 0.99, 100, 0, VerdictPass, Counts{1360, 1400}, 40.0 / 1400 / 0.01,
			"burn 2.86× over the last 1h is within 3× (40 bad of 1400 events)"},
		// 40/1000 = 4% at 2%: exactly 2.
		{"a burn equal to the limit passes", 20 * time.Minute, 2, 0.98, 100, 0, VerdictPass, Counts{960, 1000}, 2,
			"burn 2× over the last 20m is within 2× (40 bad of 1000 events)"},
		{"a zero limit fails on any bad event", 20 * time.Minute, 0, 0.98, 0, 0, VerdictFail, Counts{960, 1000}, 2,
			"burn 2× over the last 20m exceeds 0× (40 bad of 1000 events)"},
		{"calm window passes a zero limit", 30 * time.Minute, 0, 0.99, 0, 20 * time.Minute, VerdictPass, Counts{300, 300}, 0,
			"burn 0× over the last 30m is within 0× (0 bad of 300 events)"},
		{"too little traffic", time.Hour, 2, 0.99, 1401, 0, VerdictCannotDecide, Counts{1360, 1400}, 40.0 / 1400 / 0.01,
			"only 1400 events in the last 1h, need at least 1401"},
		{"no traffic even without a minimum", 5 * time.Minute, 2, 0.99, 0, time.Hour, VerdictCannotDecide, Counts{}, 0,
			"no events in the last 5m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := GateBurn(s, tt.window, tt.maxBurn, tt.objective, tt.minEvents, now.Add(-tt.at))
			require.NoError(t, err)
			require.Equal(t, tt.verdict, r.Verdict)
			require.Equal(t, tt.reason, r.Reason)
			require.Equal(t, tt.events, r.Burn.Events)
			require.Equal(t, tt.window, r.Burn.Window)
			require.InDelta(t, tt.burn, r.Burn.Rate, 1e-12)
			require.Equal(t, tt.maxBurn, r.MaxBurn)
			require.Equal(t, tt.objective, r.Objective)
			require.Equal(t, tt.minEvents, r.MinEvents)
		})
	}
}

func TestGateBurnErrors(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-01T12:00:00Z")
	tests := []struct {
		name      string
		window    time.Duration
		maxBurn   float64
		objective float64
		minEvents int64
		want      string
	}{
		{"bad objective", time.Hour, 1, 1.5, 0, "objective 1.5 must be between 0 and 1, exclusive, e.g. 0.995"},
		{"zero window", 0, 1, 0.99, 0, "gate window 0s must be positive"},
		{"negative burn", time.Hour, -1, 0.99, 0, "maximum burn -1 must be a number of at least 0"},
		{"NaN burn", time.Hour, math.NaN(), 0.99, 0, "maximum burn NaN must be a number of at least 0"},
		{"infinite burn", time.Hour, math.Inf(1), 0.99, 0, "maximum burn +Inf must be a number of at least 0"},
		{"negative minimum", time.Hour, 1, 0.99, -1, "minimum events -1 must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := GateBurn(Series{}, tt.window, tt.maxBurn, tt.objective, tt.minEvents, now)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestCanary(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	base := Stats{Total: 2000, Errors: 10, P95: 250 * ms} // 0.5%
	tests := []struct {
		name       string
		cand, base Stats
		maxDelta   float64
		maxRatio   float64
		minEvents  int64
		verdict    Verdict
		delta      float64
		ratio      float64
		reason     string
	}{
		{"passes", Stats{Total: 1000, Errors: 6, P95: 260 * ms}, base, 0.01, 1.5, 500, VerdictPass, 0.001, 1.04,
			"candidate error rate 0.6% vs baseline 0.5% (+0.1 pp, limit +1 pp); p95 260ms vs baseline 250ms (1.04×, limit 1.5×)"},
		{"fewer errors and faster", Stats{Total: 1000, Errors: 0, P95: 200 * ms}, base, 0, 1, 500, VerdictPass, -0.005, 0.8,
			"candidate error rate 0% vs baseline 0.5% (-0.5 pp, limit +0 pp); p95 200ms vs baseline 250ms (0.8×, limit 1×)"},
		{"limits met exactly pass", Stats{Total: 1000, Errors: 15, P95: 375 * ms}, base, 0.01, 1.5, 500, VerdictPass, 0.01, 1.5,
			"candidate error rate 1.5% vs baseline 0.5% (+1 pp, limit +1 pp); p95 375ms vs baseline 250ms (1.5×, limit 1.5×)"},
		{"error rate fails", Stats{Total: 1000, Errors: 20, P95: 260 * ms}, base, 0.01, 1.5, 500, VerdictFail, 0.015, 1.04,
			"candidate error rate 2% vs baseline 0.5% (+1.5 pp, limit +1 pp)"},
		{"latency fails", Stats{Total: 1000, Errors: 5, P95: 450 * ms}, base, 0.01, 1.5, 500, VerdictFail, 0, 1.8,
			"candidate p95 450ms vs baseline 250ms (1.8×, limit 1.5×)"},
		{"both fail", Stats{Total: 1000, Errors: 20, P95: 450 * ms}, base, 0.01, 1.5, 500, VerdictFail, 0.015, 1.8,
			"candidate error rate 2% vs baseline 0.5% (+1.5 pp, limit +1 pp); p95 450ms vs baseline 250ms (1.8×, limit 1.5×)"},
		{"candidate too small", Stats{Total: 499, Errors: 20, P95: 450 * ms}, base, 0.01, 1.5, 500, VerdictCannotDecide, 20.0/499 - 0.005, 1.8,
			"candidate has 499 events, need at least 500"},
		{"baseline too small", Stats{Total: 1000, Errors: 20, P95: 450 * ms}, Stats{Total: 100, Errors: 0, P95: 250 * ms}, 0.01, 1.5, 500, VerdictCannotDecide, 0.02, 1.8,
			"baseline has 100 events, need at least 500"},
		{"no traffic without a minimum", Stats{}, base, 0.01, 1.5, 0, VerdictCannotDecide, -0.005, 0,
			"candidate has 0 events, need at least 1"},
		{"baseline without latency", Stats{Total: 1000, Errors: 5, P95: 300 * ms}, Stats{Total: 1000, Errors: 5}, 0.01, 1.5, 0, VerdictCannotDecide, 0, 0,
			"baseline p95 is 0, so candidate p95 300ms cannot be compared"},
		{"neither with latency", Stats{Total: 1000, Errors: 5}, Stats{Total: 1000, Errors: 5}, 0.01, 1.5, 0, VerdictPass, 0, 1,
			"candidate error rate 0.5% vs baseline 0.5% (+0 pp, limit +1 pp); p95 0s vs baseline 0s (1×, limit 1.5×)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Canary(tt.cand, tt.base, tt.maxDelta, tt.maxRatio, tt.minEvents)
			require.NoError(t, err)
			require.Equal(t, tt.verdict, r.Verdict)
			require.Equal(t, tt.reason, r.Reason)
			require.InDelta(t, tt.delta, r.ErrorRateDelta, 1e-12)
			require.InDelta(t, tt.ratio, r.P95Ratio, 1e-12)
			require.Equal(t, tt.cand, r.Candidate)
			require.Equal(t, tt.base, r.Baseline)
			require.Equal(t, tt.maxDelta, r.MaxErrorRateDelta)
			require.Equal(t, tt.maxRatio, r.MaxP95Ratio)
			require.Equal(t, tt.minEvents, r.MinEvents)
		})
	}
}

func TestCanaryErrors(t *testing.T) {
	t.Parallel()
	ok := Stats{Total: 10, Errors: 1, P95: time.Second}
	tests := []struct {
		name       string
		cand, base Stats
		maxDelta   float64
		maxRatio   float64
		minEvents  int64
		want       string
	}{
		{"negative candidate", Stats{Total: -1}, ok, 0.01, 1.2, 0, "candidate: counts must not be negative (errors 0, total -1)"},
		{"errors above total", ok, Stats{Total: 1, Errors: 2}, 0.01, 1.2, 0, "baseline: errors 2 exceed total 1"},
		{"negative p95", Stats{Total: 1, P95: -time.Second}, ok, 0.01, 1.2, 0, "candidate: p95 -1s must not be negative"},
		{"delta above 1", ok, ok, 2, 1.2, 0, "maximum error rate delta 2 must be between 0 and 1, e.g. 0.01 for one percentage point"},
		{"NaN delta", ok, ok, math.NaN(), 1.2, 0, "maximum error rate delta NaN must be between 0 and 1, e.g. 0.01 for one percentage point"},
		{"zero ratio", ok, ok, 0.01, 0, 0, "maximum p95 ratio 0 must be a positive number, e.g. 1.2"},
		{"infinite ratio", ok, ok, 0.01, math.Inf(1), 0, "maximum p95 ratio +Inf must be a positive number, e.g. 1.2"},
		{"negative minimum", ok, ok, 0.01, 1.2, -3, "minimum events -3 must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Canary(tt.cand, tt.base, tt.maxDelta, tt.maxRatio, tt.minEvents)
			require.EqualError(t, err, tt.want)
		})
	}
}
