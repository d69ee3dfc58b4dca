package rollup_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// run aggregates spans through the in-memory source, as a first run
// (recounting) would.
func run(t *testing.T, j journeys.Journey, r rollup.Range, spans []rolluptest.Span) *rollup.Result {
	t.Helper()
	src := &rolluptest.Source{}
	src.Add(spans...)
	res, err := rollup.Aggregate(context.Background(), src, j, r, nil)
	require.NoError(t, err)
	return res
}

// advance computes [from, to) as a first run would, then carries on an hour
// at a time until horizon as later runs do; it returns the step rows of
// [from, to) and every cohort row, as the store would hold them.
func advance(t *testing.T, j journeys.Journey, from, to, horizon time.Time, spans []rolluptest.Span) ([]rollup.StepRow, []rollup.FunnelRow) {
	t.Helper()
	src := &rolluptest.Source{}
	src.Add(spans...)
	rows, _, err := rolluptest.Advance(context.Background(), src, j, from, to, horizon, time.Hour)
	require.NoError(t, err)
	return rows.Steps(from, to), rows.Funnels()
}

func seg(s rollup.Segment) string {
	if s.All() {
		return "all"
	}
	return s.Key + "=" + s.Value
}

func traceNums(ex []rollup.Exemplar) []int {
	out := []int{}
	for _, e := range ex {
		n, err := strconv.ParseInt(e.TraceID, 16, 64)
		if err != nil {
			panic(err)
		}
		out = append(out, int(n))
	}
	return out
}

// describeSteps renders step rows one per line, minutes counted from t0.
func describeSteps(t *testing.T, rows []rollup.StepRow, full bool) []string {
	t.Helper()
	var out []string
	for _, r := range rows {
		require.Equal(t, uint64(r.Spans), r.Latency.Count(), "sketch counts every span")
		s := fmt.Sprintf("s%d m%d %s n=%d err=%d", r.Step+1, int(r.Bucket.Sub(t0)/time.Minute), seg(r.Segment), r.Spans, r.Errors)
		if full {
			s += fmt.Sprintf(" good=%v sum=%g slow=%v errs=%v", r.Good, r.ValueSum, traceNums(r.Slowest), traceNums(r.Errored))
		}
		out = append(out, s)
	}
	return out
}

func describeFunnels(rows []rollup.FunnelRow) []string {
	var out []string
	for _, r := range rows {
		var times []uint64
		for _, s := range r.StepTimes {
			times = append(times, s.Count())
		}
		line := fmt.Sprintf("m%d %s reached=%v err=%d inflight=%v times=%v",
			int(r.Bucket.Sub(t0)/time.Minute), seg(r.Segment), r.Reached, r.Errored, r.InFlight, times)
		if r.Continued != nil {
			line = fmt.Sprintf("m%d %s reached=%v continued=%v inflight=%v",
				int(r.Bucket.Sub(t0)/time.Minute), seg(r.Segment), r.Reached, r.Continued, r.InFlight)
		}
		out = append(out, line)
	}
	return out
}

