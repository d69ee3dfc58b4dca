package rollup_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

// riskTraffic is five traces of a three-step shop by trace, each with an
// order total on step 1:
//
//	1: 10,  s1 → s2 after 1.5 s → s3 after 1 s
//	2: 25,  s1 → s2 after 3 s, drops
//	3: 7,   s1 fails, drops
//	4: 40,  s1 → s2 after 3 s, s2 fails, drops
//	5: 100, s1 → s2 after 30 s → s3 after 1 s (in the second hour)
//
// Step 1 takes 100 ms, step 2 200 ms, step 3 400 ms.
func riskTraffic() []rolluptest.Span {
	ms := time.Millisecond
	total := func(v string) map[string]string { return attrs("span.total", v) }
	return []rolluptest.Span{
		rolluptest.StepSpan(1, 1, 1, at(time.Minute), 100*ms, false, total("10")),
		rolluptest.StepSpan(2, 1, 2, at(time.Minute+1500*ms), 200*ms, false, nil),
		rolluptest.StepSpan(3, 1, 3, at(time.Minute+2500*ms), 400*ms, false, nil),
		rolluptest.StepSpan(1, 2, 4, at(2*time.Minute), 100*ms, false, total("25")),
		rolluptest.StepSpan(2, 2, 5, at(2*time.Minute+3*time.Second), 200*ms, false, nil),
		rolluptest.StepSpan(1, 3, 6, at(3*time.Minute), 100*ms, true, total("7")),
		rolluptest.StepSpan(1, 4, 7, at(4*time.Minute), 100*ms, false, total("40")),
		rolluptest.StepSpan(2, 4, 8, at(4*time.Minute+3*time.Second), 200*ms, true, nil),
		rolluptest.StepSpan(1, 5, 9, at(70*time.Minute), 100*ms, false, total("100")),
		rolluptest.StepSpan(2, 5, 10, at(70*time.Minute+30*time.Second), 200*ms, false, nil),
		rolluptest.StepSpan(3, 5, 11, at(70*time.Minute+31*time.Second), 400*ms, false, nil),
	}
}

func riskJourney() journeys.Journey {
	j := rolluptest.Journey("risk", journeys.CorrelateByTrace, 0, 3)
	j.Spec.Value = "span.total"
	return j
}

func TestRevenueAtRiskPerStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := riskJourney()
	v := b.put(t, j)
	b.advance(t, j, v, t0, at(time.Hour), at(3*time.Hour), riskTraffic())

	got, err := b.rollups.RevenueAtRisk(b.ctx, j, t0, at(2*time.Hour), nil)
	require.NoError(t, err)
	type risk struct {
		name            string
		dropped, errors int64
		dropVal, errVal float64
		errored         []string
	}
	var steps []risk
	for _, s := range got.Steps {
		steps = append(steps, risk{s.Name, s.Dropped, s.Errors, s.DroppedValue, s.ErroredValue, traceIDs(s.Errored)})
	}
	require.Equal(t, []risk{
		// Trace 3 stopped at step 1, failed.
		{"s1", 1, 1, 7, 7, []string{rolluptest.TraceID(3)}},
		// Traces 2 and 4 stopped at step 2, 4 failed there.
		{"s2", 2, 1, 65, 40, []string{rolluptest.TraceID(4)}},
		{"s3", 0, 0, 0, 0, []string{}},
	}, steps)
	require.Equal(t, 72.0, got.DroppedValue)
	require.Equal(t, 47.0, got.ErroredValue)

	_, err = b.rollups.RevenueAtRisk(b.ctx, rolluptest.Journey("none", journeys.CorrelateByTrace, 0, 2), t0, at(time.Hour), nil)
	require.ErrorIs(t, err, rollup.ErrNotFound)
}

func TestEndpointHeatmap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := riskJourney()
	// Steps 1 and 3 on the same endpoint share a row.
	j.Spec.Steps[2].Match = j.Spec.Steps[0].Match
	spans := riskTraffic()
	for i := range spans {
		if spans[i].Name == "s3" {
			spans[i].Name = "s1"
		}
	}
	v := b.put(t, j)
	b.advance(t, j, v, t0, at(time.Hour), at(3*time.Hour), spans)

	hm, err := b.rollups.EndpointHeatmap(b.ctx, j, at(30*time.Second), at(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, []time.Time{t0, at(time.Hour)}, hm.Hours)
	require.Len(t, hm.Rows, 2)
	s1, s2 := hm.Rows[0], hm.Rows[1]
	require.Equal(t, [3]any{rolluptest.Service, "s1", []int{0, 2}}, [3]any{s1.Service, s1.Endpoint, s1.Steps})
	require.Equal(t, [3]any{rolluptest.Service, "s2", []int{1}}, [3]any{s2.Service, s2.Endpoint, s2.Steps})
	// First hour: four 100 ms spans of step 1 and one 400 ms of step 3:
	// nearest-rank p95 of five is the largest.
	require.Equal(t, [3]int64{5, 1, 1}, [3]int64{s1.Cells[0].Spans, s1.Cells[0].Errors, int64(s1.Cells[0].Hours)})
	require.InEpsilon(t, 400.0, s1.Cells[0].P95, 0.01)
	require.Equal(t, int64(2), s1.Cells[1].Spans)
	require.InEpsilon(t, 400.0, s1.Cells[1].P95, 0.01)
	require.Equal(t, [2]int64{3, 1}, [2]int64{s2.Cells[0].Spans, s2.Cells[0].Errors})
	require.InEpsilon(t, 200.0, s2.Cells[0].P95, 0.01)
	require.Equal(t, int64(1), s2.Cells[1].Spans)

	_, err = b.rollups.EndpointHeatmap(b.ctx, j, t0, t0)
	require.ErrorIs(t, err, rollup.ErrBadComparison)
	_, err = b.rollups.EndpointHeatmap(b.ctx, j, t0, at(32*24*time.Hour))
	require.ErrorIs(t, err, rollup.ErrBadComparison)
}

func TestTransitionHistograms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	j := riskJourney()
	v := b.put(t, j)
	b.advance(t, j, v, t0, at(time.Hour), at(3*time.Hour), riskTraffic())
	st, err := b.rollups.Stats(b.ctx, "risk", t0, at(2*time.Hour), nil)
	require.NoError(t, err)
	hs := rollup.TransitionHistograms(st)
	require.Len(t, hs, 2)
	// s1 → s2: 1.5 s, 3 s, 3 s, 30 s, on edges 1, 2, 5, 10, 20, 50 s.
	require.Equal(t, [2]int{0, 1}, [2]int{hs[0].From, hs[0].To})
	require.Equal(t, []float64{1000, 2000, 5000, 10000, 20000, 50000}, hs[0].EdgesMS)
	require.Equal(t, []uint64{0, 1, 2, 0, 0, 1, 0}, hs[0].Counts)
	require.Equal(t, int64(4), hs[0].Count)
	// s2 → s3: 1 s twice, on edges 1 s (at or below the lowest) and 2 s;
	// the sketch holds 1 s within 1%, so it counts below 1 s or in [1, 2).
	require.Equal(t, int64(2), hs[1].Count)
	require.Len(t, hs[1].Counts, len(hs[1].EdgesMS)+1)
	var n uint64
	for _, c := range hs[1].Counts {
		n += c
	}
	require.Equal(t, uint64(2), n)
	require.InEpsilon(t, 1000.0, hs[1].P95, 0.01)
}
