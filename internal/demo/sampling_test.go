package demo

import (
	"context"
	"math"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

func TestSamplingThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    float64
		th   string
		want float64 // adjusted count
	}{
		{1, "0", 1},
		{0.5, "8", 2},
		{0.25, "c", 4},
		{0.125, "e", 8},
		{0.75, "4", 4.0 / 3},
		{0.1, "e6666666666666", 72057594037927936.0 / 7205759403792794},
		{1.0 / 1024, "ffc", 1024},
		{math.Ldexp(1, -56), "ffffffffffffff", math.Ldexp(1, 56)}, // the smallest there is
	} {
		s := newSampling(tc.p)
		require.Equal(t, tc.th, thresholdHex(threshold(tc.p)), tc.p)
		require.Equal(t, tc.want, s.adjustedCount(), tc.p)
		// What the rollups read back.
		got, ok := journeys.AdjustedCount("ot=th:" + tc.th)
		require.True(t, ok, tc.p)
		require.Equal(t, tc.want, got, tc.p)
		require.InDelta(t, 1/tc.p, got, 1e-9/tc.p, tc.p)
	}
	require.False(t, newSampling(1).on())
	require.False(t, newSampling(0).on(), "0 is unset: everything")
	require.Equal(t, 1.0, newSampling(0).p)
	s := newSampling(0.25)
	require.Equal(t, "ot=th:c;rv:00000000abcdef", s.traceState(0xabcdef))
	got, ok := journeys.AdjustedCount(s.traceState(0xabcdef))
	require.True(t, ok)
	require.Equal(t, 4.0, got)
	// Kept iff the randomness is at or above the threshold.
	require.False(t, s.keep(0xbfffffffffffff))
	require.True(t, s.keep(0xc0000000000000))
	require.Equal(t, uint64(0x0708090a0b0c0d), randomness([16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 7, 8, 9, 10, 11, 12, 13}))
}

func sampledConfig(p float64, sessions int) Config {
	cfg := DefaultConfig()
	cfg.Start = t0
	cfg.Duration = 2 * time.Hour
	cfg.Sessions = sessions
	cfg.Sample = p
	return cfg
}

func TestSampledPlanKeepsTheWholeTruth(t *testing.T) {
	t.Parallel()
	const p = 0.25
	full, err := Plan(sampledConfig(1, 20_000))
	require.NoError(t, err)
	tr, err := Plan(sampledConfig(p, 20_000))
	require.NoError(t, err)
	truth, whole := tr.Truth(), full.Truth()

	// The same traffic: the truth is the unsampled one, plus what was kept.
	require.Equal(t, SamplingTruth{Probability: 1, AdjustedCount: 1, Sessions: whole.Sessions, Traces: whole.Traces, Spans: whole.Spans}, whole.Sampling)
	kept := truth.Sampling
	truth.Sampling, truth.Model.Sample = whole.Sampling, whole.Model.Sample
	require.Equal(t, whole, truth)

	// Each session is kept or dropped whole, by its first trace's
	// randomness against the threshold (1 - P)·2^56.
	var sessions, traces, spans int
	rootsKept := make([]int, NumSteps)
	for _, x := range tr.Traces() {
		s := x.Session
		if x.Step == 0 {
			require.Equal(t, randomness(x.ID), s.Randomness)
			require.Equal(t, s.Randomness >= 3<<54, s.Sampled)
			if s.Sampled {
				sessions++
			}
		}
		if s.Sampled {
			traces++
			spans += len(x.Spans)
			rootsKept[x.Step]++
		}
	}
	require.Equal(t, SamplingTruth{Probability: p, Threshold: "c", AdjustedCount: 4, Sessions: sessions, Traces: traces, Spans: spans}, kept)

	// The kept root spans, counted at their adjusted count, estimate every
	// step's count: each step's kept count is binomial(N, P), so the
	// estimate's standard error is sqrt(N·(1-P)/P).
	for i, st := range whole.Steps {
		n := float64(st.RootSpans)
		est := float64(rootsKept[i]) * kept.AdjustedCount
		se := math.Sqrt(n * (1 - p) / p)
		t.Logf("%s: truth %d, estimate %.0f, 4 standard errors %.0f", st.Step, st.RootSpans, est, 4*se)
		require.InDelta(t, n, est, 4*se, st.Step)
	}
	require.InDelta(t, float64(whole.Sessions)*p, float64(sessions), 4*math.Sqrt(float64(whole.Sessions)*p*(1-p)))
}

func TestSendCarriesTheSamplingThreshold(t *testing.T) {
	t.Parallel()
	tr, err := Plan(sampledConfig(0.25, 300))
	require.NoError(t, err)
	sink, srv := newSink(t)
	require.NoError(t, tr.Send(context.Background(), srv.URL))

	got := sink.got()
	sortSpans(got)
	require.Equal(t, wantSpans(tr.Traces(), 0.25), got)
	require.Len(t, got, tr.Truth().Sampling.Spans)
	require.Less(t, len(got), tr.Truth().Spans)
	state := regexp.MustCompile(`^ot=th:c;rv:[0-9a-f]{14}$`)
	for _, g := range got {
		require.Regexp(t, state, g.TraceState)
		c, ok := journeys.AdjustedCount(g.TraceState)
		require.True(t, ok)
		require.Equal(t, 4.0, c)
	}
}

func TestRunSamples(t *testing.T) {
	t.Parallel()
	sink, srv := newSink(t)
	model := fastModel()
	model.Sample = 0.5
	path := filepath.Join(t.TempDir(), "truth.json")
	runFor(t, LiveConfig{Model: model, Endpoint: srv.URL, Rate: 300, TruthPath: path}, 800*time.Millisecond)

	truth := readTruth(t, path)
	got := sink.got()
	require.Equal(t, truth.Sampling.Spans, len(got))
	require.Less(t, len(got), truth.Spans)
	require.Equal(t, "8", truth.Sampling.Threshold)
	require.Equal(t, 2.0, truth.Sampling.AdjustedCount)
	sessions := map[string]bool{}
	for _, g := range got {
		require.Regexp(t, `^ot=th:8;rv:[0-9a-f]{14}$`, g.TraceState)
		sessions[g.Attrs[AttrSessionID]] = true
	}
	require.Len(t, sessions, truth.Sampling.Sessions)
}
