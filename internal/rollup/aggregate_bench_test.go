package rollup_test

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

// benchTraffic is an hour of a five-step shop: sessions spread evenly over
// the hour, each reaching 1–5 steps, three segment keys (3, 5 and 10
// values) and an order total. Spans are produced per step as a trace
// source would stream them, from precomputed strings, so the benchmark
// measures aggregation rather than formatting.
type benchTraffic struct {
	j        journeys.Journey
	r        rollup.Range
	sessions []string
	traces   []string
	depth    []uint8
	attrSets [][]string // per session: session, tier, region, version, total
}

func newBenchTraffic(spans int, byTrace bool) *benchTraffic {
	by := "span.session.id"
	if byTrace {
		by = journeys.CorrelateByTrace
	}
	j := rolluptest.Journey("bench", by, 30*time.Minute, 5)
	j.Spec.Segments = []string{"span.tier", "resource.region", "resource.version"}
	j.Spec.Value = "span.total"
	j.Spec.SLOs = []journeys.SLO{{Name: "fast", Kind: journeys.SLOLatency, Threshold: journeys.NewDuration(300 * time.Millisecond), Objective: 0.99}}
	b := &benchTraffic{
		j: j,
		r: rollup.Range{From: t0, To: at(time.Hour)},
	}
	tiers := []string{"free", "pro", "enterprise"}
	var total int
	for i := 0; total < spans; i++ {
		d := uint8(1 + (i*7919)%5)
		if total+int(d) > spans {
			d = uint8(spans - total)
		}
		total += int(d)
		b.depth = append(b.depth, d)
		sess := "sess-" + strconv.Itoa(i)
		b.sessions = append(b.sessions, sess)
		b.traces = append(b.traces, fmt.Sprintf("%032x", i+1))
		b.attrSets = append(b.attrSets, []string{
			sess,
			tiers[i%3],
			"region-" + strconv.Itoa(i%5),
			"v1." + strconv.Itoa(i%10),
			strconv.Itoa(i%200) + ".99",
		})
	}
	return b
}

// feed streams the traffic into a, step by step, calling sample after each
// step.
func (b *benchTraffic) feed(a *rollup.Aggregator, sample func()) {
	n := len(b.sessions)
	span := 0
	otherTraces := b.traces[:min(len(b.traces), 4096)]
	for k := 0; k < 5; k++ {
		for i := 0; i < n; i++ {
			if int(b.depth[i]) <= k {
				continue
			}
			span++
			start := t0.Add(time.Duration(float64(i) / float64(n) * float64(time.Hour))).Add(time.Duration(k) * 7 * time.Second)
			trace := b.traces[i]
			if !b.j.Spec.Correlation.ByTrace() {
				trace = otherTraces[span&4095%len(otherTraces)]
			}
			s := journeys.Span{
				TraceID:  trace,
				SpanID:   "00000000000000ff",
				Start:    start,
				Duration: time.Duration(20+(span*37)%900) * time.Millisecond,
				Error:    span%97 == 0,
				Attrs:    b.attrSets[i],
			}
			if err := a.Add(k, s); err != nil {
				panic(err)
			}
		}
		sample()
	}
}

