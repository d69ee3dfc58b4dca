package rollup_test

import (
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// insightJourney is the shape the insight views must answer in 100 ms
// over 7 days: five steps by session, three segment keys (a tier and a
// region at entry, the host at the step) and an order total.
func insightJourney() journeys.Journey {
	j := rolluptest.Journey("insight", "span.session.id", 30*time.Minute, 5)
	j.Spec.Segments = []string{"span.tier", "span.region", "resource.host.name"}
	j.Spec.Value = "span.total"
	return j
}

// The values of each segment key, with their shares of the traffic.
var insightValues = []struct {
	key    string
	values []string
	shares []float64
}{
	{"span.tier", []string{"free", "pro", "enterprise"}, []float64{0.6, 0.3, 0.1}},
	{"span.region", []string{"eu-west", "eu-north", "us-east", "us-west", "ap-south"}, []float64{0.3, 0.1, 0.3, 0.2, 0.1}},
	{"resource.host.name", []string{"web-1", "web-2", "web-3", "web-4"}, []float64{0.25, 0.25, 0.25, 0.25}},
}

// insightSketch is a latency sketch of n spans around median, spread over
// 24 buckets as real latencies are.
func insightSketch(n int64, median time.Duration) *sketch.Sketch {
	sk := &sketch.Sketch{}
	if n <= 0 {
		return sk
	}
	const bins = 24
	left := n
	for i := range bins {
		c := n / bins
		if i < int(n%bins) {
			c++
		}
		if c == 0 || left == 0 {
			continue
		}
		left -= c
		f := math.Exp(float64(i-bins/2) / 6)
		sk.AddIndex(sketch.Index(time.Duration(float64(median)*f)), uint64(c))
	}
	return sk
}

// insightRows is one bucket of rollups of insightJourney: entries that
// follow the time of day (about 20 a minute at night, 60 at the peak), 80%
// going on at each step, 2% errors, split over the segment values by
// their shares.
func insightRows(bucket time.Time, width time.Duration) ([]rollup.StepRow, []rollup.FunnelRow) {
	h := float64(bucket.Hour()) + float64(bucket.Minute())/60
	perMinute := 40 + 20*math.Cos(2*math.Pi*(h-14)/24)
	entered := int64(perMinute * width.Minutes())
	reached := make([]int64, 5)
	for k := range reached {
		reached[k] = int64(float64(entered) * math.Pow(0.8, float64(k)))
	}
	medians := []time.Duration{40 * time.Millisecond, 90 * time.Millisecond, 60 * time.Millisecond, 200 * time.Millisecond, 350 * time.Millisecond}
	var steps []rollup.StepRow
	var funnels []rollup.FunnelRow
	add := func(seg rollup.Segment, share float64) {
		r := make([]int64, 5)
		for k := range r {
			r[k] = int64(float64(reached[k]) * share)
		}
		for k := range r {
			steps = append(steps, rollup.StepRow{
				Step: k, Bucket: bucket, Width: width, Segment: seg,
				Spans: r[k], Errors: r[k] / 50, Latency: insightSketch(r[k], medians[k]),
				ValueSum: float64(r[k]) * 42.5,
				Slowest:  []rollup.Exemplar{{TraceID: rolluptest.TraceID(k + 1), Start: bucket, Duration: time.Second}},
			})
		}
		fr := rollup.FunnelRow{Bucket: bucket, Width: width, Segment: seg, Reached: r, InFlight: make([]int64, 5), Errored: r[0] / 40}
		for k := range 4 {
			fr.StepTimes = append(fr.StepTimes, insightSketch(r[k+1], 20*time.Second))
			fr.DroppedValue = append(fr.DroppedValue, float64(r[k]-r[k+1])*42.5)
			fr.ErroredValue = append(fr.ErroredValue, float64(r[k]/50)*42.5)
		}
		fr.DroppedValue = append(fr.DroppedValue, 0)
		fr.ErroredValue = append(fr.ErroredValue, 0)
		funnels = append(funnels, fr)
	}
	add(rollup.Segment{}, 1)
	for _, kv := range insightValues {
		for i, v := range kv.values {
			add(rollup.Segment{Key: kv.key, Value: v}, kv.shares[i])
		}
	}
	// The host is attributed at the step: its step rows above count the
	// spans each host served, and it has funnel rows by step besides.
	host := insightValues[2]
	for i, v := range host.values {
		r := make([]int64, 5)
		cont := make([]int64, 5)
		for k := range r {
			r[k] = int64(float64(reached[k]) * host.shares[i])
			if k < 4 {
				cont[k] = int64(float64(reached[k+1]) * host.shares[i])
			}
		}
		// web-3 loses more after step 2.
		if v == "web-3" {
			cont[1] = cont[1] * 3 / 4
		}
		funnels = append(funnels, rollup.FunnelRow{
			Bucket: bucket, Width: width, Segment: rollup.Segment{Key: rollup.AtStep(host.key), Value: v},
			Reached: r, InFlight: make([]int64, 5), Continued: cont,
			DroppedValue: make([]float64, 5), ErroredValue: make([]float64, 5),
		})
	}
	return steps, funnels
}

// writeInsightRows stores days of insightJourney's rollups ending at end:
// minute rows over the last minuteDays, hour rows before, as the
// maintenance leaves them.
func writeInsightRows(tb testing.TB, ctx context.Context, rollups *rollup.Store, version int, end time.Time, days, minuteDays int) {
	tb.Helper()
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	split := end.Add(-time.Duration(minuteDays) * 24 * time.Hour)
	for day := start; day.Before(end); day = day.Add(24 * time.Hour) {
		res := &rollup.Result{Slug: "insight", Range: rollup.Range{From: day, To: day.Add(24 * time.Hour)}}
		for b := day; b.Before(res.Range.To); {
			w := time.Hour
			if !b.Before(split) {
				w = time.Minute
			}
			st, fu := insightRows(b, w)
			res.Steps = append(res.Steps, st...)
			res.Funnels = append(res.Funnels, fu...)
			b = b.Add(w)
		}
		if err := rollups.Write(ctx, res, rollup.WriteOptions{Version: version}); err != nil {
			tb.Fatal(err)
		}
	}
}

// insightEnd is where the benchmarks' rows end.
var insightEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// backendCPU is the CPU time the Postgres backends serving pool's
// database have used, read from /proc (the server runs on this machine):
// with the process's own, what one answer costs whatever else the
// machine runs.
func backendCPU(ctx context.Context, pool *pgxpool.Pool) map[int]time.Duration {
	out := map[int]time.Duration{}
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: utime and stime
		// are the 12th and 13th, in clock ticks of 10 ms.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(u+s) * 10 * time.Millisecond
	}
	return out
}

