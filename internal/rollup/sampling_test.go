package rollup_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

// shopTraffic is n traces of a three-step journey: every trace logs in,
// 60% go on to pay, 80% of those confirm; 5% of payments fail.
func shopTraffic(rng *rand.Rand, n int) []rolluptest.Span {
	var spans []rolluptest.Span
	id := 0
	for tr := 1; tr <= n; tr++ {
		t := at(time.Duration(rng.Int64N(int64(time.Hour))))
		for k := 1; k <= 3; k++ {
			if k == 2 && rng.Float64() >= 0.6 || k == 3 && rng.Float64() >= 0.8 {
				break
			}
			id++
			spans = append(spans, rolluptest.StepSpan(k, tr, id, t.Add(time.Duration(k)*time.Second),
				time.Duration(10+rng.IntN(200))*time.Millisecond, k == 2 && rng.Float64() < 0.05, nil))
		}
	}
	return spans
}

// sample keeps each trace with probability p, deciding by a hash of the
// trace id as consistent probability samplers do, and marks its spans
// with the weight 1/p they stand for.
func sample(spans []rolluptest.Span, p float64) []rolluptest.Span {
	var out []rolluptest.Span
	for _, s := range spans {
		h := sha256.Sum256([]byte(s.TraceID))
		if float64(binary.BigEndian.Uint64(h[:8])>>11)/float64(1<<53) < p {
			s.Weight = 1 / p
			out = append(out, s)
		}
	}
	return out
}

func TestSampledTrafficEstimatesTheWhole(t *testing.T) {
	t.Parallel()
	j := rolluptest.Journey("shop", journeys.CorrelateByTrace, 0, 3)
	full := shopTraffic(rand.New(rand.NewPCG(1, 2)), 20_000)
	r := rollup.Range{From: t0, To: at(2 * time.Hour)}
	truth := run(t, j, r, full)
	for _, p := range []float64{0.5, 0.25, 0.1} {
		est := run(t, j, r, sample(full, p))
		var want, got [3]int64
		var wantErr, gotErr int64
		var sampled int64
		for _, s := range truth.Steps {
			if s.Segment.All() {
				want[s.Step] += s.Spans
				if s.Step == 1 {
					wantErr += s.Errors
				}
			}
		}
		for _, s := range est.Steps {
			if s.Segment.All() {
				got[s.Step] += s.Spans
				sampled += s.Sampled
				if s.Step == 1 {
					gotErr += s.Errors
				}
			}
		}
		// Each trace is kept or not as a whole: a step's estimate has the
		// variance of N/p Bernoulli trials weighted 1/p; allow 4σ.
		for k := range 3 {
			sigma := math.Sqrt(float64(want[k])*(1-p)/p) + 1
			require.InDelta(t, float64(want[k]), float64(got[k]), 4*sigma, "p=%v step %d", p, k)
		}
		sigma := math.Sqrt(float64(wantErr)*(1-p)/p) + 1
		require.InDelta(t, float64(wantErr), float64(gotErr), 4*sigma, "p=%v errors", p)
		require.Less(t, float64(sampled), float64(got[0]+got[1]+got[2])*(p+0.05))
		// The funnel too: entered and converted, per cohort as one.
		var wantIn, gotIn, wantDone, gotDone int64
		for _, f := range truth.Funnels {
			if f.Segment.All() {
				wantIn, wantDone = wantIn+f.Reached[0], wantDone+f.Reached[2]
			}
		}
		for _, f := range est.Funnels {
			if f.Segment.All() {
				gotIn, gotDone = gotIn+f.Reached[0], gotDone+f.Reached[2]
			}
		}
		require.InDelta(t, float64(wantIn), float64(gotIn), 4*math.Sqrt(float64(wantIn)*(1-p)/p), "p=%v entered", p)
		require.InDelta(t, float64(wantDone)/float64(wantIn), float64(gotDone)/float64(gotIn), 0.03, "p=%v conversion", p)
	}

	// Unsampled, the numbers are exact: every span counts once.
	same := run(t, j, r, full)
	require.Equal(t, describeSteps(t, truth.Steps, true), describeSteps(t, same.Steps, true))
	for _, s := range same.Steps {
		require.Equal(t, s.Spans, s.Sampled)
	}
}

func TestAdjustedCountAttributeWinsOverTheSource(t *testing.T) {
	t.Parallel()
	j := rolluptest.Journey("shop", "span.session.id", 10*time.Minute, 2)
	spans := []rolluptest.Span{
		rolluptest.StepSpan(1, 1, 1, at(time.Second), time.Millisecond, false, attrs("span.session.id", "a", "span.SampleRate", "20")),
		rolluptest.StepSpan(2, 2, 2, at(2*time.Second), time.Millisecond, true, attrs("span.session.id", "a", "span.SampleRate", "20")),
		rolluptest.StepSpan(1, 3, 3, at(3*time.Second), time.Millisecond, false, attrs("span.session.id", "b", "span.SampleRate", "nope")),
	}
	spans[2].Weight = 4 // from the tracestate; the attribute is unreadable
	src := &rolluptest.Source{}
	src.Add(spans...)
	res, err := rollup.Aggregate(context.Background(), src, j, rollup.Range{From: t0, To: at(time.Minute), AdjustedCountKey: "span.SampleRate"}, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"s1 m0 all n=24 err=0", "s2 m0 all n=20 err=20"}, describeSteps(t, res.Steps, false))
	require.Equal(t, int64(2), res.Steps[0].Sampled)
	require.Equal(t, []int64{24, 20}, res.Funnels[0].Reached)
	require.Equal(t, int64(20), res.Funnels[0].Errored)
	require.Contains(t, src.Queries()[0].Select, "span.SampleRate")
}