func BenchmarkAggregate(b *testing.B) {
	for _, bc := range []struct {
		spans   int
		byTrace bool
	}{
		{1_000_000, false},
		{1_000_000, true},
		{10_000_000, false},
	} {
		mode := "session"
		if bc.byTrace {
			mode = "trace"
		}
		b.Run(fmt.Sprintf("%s/spans=%d", mode, bc.spans), func(b *testing.B) {
			if bc.spans > 1_000_000 && testing.Short() {
				b.Skip("large")
			}
			traffic := newBenchTraffic(bc.spans, bc.byTrace)
			var peak uint64
			var rows int
			var cpu time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapAlloc
				sample := func() {
					// Live heap after a collection, once per step (where
					// the state is largest), outside the timed region.
					b.StopTimer()
					runtime.GC()
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > base && ms.HeapAlloc-base > peak {
						peak = ms.HeapAlloc - base
					}
					b.StartTimer()
				}
				a, err := rollup.NewAggregator(traffic.j, traffic.r, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				c0 := cpuTime()
				traffic.feed(a, sample)
				res := a.Result()
				cpu += cpuTime() - c0
				sample()
				rows = len(res.Steps) + len(res.Funnels)
			}
			// The machine may be shared: process CPU time (GC included)
			// gives the rate per core regardless of what else runs.
			b.ReportMetric(float64(bc.spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
			b.ReportMetric(float64(bc.spans)*float64(b.N)/cpu.Seconds(), "spans/cpu-s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-live-MiB")
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// stepSpan is a span with its step.
type stepSpan struct {
	k int
	s journeys.Span
}

// spansIn returns the traffic's spans starting in [from, to), step by step.
func (b *benchTraffic) spansIn(from, to time.Time) []stepSpan {
	n := len(b.sessions)
	span := 0
	otherTraces := b.traces[:min(len(b.traces), 4096)]
	var out []stepSpan
	for k := 0; k < 5; k++ {
		for i := 0; i < n; i++ {
			if int(b.depth[i]) <= k {
				continue
			}
			span++
			start := t0.Add(time.Duration(float64(i) / float64(n) * float64(time.Hour))).Add(time.Duration(k) * 7 * time.Second)
			if start.Before(from) || !start.Before(to) {
				continue
			}
			trace := b.traces[i]
			if !b.j.Spec.Correlation.ByTrace() {
				trace = otherTraces[span&4095%len(otherTraces)]
			}
			out = append(out, stepSpan{k, journeys.Span{
				TraceID:  trace,
				SpanID:   "00000000000000ff",
				Start:    start,
				Duration: time.Duration(20+(span*37)%900) * time.Millisecond,
				Error:    span%97 == 0,
				Attrs:    b.attrSets[i],
			}})
		}
	}
	return out
}

func feed(a *rollup.Aggregator, spans []stepSpan) {
	for _, x := range spans {
		if err := a.Add(x.k, x.s); err != nil {
			panic(err)
		}
	}
}

// BenchmarkCarryOn is a live run's work: one new minute of a busy shop,
// carrying on from the funnel state of every session whose 30-minute
// window is open (the minute before it), through to the next state
// encoded for Postgres. It reports spans per CPU-second and the bytes the
// state takes per open instance.
func BenchmarkCarryOn(b *testing.B) {
	for _, bc := range []struct {
		spans   int
		byTrace bool
	}{
		{1_000_000, false}, // 100k sessions an hour: ~50k open at a time
		{1_000_000, true},
	} {
		mode := "session"
		if bc.byTrace {
			mode = "trace"
		}
		b.Run(fmt.Sprintf("%s/spans-per-hour=%d", mode, bc.spans), func(b *testing.B) {
			traffic := newBenchTraffic(bc.spans, bc.byTrace)
			half := at(30 * time.Minute)
			a, err := rollup.NewAggregator(traffic.j, rollup.Range{From: t0, To: half}, nil)
			if err != nil {
				b.Fatal(err)
			}
			feed(a, traffic.spansIn(t0, half))
			open := a.Result().Open
			state := open.Encode()
			minute := traffic.spansIn(half, half.Add(time.Minute))
			var cpu time.Duration
			var encoded int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c0 := cpuTime()
				seed, err := rollup.DecodeOpen(state)
				if err != nil {
					b.Fatal(err)
				}
				a, err := rollup.NewAggregator(traffic.j, rollup.Range{From: half, To: half.Add(time.Minute)}, seed)
				if err != nil {
					b.Fatal(err)
				}
				feed(a, minute)
				res := a.Result()
				encoded = len(res.Open.Encode())
				cpu += cpuTime() - c0
			}
			b.ReportMetric(float64(len(minute))*float64(b.N)/cpu.Seconds(), "spans/cpu-s")
			b.ReportMetric(float64(open.Len()), "open-instances")
			b.ReportMetric(float64(len(state))/float64(open.Len()), "state-B/instance")
			b.ReportMetric(float64(encoded)/1024, "state-KiB")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu-ms/run")
		})
	}
}