func attrs(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// traceJourney is a three-step journey correlated by trace, with a tier
// segment, an order total and latency SLOs.
func traceJourney() journeys.Journey {
	j := rolluptest.Journey("shop", journeys.CorrelateByTrace, 0, 3)
	j.Spec.Segments = []string{"span.tier"}
	j.Spec.Value = "span.total"
	j.Spec.SLOs = []journeys.SLO{
		{Name: "fast-entry", Step: "s1", Kind: journeys.SLOLatency, Threshold: journeys.NewDuration(100 * time.Millisecond), Objective: 0.99},
		{Name: "entry", Step: "s1", Kind: journeys.SLOLatency, Threshold: journeys.NewDuration(500 * time.Millisecond), Objective: 0.9},
		{Name: "cart", Step: "s2", Kind: journeys.SLOLatency, Threshold: journeys.NewDuration(500 * time.Millisecond), Objective: 0.9},
		{Name: "pay", Step: "s3", Kind: journeys.SLOLatency, Threshold: journeys.NewDuration(500 * time.Millisecond), Objective: 0.9},
		{Name: "available", Step: "s3", Kind: journeys.SLOSuccess, Objective: 0.99},
	}
	return j
}

func traceSpans() []rolluptest.Span {
	ms := time.Millisecond
	return []rolluptest.Span{
		rolluptest.StepSpan(1, 1, 1, at(10*time.Second), 50*ms, false, attrs("span.tier", "gold", "span.total", "12.5")),
		rolluptest.StepSpan(2, 1, 2, at(20*time.Second), 200*ms, false, nil),
		rolluptest.StepSpan(3, 1, 3, at(30*time.Second), 600*ms, true, attrs("span.total", "7")),
		rolluptest.StepSpan(1, 2, 4, at(70*time.Second), 150*ms, false, attrs("span.total", "abc")),
		// Starts before the trace's step-1 span: counted as a span of its
		// step, in all traffic only (the trace had not entered), and not as
		// reaching step 2.
		rolluptest.StepSpan(2, 2, 5, at(65*time.Second), 80*ms, false, nil),
		// No step-1 span in its trace: all traffic only, whatever it
		// carries itself.
		rolluptest.StepSpan(2, 3, 6, at(30*time.Second), 300*ms, true, attrs("span.tier", "silver")),
	}
}

func TestTraceCorrelation(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	j, spans := traceJourney(), traceSpans()
	res := run(t, j, rollup.Range{From: t0, To: at(2 * time.Minute)}, spans)
	require.Equal(t, [][]time.Duration{{100 * ms, 500 * ms}, {500 * ms}, {500 * ms}}, res.Thresholds)
	require.Equal(t, []string{
		"s1 m0 all n=1 err=0 good=[1 1] sum=12.5 slow=[1] errs=[]",
		"s1 m0 span.tier=gold n=1 err=0 good=[1 1] sum=12.5 slow=[1] errs=[]",
		"s1 m1 all n=1 err=0 good=[0 1] sum=0 slow=[2] errs=[]",
		"s1 m1 span.tier=(none) n=1 err=0 good=[0 1] sum=0 slow=[2] errs=[]",
		"s2 m0 all n=2 err=1 good=[2] sum=0 slow=[3 1] errs=[3]",
		"s2 m0 span.tier=gold n=1 err=0 good=[1] sum=0 slow=[1] errs=[]",
		"s2 m1 all n=1 err=0 good=[1] sum=0 slow=[2] errs=[]",
		"s3 m0 all n=1 err=1 good=[0] sum=7 slow=[1] errs=[1]",
		"s3 m0 span.tier=gold n=1 err=1 good=[0] sum=7 slow=[1] errs=[1]",
	}, describeSteps(t, res.Steps, true))
	require.Equal(t, []string{
		"m0 all reached=[1 1 1] err=1 inflight=[0 0 0] times=[1 1]",
		"m0 span.tier=gold reached=[1 1 1] err=1 inflight=[0 0 0] times=[1 1]",
		// Trace 2's window is still open at the end of the range: in
		// flight, not dropped.
		"m1 all reached=[1 0 0] err=0 inflight=[1 0 0] times=[0 0]",
		"m1 span.tier=(none) reached=[1 0 0] err=0 inflight=[1 0 0] times=[0 0]",
	}, describeFunnels(res.Funnels))
	require.InEpsilon(t, float64(10*time.Second), float64(res.Funnels[0].StepTimes[0].Quantile(0.5)), 0.01)
	require.Equal(t, time.Duration(600*ms), res.Steps[7].Slowest[0].Duration)
	require.Equal(t, at(30*time.Second), res.Steps[7].Slowest[0].Start)
	// Both traces are carried: trace 2 in flight, trace 1 complete but
	// inside its window, where another step-1 span would not enter.
	require.Equal(t, 2, res.Open.Len())
	require.Equal(t, int64(6), res.Fetch.Spans)
}

func TestTraceFunnelOrdering(t *testing.T) {
	t.Parallel()
	j := rolluptest.Journey("order", journeys.CorrelateByTrace, 0, 3)
	type s struct {
		step int
		at   time.Duration
		err  bool
	}
	sec := time.Second
	cases := []struct {
		name    string
		spans   []s
		reached []int64 // nil: no instance at all
		errored int64
	}{
		{"in order", []s{{1, 0, false}, {2, sec, false}, {3, 2 * sec, false}}, []int64{1, 1, 1}, 0},
		{"equal start times", []s{{1, 0, false}, {2, 0, false}, {3, 0, false}}, []int64{1, 1, 1}, 0},
		{"step 2 before step 1", []s{{1, 5 * sec, false}, {2, sec, false}, {3, 6 * sec, false}}, []int64{1, 0, 0}, 0},
		{"step 3 before step 2", []s{{1, 0, false}, {2, 5 * sec, false}, {3, 3 * sec, false}}, []int64{1, 1, 0}, 0},
		{"earliest qualifying step 2 is chosen", []s{{1, 10 * sec, false}, {2, 5 * sec, false}, {2, 40 * sec, false}, {2, 20 * sec, false}, {3, 30 * sec, false}}, []int64{1, 1, 1}, 0},
		{"repeated step 1: the earliest enters", []s{{1, 10 * sec, false}, {1, 0, false}, {2, 5 * sec, false}}, []int64{1, 1, 0}, 0},
		{"errored step still reaches", []s{{1, 0, false}, {2, sec, true}, {3, 2 * sec, false}}, []int64{1, 1, 1}, 1},
		{"errored entry", []s{{1, 0, true}, {2, sec, false}}, []int64{1, 1, 0}, 1},
		{"tie with an error counts the error", []s{{1, 0, false}, {2, sec, false}, {2, sec, true}, {3, 2 * sec, false}}, []int64{1, 1, 1}, 1},
		{"later error is not the chosen span", []s{{1, 0, false}, {2, sec, false}, {2, 3 * sec, true}, {3, 4 * sec, false}}, []int64{1, 1, 1}, 0},
		{"earlier error before the entry is ignored", []s{{1, 2 * sec, false}, {2, sec, true}, {2, 3 * sec, false}}, []int64{1, 1, 0}, 0},
		{"no step 1", []s{{2, 0, false}, {3, sec, false}}, nil, 0},
		{"step at the window end is outside", []s{{1, 0, false}, {2, rollup.DefaultTraceWindow, false}}, []int64{1, 0, 0}, 0},
		{"step just inside the window", []s{{1, 0, false}, {2, rollup.DefaultTraceWindow - 1, false}}, []int64{1, 1, 0}, 0},
		{"skipped step stops the funnel", []s{{1, 0, false}, {3, sec, false}}, []int64{1, 0, 0}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var spans []rolluptest.Span
			for i, x := range tc.spans {
				spans = append(spans, rolluptest.StepSpan(x.step, 1, i+1, at(time.Minute+x.at), time.Millisecond, x.err, nil))
			}
			// Every arrival order gives the same funnel.
			for _, perm := range permutations(len(spans)) {
				ordered := make([]rolluptest.Span, len(spans))
				for i, p := range perm {
					ordered[i] = spans[p]
				}
				_, funnels := advance(t, j, t0, at(10*time.Minute), at(30*time.Minute), ordered)
				if tc.reached == nil {
					require.Empty(t, funnels)
					continue
				}
				require.Len(t, funnels, 1, "order %v", perm)
				f := funnels[0]
				require.Equal(t, []int64{0, 0, 0}, f.InFlight, "order %v", perm)
				require.Equal(t, tc.reached, f.Reached, "order %v", perm)
				require.Equal(t, tc.errored, f.Errored, "order %v", perm)
				require.Equal(t, at(time.Minute), f.Bucket)
			}
		})
	}
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func sessionSpans() []rolluptest.Span { return rolluptest.CheckoutSpans(t0) }

func sessionJourney() journeys.Journey { return rolluptest.CheckoutJourney() }

var sessionStepRows = []string{
	"s1 m61 all n=1 err=0",
	"s1 m61 span.tier=silver n=1 err=0",
	"s1 m65 all n=1 err=0",
	"s1 m65 span.tier=gold n=1 err=0",
	"s1 m70 all n=2 err=0",
	"s1 m70 span.tier=gold n=1 err=0",
	"s1 m70 span.tier=silver n=1 err=0",
	"s1 m75 all n=1 err=0",
	"s1 m75 span.tier=(none) n=1 err=0",
	"s1 m85 all n=1 err=0",
	"s1 m85 span.tier=gold n=1 err=0",
	"s1 m110 all n=1 err=0",
	"s1 m110 span.tier=(none) n=1 err=0",
	"s1 m119 all n=1 err=0",
	"s1 m119 span.tier=(none) n=1 err=0",
	"s2 m62 all n=1 err=0",
	"s2 m62 span.tier=bronze n=1 err=0",
	"s2 m70 all n=2 err=1",
	"s2 m70 span.tier=(none) n=2 err=1",
	"s2 m90 all n=1 err=0",
	"s2 m90 span.tier=(none) n=1 err=0",
	"s3 m95 all n=1 err=0",
	"s3 m95 span.tier=(none) n=1 err=0",
	"s3 m100 all n=2 err=0",
	"s3 m100 span.tier=(none) n=2 err=0",
}

// sessionFunnels are the cohorts of sessionSpans once every window has
// closed. A run over [60m, 120m) recounts the window before it too: A's
// entry at 50m is a cohort of its own.
var sessionFunnels = []string{
	"m50 all reached=[1 1 0] err=0 inflight=[0 0 0] times=[1 0]",
	"m50 span.tier=gold reached=[1 1 0] err=0 inflight=[0 0 0] times=[1 0]",
	"m61 all reached=[1 1 0] err=0 inflight=[0 0 0] times=[1 0]",
	"m61 span.tier=silver reached=[1 1 0] err=0 inflight=[0 0 0] times=[1 0]",
	"m70 all reached=[1 1 0] err=1 inflight=[0 0 0] times=[1 0]",
	"m70 span.tier=silver reached=[1 1 0] err=1 inflight=[0 0 0] times=[1 0]",
	"m85 all reached=[1 1 1] err=0 inflight=[0 0 0] times=[1 1]",
	"m85 span.tier=gold reached=[1 1 1] err=0 inflight=[0 0 0] times=[1 1]",
	"m110 all reached=[1 1 0] err=0 inflight=[0 0 0] times=[1 0]",
	"m110 span.tier=(none) reached=[1 1 0] err=0 inflight=[0 0 0] times=[1 0]",
	"m119 all reached=[1 0 0] err=0 inflight=[0 0 0] times=[0 0]",
	"m119 span.tier=(none) reached=[1 0 0] err=0 inflight=[0 0 0] times=[0 0]",
}

func TestSessionCorrelation(t *testing.T) {
	t.Parallel()
	j := sessionJourney()
	from, to, horizon := at(60*time.Minute), at(120*time.Minute), at(200*time.Minute)
	spans := sessionSpans()
	steps, funnels := advance(t, j, from, to, horizon, spans)
	require.Equal(t, sessionStepRows, describeSteps(t, steps, false))
	require.Equal(t, sessionFunnels, describeFunnels(funnels))
	require.InEpsilon(t, float64(20*time.Minute), float64(funnels[0].StepTimes[0].Quantile(0.5)), 0.01)
	require.InEpsilon(t, float64(5*time.Minute), float64(funnels[6].StepTimes[1].Quantile(0.5)), 0.01)

	// What a first run reads: step 1 from two windows before the range,
	// later steps from one window before; nothing after the range.
	src := &rolluptest.Source{}
	src.Add(spans...)
	_, err := rollup.Aggregate(context.Background(), src, j, rollup.Range{From: from, To: to}, nil)
	require.NoError(t, err)
	q := src.Queries()
	require.Len(t, q, 3)
	require.Equal(t, []time.Time{at(0), at(120 * time.Minute)}, []time.Time{q[0].From, q[0].To})
	require.Equal(t, []time.Time{at(30 * time.Minute), at(120 * time.Minute)}, []time.Time{q[1].From, q[1].To})
	require.Equal(t, []string{"span.session.id", "span.tier"}, q[0].Select)

	// A later run, carrying the state on, reads only what is new.
	res, err := rollup.Aggregate(context.Background(), src, j, rollup.Range{From: to, To: horizon}, mustOpen(t, j, from, to, spans))
	require.NoError(t, err)
	q = src.Queries()[3:]
	require.Len(t, q, 3)
	for _, x := range q {
		require.Equal(t, []time.Time{to, horizon}, []time.Time{x.From, x.To})
	}
	require.Equal(t, int64(2), res.NewSpans) // F's step 1 at 121m, D's step 2 at 125m

	// Arrival order does not matter.
	slices.Reverse(spans)
	steps, funnels = advance(t, j, from, to, horizon, spans)
	require.Equal(t, sessionStepRows, describeSteps(t, steps, false))
	require.Equal(t, sessionFunnels, describeFunnels(funnels))
}

func mustOpen(t *testing.T, j journeys.Journey, from, to time.Time, spans []rolluptest.Span) *rollup.Open {
	t.Helper()
	return run(t, j, rollup.Range{From: from, To: to}, spans).Open
}

func TestSessionInFlight(t *testing.T) {
	t.Parallel()
	// At 130m, windows opening after 100m are still open: D (at step 2) and
	// F (at step 1) are in flight, not dropped.
	_, funnels := advance(t, sessionJourney(), at(60*time.Minute), at(120*time.Minute), at(130*time.Minute), sessionSpans())
	want := slices.Clone(sessionFunnels)
	want[8] = "m110 all reached=[1 1 0] err=0 inflight=[1 1 0] times=[1 0]"
	want[9] = "m110 span.tier=(none) reached=[1 1 0] err=0 inflight=[1 1 0] times=[1 0]"
	want[10] = "m119 all reached=[1 0 0] err=0 inflight=[1 0 0] times=[0 0]"
	want[11] = "m119 span.tier=(none) reached=[1 0 0] err=0 inflight=[1 0 0] times=[0 0]"
	require.Equal(t, want, describeFunnels(funnels))

	// Once the windows close, in flight becomes dropped.
	_, funnels = advance(t, sessionJourney(), at(60*time.Minute), at(120*time.Minute), at(150*time.Minute), sessionSpans())
	require.Equal(t, sessionFunnels, describeFunnels(funnels))
}

func TestTraceReentersOnlyAfterItsWindow(t *testing.T) {
	t.Parallel()
	j := rolluptest.Journey("order", journeys.CorrelateByTrace, 0, 2)
	w := rollup.DefaultTraceWindow
	spans := []rolluptest.Span{
		rolluptest.StepSpan(1, 1, 1, at(0), time.Millisecond, false, nil),
		rolluptest.StepSpan(1, 1, 2, at(w-time.Second), time.Millisecond, false, nil), // inside: no entry
		rolluptest.StepSpan(1, 1, 3, at(w), time.Millisecond, false, nil),             // at the end: enters
		rolluptest.StepSpan(2, 1, 4, at(w+time.Second), time.Millisecond, false, nil), // the second entry's
	}
	// However the hour is cut, the trace enters twice.
	for _, split := range []time.Duration{time.Minute, 9 * time.Minute, 10 * time.Minute, 11 * time.Minute} {
		src := &rolluptest.Source{}
		src.Add(spans...)
		rows, _, err := rolluptest.Advance(context.Background(), src, j, t0, at(split), at(time.Hour), time.Minute)
		require.NoError(t, err)
		require.Equal(t, []string{
			"m0 all reached=[1 0] err=0 inflight=[0 0] times=[0]",
			"m10 all reached=[1 1] err=0 inflight=[0 0] times=[1]",
		}, describeFunnels(rows.Funnels()), "split at %s", split)
	}
}

func TestTopValuesFoldIntoOther(t *testing.T) {
	t.Parallel()
	j := rolluptest.Journey("many", journeys.CorrelateByTrace, 0, 2)
	j.Spec.Segments = []string{"span.user"}
	var spans []rolluptest.Span
	n := 0
	// Value u<i> has i+1 spans, each its own trace: u10..u59 are the top 50.
	for i := 0; i < 60; i++ {
		for c := 0; c <= i; c++ {
			n++
			spans = append(spans, rolluptest.StepSpan(1, n, n, at(time.Duration(n)*time.Millisecond), time.Millisecond, false, attrs("span.user", fmt.Sprintf("u%02d", i))))
		}
	}
	res := run(t, j, rollup.Range{From: t0, To: at(time.Minute)}, spans)
	require.Len(t, res.Steps, 1+50+1)
	require.Equal(t, int64(1830), res.Steps[0].Spans)
	byValue := map[string]int64{}
	for _, r := range res.Steps[1:] {
		byValue[r.Segment.Value] = r.Spans
	}
	require.Equal(t, int64(55), byValue[rollup.OtherValue])
	require.Equal(t, int64(11), byValue["u10"])
	require.Equal(t, int64(60), byValue["u59"])
	require.NotContains(t, byValue, "u09")
	// Funnels fold the same way, so segment rows still add up.
	entered := map[string]int64{}
	for _, f := range res.Funnels {
		entered[f.Segment.Value] = f.Entered()
	}
	require.Equal(t, int64(55), entered[rollup.OtherValue])
	require.Equal(t, int64(1830), entered[""])
	require.Len(t, entered, 52)

	// The ranking is per minute: the next minute's one value, u00, keeps
	// its row there.
	spans = append(spans, rolluptest.StepSpan(1, n+1, n+1, at(90*time.Second), time.Millisecond, false, attrs("span.user", "u00")))
	res = run(t, j, rollup.Range{From: t0, To: at(2 * time.Minute)}, spans)
	var m1 []string
	for _, r := range res.Steps {
		if r.Bucket.Equal(at(time.Minute)) {
			m1 = append(m1, seg(r.Segment))
		}
	}
	require.Equal(t, []string{"all", "span.user=u00"}, m1)
}

func TestExemplars(t *testing.T) {
	t.Parallel()
	j := rolluptest.Journey("ex", journeys.CorrelateByTrace, 0, 2)
	ms, s := time.Millisecond, time.Second
	spans := []rolluptest.Span{
		rolluptest.StepSpan(1, 1, 1, at(1*s), 100*ms, false, nil),
		rolluptest.StepSpan(1, 1, 2, at(2*s), 900*ms, false, nil), // same trace, slower: replaces
		rolluptest.StepSpan(1, 2, 3, at(3*s), 800*ms, true, nil),
		rolluptest.StepSpan(1, 3, 4, at(4*s), 700*ms, true, nil),
		rolluptest.StepSpan(1, 4, 5, at(5*s), 600*ms, false, nil),
		rolluptest.StepSpan(1, 5, 6, at(6*s), 500*ms, true, nil),
		rolluptest.StepSpan(1, 6, 7, at(7*s), 400*ms, false, nil),
		rolluptest.StepSpan(1, 7, 8, at(8*s), 900*ms, true, nil), // ties with trace 1: lower id first
	}
	for _, order := range [][]rolluptest.Span{spans, reversed(spans)} {
		res := run(t, j, rollup.Range{From: t0, To: at(time.Minute)}, order)
		require.Len(t, res.Steps, 1)
		r := res.Steps[0]
		require.Equal(t, []int{1, 7, 2, 3, 4}, traceNums(r.Slowest))
		require.Equal(t, 900*ms, r.Slowest[0].Duration)
		require.Equal(t, at(2*s), r.Slowest[0].Start)
		require.Equal(t, []int{7, 5, 3, 2}, traceNums(r.Errored))
	}
}

func reversed(s []rolluptest.Span) []rolluptest.Span {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestValueSum(t *testing.T) {
	t.Parallel()
	j := rolluptest.Journey("value", journeys.CorrelateByTrace, 0, 2)
	j.Spec.Value = "span.order.total"
	var spans []rolluptest.Span
	for i, v := range []string{"12.5", "abc", "NaN", "3", "", "1e309", "-0.5", "+Inf"} {
		spans = append(spans, rolluptest.StepSpan(1, i+1, i+1, at(time.Second), time.Millisecond, false, attrs("span.order.total", v)))
	}
	res := run(t, j, rollup.Range{From: t0, To: at(time.Minute)}, spans)
	require.Len(t, res.Steps, 1)
	require.Equal(t, 15.0, res.Steps[0].ValueSum)
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	j := rolluptest.Journey("bad", journeys.CorrelateByTrace, 0, 2)
	ranges := map[string]rollup.Range{
		"unaligned": {From: t0.Add(time.Second), To: at(time.Minute)},
		"empty":     {From: t0, To: t0},
		"reversed":  {From: at(time.Minute), To: t0},
	}
	for name, r := range ranges {
		_, err := rollup.NewAggregator(j, r, nil)
		require.Error(t, err, name)
	}
	ok := rollup.Range{From: t0, To: at(time.Minute)}
	_, err := rollup.NewAggregator(journeys.Journey{}, ok, nil)
	require.ErrorContains(t, err, "no steps")
	noCorr := rolluptest.Journey("bad", "", 0, 2)
	_, err = rollup.NewAggregator(noCorr, ok, nil)
	require.ErrorContains(t, err, "correlation")

	// A state from elsewhere is refused.
	open := run(t, j, ok, nil).Open
	_, err = rollup.NewAggregator(j, rollup.Range{From: at(2 * time.Minute), To: at(3 * time.Minute)}, open)
	require.EqualError(t, err, "funnel state is through 2025-03-01T10:01:00Z, not the range's start 2025-03-01T10:02:00Z")
	_, err = rollup.NewAggregator(rolluptest.Journey("bad", journeys.CorrelateByTrace, 0, 3), rollup.Range{From: at(time.Minute), To: at(2 * time.Minute)}, open)
	require.EqualError(t, err, "funnel state has 2 steps and 0 segment keys (0 at the step), the journey 3 and 0 (0)")

	a, err := rollup.NewAggregator(sessionJourney(), ok, nil)
	require.NoError(t, err)
	// Spans without the selected attributes are counted, not refused.
	require.NoError(t, a.Add(0, journeys.Span{TraceID: "x", SpanID: "y", Start: at(time.Second)}))
	require.NoError(t, a.Add(1, journeys.Span{TraceID: "nothex", Start: at(time.Second), Attrs: []string{"S"}}))
	require.ErrorContains(t, a.Add(0, journeys.Span{Start: at(time.Second)}), "in order")
	require.Error(t, a.Add(7, journeys.Span{}))
	res := a.Result()
	require.Equal(t, []string{
		"s1 m0 all n=1 err=0",
		"s1 m0 span.tier=(none) n=1 err=0",
		"s2 m0 all n=1 err=0",
		"s2 m0 span.tier=(none) n=1 err=0",
	}, describeSteps(t, res.Steps, false))
	require.Error(t, a.Add(1, journeys.Span{}))
}

func TestSourceErrorIsWrapped(t *testing.T) {
	t.Parallel()
	src := &rolluptest.Source{}
	boom := fmt.Errorf("tempo returned 503")
	src.SetError(boom)
	_, err := rollup.Aggregate(context.Background(), src, sessionJourney(), rollup.Range{From: t0, To: at(time.Minute)}, nil)
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, `step "s1"`)
}

func TestWindowDefaults(t *testing.T) {
	t.Parallel()
	require.Equal(t, rollup.DefaultTraceWindow, rollup.Window(rolluptest.Journey("a", "trace", 0, 2)))
	require.Equal(t, rollup.DefaultSessionWindow, rollup.Window(rolluptest.Journey("a", "span.s", 0, 2)))
	require.Equal(t, 5*time.Minute, rollup.Window(rolluptest.Journey("a", "span.s", 5*time.Minute, 2)))
}

func TestInfrastructureKeysCountAtTheirStep(t *testing.T) {
	t.Parallel()
	j := rolluptest.Journey("hosts", journeys.CorrelateByTrace, 0, 2)
	j.Spec.Segments = []string{"span.tier", "resource.host.name"}
	ms := time.Millisecond
	spans := []rolluptest.Span{
		// Trace 1: logged in on a (gold), paid on c, slowly and failing.
		rolluptest.StepSpan(1, 1, 1, at(time.Second), 10*ms, false, attrs("span.tier", "gold", "resource.host.name", "a")),
		rolluptest.StepSpan(2, 1, 2, at(2*time.Second), 900*ms, true, attrs("resource.host.name", "c")),
		// Trace 2: logged in on b (free), paid on c.
		rolluptest.StepSpan(1, 2, 3, at(3*time.Second), 10*ms, false, attrs("span.tier", "free", "resource.host.name", "b")),
		rolluptest.StepSpan(2, 2, 4, at(4*time.Second), 100*ms, false, attrs("resource.host.name", "c")),
		// Trace 3: logged in on a (free), paid on d.
		rolluptest.StepSpan(1, 3, 5, at(5*time.Second), 10*ms, false, attrs("span.tier", "free", "resource.host.name", "a")),
		rolluptest.StepSpan(2, 3, 6, at(6*time.Second), 100*ms, false, attrs("resource.host.name", "d")),
	}
	res := run(t, j, rollup.Range{From: t0, To: at(time.Minute)}, spans)
	require.Equal(t, []string{
		"s1 m0 all n=3 err=0",
		"s1 m0 resource.host.name=a n=2 err=0",
		"s1 m0 resource.host.name=b n=1 err=0",
		"s1 m0 span.tier=free n=2 err=0",
		"s1 m0 span.tier=gold n=1 err=0",
		// The payment spans under the hosts that ran them, and the tier
		// their traces entered with.
		"s2 m0 all n=3 err=1",
		"s2 m0 resource.host.name=c n=2 err=1",
		"s2 m0 resource.host.name=d n=1 err=0",
		"s2 m0 span.tier=free n=2 err=0",
		"s2 m0 span.tier=gold n=1 err=1",
	}, describeSteps(t, res.Steps, false))
	// Funnels stay at entry: the login hosts; the hosts' own rows count
	// each step under the host that served it.
	require.Equal(t, []string{
		"m0 all reached=[3 3] err=1 inflight=[0 0] times=[3]",
		"m0 @step:resource.host.name=a reached=[2 0] continued=[2 0] inflight=[0 0]",
		"m0 @step:resource.host.name=b reached=[1 0] continued=[1 0] inflight=[0 0]",
		"m0 @step:resource.host.name=c reached=[0 2] continued=[0 0] inflight=[0 0]",
		"m0 @step:resource.host.name=d reached=[0 1] continued=[0 0] inflight=[0 0]",
		"m0 resource.host.name=a reached=[2 2] err=1 inflight=[0 0] times=[2]",
		"m0 resource.host.name=b reached=[1 1] err=0 inflight=[0 0] times=[1]",
		"m0 span.tier=free reached=[2 2] err=0 inflight=[0 0] times=[2]",
		"m0 span.tier=gold reached=[1 1] err=1 inflight=[0 0] times=[1]",
	}, describeFunnels(res.Funnels))
	// Only the host is read past step 1.
	src := &rolluptest.Source{}
	src.Add(spans...)
	_, err := rollup.Aggregate(context.Background(), src, j, rollup.Range{From: t0, To: at(time.Minute)}, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"resource.host.name"}, src.Queries()[1].Select)
}

