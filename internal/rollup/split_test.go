package rollup_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

// randomTraffic is three hours of visits to a four-step journey by keys
// (traces, or sessions spread over many traces): entries, re-entries
// inside and after the window, steps out of order, ties at one instant,
// spans on minute boundaries, errors, and a tier that changes from span
// to span.
func randomTraffic(rng *rand.Rand, byTrace bool, window time.Duration) []rolluptest.Span {
	var spans []rolluptest.Span
	n := 0
	tiers := []string{"gold", "silver", "bronze"}
	span := func(step, key int, start time.Time) {
		n++
		trace := key
		a := attrs("span.tier", tiers[rng.IntN(len(tiers))], "resource.host.name", fmt.Sprintf("h%d", rng.IntN(4)))
		if !byTrace {
			trace = 100000 + n
			a["span.session.id"] = fmt.Sprintf("s%d", key)
		}
		if rng.IntN(10) == 0 {
			a["span.total"] = fmt.Sprint(rng.IntN(100))
		}
		d := time.Duration(1+rng.IntN(2000)) * time.Millisecond
		spans = append(spans, rolluptest.StepSpan(step, trace, n, start, d, rng.IntN(15) == 0, a))
	}
	for key := 1; key <= 150; key++ {
		for range 1 + rng.IntN(3) {
			t := at(time.Duration(rng.Int64N(int64(3 * time.Hour))))
			if rng.IntN(6) == 0 {
				t = t.Truncate(time.Minute) // on a boundary
			}
			span(1, key, t)
			if rng.IntN(5) == 0 {
				span(1, key, t) // a tie
			}
			if rng.IntN(4) == 0 {
				span(1, key, t.Add(time.Duration(rng.Int64N(int64(2*window))))) // inside or after the window
			}
			step := t
			for k := 2; k <= 4 && rng.IntN(4) != 0; k++ {
				gap := time.Duration(rng.Int64N(int64(window / 2)))
				if rng.IntN(8) == 0 {
					gap = -gap // out of order
				}
				if rng.IntN(8) == 0 {
					gap = 0 // at the same instant
				}
				step = step.Add(gap)
				span(k, key, step)
				if rng.IntN(6) == 0 {
					span(k, key, step.Add(time.Duration(rng.Int64N(int64(time.Minute)))))
				}
			}
		}
	}
	rng.Shuffle(len(spans), func(i, j int) { spans[i], spans[j] = spans[j], spans[i] })
	return spans
}

func splitJourney(byTrace bool) journeys.Journey {
	by, window := "span.session.id", 20*time.Minute
	if byTrace {
		by, window = journeys.CorrelateByTrace, 0
	}
	j := rolluptest.Journey("split", by, window, 4)
	j.Spec.Segments = []string{"span.tier", "resource.host.name"}
	j.Spec.Value = "span.total"
	j.Spec.SLOs = []journeys.SLO{{Name: "fast", Kind: journeys.SLOLatency, Threshold: journeys.NewDuration(time.Second), Objective: 0.9}}
	return j
}

// describeAll is every row in full, sketches by their exact contents.
func describeAll(t *testing.T, rows *rolluptest.Rows, from, to time.Time) []string {
	t.Helper()
	out := describeSteps(t, rows.Steps(from, to), true)
	for _, s := range rows.Steps(from, to) {
		b, err := s.Latency.MarshalBinary()
		require.NoError(t, err)
		out = append(out, fmt.Sprintf("%x", b))
	}
	out = append(out, describeFunnels(rows.Funnels())...)
	for _, f := range rows.Funnels() {
		out = append(out, fmt.Sprintf("dropped=%v errored=%v", f.DroppedValue, f.ErroredValue))
		for _, sk := range f.StepTimes {
			b, err := sk.MarshalBinary()
			require.NoError(t, err)
			out = append(out, fmt.Sprintf("%x", b))
		}
	}
	return out
}

// TestSplitAnywhereGivesTheRowsOfOneRun cuts three hours at random minutes
// and carries the funnel state from each part to the next: the rows, and
// what a later run makes of the state, are exactly those of one run over
// the whole range.
func TestSplitAnywhereGivesTheRowsOfOneRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, byTrace := range []bool{false, true} {
		for seed := uint64(1); seed <= 25; seed++ {
			name := fmt.Sprintf("trace=%v/seed=%d", byTrace, seed)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(seed, 7))
				j := splitJourney(byTrace)
				src := &rolluptest.Source{}
				src.Add(randomTraffic(rng, byTrace, rollup.Window(j))...)
				from, to, after := at(60*time.Minute), at(180*time.Minute), at(240*time.Minute)

				one := &rolluptest.Rows{}
				res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: from, To: to}, nil)
				require.NoError(t, err)
				one.Apply(res)

				var cuts []time.Time
				for range 1 + rng.IntN(4) {
					cuts = append(cuts, from.Add(time.Duration(1+rng.IntN(119))*time.Minute))
				}
				slices.SortFunc(cuts, time.Time.Compare)
				cuts = slices.CompactFunc(cuts, time.Time.Equal)
				split := &rolluptest.Rows{}
				var open *rollup.Open
				at := from
				for _, c := range append(cuts, to) {
					res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: at, To: c}, open)
					require.NoError(t, err)
					split.Apply(res)
					open, at = res.Open, c
				}
				require.Equal(t, one.Open.Len(), split.Open.Len(), "cuts %v", cuts)
				sameRows(t, describeAll(t, one, from, to), describeAll(t, split, from, to), cuts)

				// The carried states are the same: the next hour comes out
				// the same from both.
				for _, rows := range []*rolluptest.Rows{one, split} {
					res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: to, To: after}, rows.Open)
					require.NoError(t, err)
					rows.Apply(res)
				}
				sameRows(t, describeAll(t, one, from, after), describeAll(t, split, from, after), cuts)
			})
		}
	}
}

// sameRows fails on the first rows that differ, so that a failure reads.
func sameRows(t *testing.T, want, got []string, cuts []time.Time) {
	t.Helper()
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			lo := max(i-2, 0)
			t.Fatalf("cuts %v: row %d differs\nwant %q\ngot  %q\n(after %q)", cuts, i, want[i], got[i], want[lo:i])
		}
	}
	require.Len(t, got, len(want), "cuts %v", cuts)
}