// measureCPU runs the benchmark loop and reports the CPU time per answer
// of the process and of the Postgres backends.
func measureCPU(b *testing.B, ctx context.Context, pool *pgxpool.Pool, op func()) {
	b.Helper()
	before, self := backendCPU(ctx, pool), cpuTime()
	for b.Loop() {
		op()
	}
	goCPU := cpuTime() - self
	var pgCPU time.Duration
	for pid, t := range backendCPU(ctx, pool) {
		pgCPU += t - before[pid]
	}
	b.ReportMetric(float64(goCPU.Microseconds())/1000/float64(b.N), "go-cpu-ms/op")
	b.ReportMetric(float64(pgCPU.Microseconds())/1000/float64(b.N), "pg-cpu-ms/op")
}

func setupInsight(b *testing.B, days int) (context.Context, *pgxpool.Pool, *rollup.Store, journeys.Journey) {
	b.Helper()
	ctx := context.Background()
	pool := pgtest.New(b)
	j := insightJourney()
	rec, _, err := journeystore.New(pool).PutJourney(ctx, j, "bench")
	if err != nil {
		b.Fatal(err)
	}
	rollups := rollup.NewStore(pool)
	writeInsightRows(b, ctx, rollups, rec.Version, insightEnd, days, 2)
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE rollup_steps, rollup_funnels`); err != nil {
		b.Fatal(err)
	}
	return ctx, pool, rollups, j
}

// BenchmarkAnomalies looks for the anomalies of 7 days of a five-step
// journey with three segment keys, against 4 weeks of history before
// them: 2 days of minute rows, hour rows before.
func BenchmarkAnomalies(b *testing.B) {
	ctx, pool, rollups, j := setupInsight(b, 35)
	from := insightEnd.Add(-7 * 24 * time.Hour)
	b.Run("7d", func(b *testing.B) {
		measureCPU(b, ctx, pool, func() {
			if _, err := rollups.Anomalies(ctx, j, rollup.AnomalyQuery{From: from, To: insightEnd, CompleteThrough: insightEnd}); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkDifferences compares, over the same 7 days, the sessions that
// dropped after step 2 with those that went on, and step 4's slow spans
// with the rest, from the rollups.
func BenchmarkDifferences(b *testing.B) {
	ctx, pool, rollups, j := setupInsight(b, 7)
	from := insightEnd.Add(-7 * 24 * time.Hour)
	for _, c := range []struct {
		name string
		q    rollup.DiffQuery
	}{
		{"dropped/7d", rollup.DiffQuery{Slug: "insight", From: from, To: insightEnd, Step: 1, Compare: rollup.CompareDropped}},
		{"slow/7d", rollup.DiffQuery{Slug: "insight", From: from, To: insightEnd, Step: 3, Compare: rollup.CompareSlow}},
	} {
		b.Run(c.name, func(b *testing.B) {
			measureCPU(b, ctx, pool, func() {
				d, err := rollups.Differences(ctx, j, c.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(d.Attributes) == 0 {
					b.Fatal("no attributes compared")
				}
			})
		})
	}
}

// BenchmarkViews answers, over the same 7 days, what the map's other
// insight views ask of the rollups: revenue at risk per step, the service
// × endpoint heat map by hour, one step's hour-of-week heat map, and the
// stats behind the time-between-steps histograms.
func BenchmarkViews(b *testing.B) {
	ctx, pool, rollups, j := setupInsight(b, 7)
	from := insightEnd.Add(-7 * 24 * time.Hour)
	for _, c := range []struct {
		name string
		op   func() error
	}{
		{"revenue-at-risk/7d", func() error {
			_, err := rollups.RevenueAtRisk(ctx, j, from, insightEnd, nil)
			return err
		}},
		{"endpoint-heatmap/7d", func() error {
			_, err := rollups.EndpointHeatmap(ctx, j, from, insightEnd)
			return err
		}},
		{"week-heatmap/7d", func() error {
			_, err := rollups.WeekHeatmap(ctx, "insight", 3, from, insightEnd, time.UTC)
			return err
		}},
		{"transition-histograms/7d", func() error {
			st, err := rollups.Stats(ctx, "insight", from, insightEnd, nil)
			if err == nil && len(rollup.TransitionHistograms(st)[0].Counts) == 0 {
				b.Fatal("no histogram")
			}
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			measureCPU(b, ctx, pool, func() {
				if err := c.op(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