func TestRevenueAtRisk(t *testing.T) {
	t.Parallel()
	j := rolluptest.CheckoutJourney()
	j.Spec.Value = "span.total"
	m := time.Minute
	sp := func(step, n int, at time.Duration, isErr bool, kv ...string) rolluptest.Span {
		a := attrs(kv...)
		return rolluptest.StepSpan(step, n, n, t0.Add(at), time.Millisecond, isErr, a)
	}
	spans := []rolluptest.Span{
		// A drops after step 2, worth its cart (the step-2 value, the
		// furthest step that carried one).
		sp(1, 1, 1*m, false, "span.session.id", "A", "span.total", "5"),
		sp(2, 2, 2*m, false, "span.session.id", "A", "span.total", "30"),
		// B pays, but its cart failed once: counted at step 2 as errored.
		sp(1, 3, 1*m, false, "span.session.id", "B"),
		sp(2, 4, 3*m, true, "span.session.id", "B", "span.total", "50"),
		sp(3, 5, 4*m, false, "span.session.id", "B"),
		// C drops after step 1 with nothing to lose.
		sp(1, 6, 1*m, false, "span.session.id", "C"),
		// D drops after step 1, worth 7; a second step-1 span inside its
		// window with a larger value is not its entry, and not counted.
		sp(1, 7, 1*m, false, "span.session.id", "D", "span.total", "7"),
		sp(1, 8, 2*m, false, "span.session.id", "D", "span.total", "700"),
	}
	_, funnels := advance(t, j, t0, at(10*m), at(2*time.Hour), spans)
	require.Len(t, funnels, 2) // all traffic and tier (none)
	f := funnels[0]
	require.Equal(t, []int64{4, 2, 1}, f.Reached)
	require.Equal(t, []float64{7, 30, 0}, f.DroppedValue)
	require.Equal(t, []float64{0, 50, 0}, f.ErroredValue)

	// While the windows are open nothing is settled.
	_, open := advance(t, j, t0, at(10*m), at(20*m), spans)
	require.Equal(t, []float64{0, 0, 0}, open[0].DroppedValue)
}

// TestStepKeysFollowEachStep: a host's own rows say, per step, how many
// instances it served there, how many went on, and how many are still
// open, carried from run to run.
func TestStepKeysFollowEachStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := rolluptest.Journey("hosts", journeys.CorrelateByTrace, 0, 3)
	j.Spec.Segments = []string{"resource.host.name"}
	host := func(h string) map[string]string { return attrs("resource.host.name", h) }
	src := &rolluptest.Source{}
	src.Add(
		// Trace 1 drops after step 2, served by c.
		rolluptest.StepSpan(1, 1, 1, at(0), time.Millisecond, false, host("a")),
		rolluptest.StepSpan(2, 1, 2, at(time.Second), time.Millisecond, false, host("c")),
		// Trace 2 completes: a, d, e.
		rolluptest.StepSpan(1, 2, 3, at(2*time.Second), time.Millisecond, false, host("a")),
		rolluptest.StepSpan(2, 2, 4, at(3*time.Second), time.Millisecond, false, host("d")),
		rolluptest.StepSpan(3, 2, 5, at(4*time.Second), time.Millisecond, false, host("e")),
		// Trace 3 enters on b and reaches step 2 on c only in the next run.
		rolluptest.StepSpan(1, 3, 6, at(5*time.Second), time.Millisecond, false, host("b")),
		rolluptest.StepSpan(2, 3, 7, at(2*time.Minute), time.Millisecond, false, host("c")),
	)
	atStep := func(rows *rolluptest.Rows) []string {
		var out []string
		for _, line := range describeFunnels(rows.Funnels()) {
			if strings.Contains(line, rollup.AtStepPrefix) {
				out = append(out, line)
			}
		}
		return out
	}
	rows := &rolluptest.Rows{}
	res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: t0, To: at(time.Minute)}, nil)
	require.NoError(t, err)
	rows.Apply(res)
	require.Equal(t, []string{
		"m0 @step:resource.host.name=a reached=[2 0 0] continued=[2 0 0] inflight=[0 0 0]",
		"m0 @step:resource.host.name=b reached=[1 0 0] continued=[0 0 0] inflight=[1 0 0]",
		"m0 @step:resource.host.name=c reached=[0 1 0] continued=[0 0 0] inflight=[0 1 0]",
		"m0 @step:resource.host.name=d reached=[0 1 0] continued=[0 1 0] inflight=[0 0 0]",
		"m0 @step:resource.host.name=e reached=[0 0 1] continued=[0 0 0] inflight=[0 0 0]",
	}, atStep(rows))

	res, err = rollup.Aggregate(ctx, src, j, rollup.Range{From: at(time.Minute), To: at(20 * time.Minute)}, res.Open)
	require.NoError(t, err)
	rows.Apply(res)
	require.Equal(t, []string{
		"m0 @step:resource.host.name=a reached=[2 0 0] continued=[2 0 0] inflight=[0 0 0]",
		"m0 @step:resource.host.name=b reached=[1 0 0] continued=[1 0 0] inflight=[0 0 0]",
		"m0 @step:resource.host.name=c reached=[0 2 0] continued=[0 0 0] inflight=[0 0 0]",
		"m0 @step:resource.host.name=d reached=[0 1 0] continued=[0 1 0] inflight=[0 0 0]",
		"m0 @step:resource.host.name=e reached=[0 0 1] continued=[0 0 0] inflight=[0 0 0]",
	}, atStep(rows))
	require.Equal(t, 0, res.Open.Len())
}
