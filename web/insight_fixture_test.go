package web

import (
	"context"
	"math"
	"testing"
	"time"

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
	j.Metadata.Name = "Checkout"
	for k, name := range []string{"cart", "address", "shipping", "pay", "confirm"} {
		j.Spec.Steps[k].Name = name
		j.Spec.Steps[k].Match.Span = "POST /" + name
	}
	j.Spec.Segments = []string{"span.tier", "span.region", "resource.host.name"}
	j.Spec.Value = "span.total"
	j.Spec.SLOs = []journeys.SLO{{Name: "pay-success", Step: "pay", Kind: journeys.SLOSuccess,
		Objective: 0.97, Window: journeys.NewDuration(7 * journeys.Day)}}
	return j
}

// insightValues are the values of each segment key, with their shares of
// the traffic.
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
	const bins = 24
	for i := range bins {
		c := n / bins
		if i < int(n%bins) {
			c++
		}
		if c == 0 {
			continue
		}
		f := math.Exp(float64(i-bins/2) / 6)
		sk.AddIndex(sketch.Index(time.Duration(float64(median)*f)), uint64(c))
	}
	return sk
}

// insightFault is an incident seeded into the fixture: from From to To,
// step Step fails Factor times as often as usual.
type insightFault struct {
	From, To time.Time
	Step     int
	Factor   int64
}

// insightRows is one bucket of rollups of insightJourney: entries that
// follow the time of day (about 20 a minute at night, 60 at the peak), 80%
// going on at each step, 2% errors, split over the segment values by
// their shares; host web-3 loses a quarter more of those going on after
// step 2.
func insightRows(bucket time.Time, width time.Duration, fault *insightFault) ([]rollup.StepRow, []rollup.FunnelRow) {
	h := float64(bucket.Hour()) + float64(bucket.Minute())/60
	perMinute := 40 + 20*math.Cos(2*math.Pi*(h-14)/24)
	entered := int64(perMinute * width.Minutes())
	reached := make([]int64, 5)
	for k := range reached {
		reached[k] = int64(float64(entered) * math.Pow(0.8, float64(k)))
	}
	faulty := func(k int) int64 {
		if fault != nil && k == fault.Step && !bucket.Before(fault.From) && bucket.Before(fault.To) {
			return fault.Factor
		}
		return 1
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
			errs := min(r[k]/50*faulty(k), r[k])
			steps = append(steps, rollup.StepRow{
				Step: k, Bucket: bucket, Width: width, Segment: seg,
				Spans: r[k], Errors: errs, Latency: insightSketch(r[k], medians[k]),
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
	// The host is attributed at the step: it has funnel rows by step too.
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

// seedInsight stores insightJourney and days of its rollups ending at end:
// minute rows over the last minuteHours, hour rows before, as maintenance
// leaves them, with fault seeded when not nil.
func (b *bundle) seedInsight(tb testing.TB, end time.Time, days int, minuteHours int, fault *insightFault) journeys.Journey {
	tb.Helper()
	ctx := context.Background()
	j := insightJourney()
	rec, _, err := b.store.PutJourney(ctx, j, "test")
	if err != nil {
		tb.Fatal(err)
	}
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	split := end.Add(-time.Duration(minuteHours) * time.Hour)
	for day := start; day.Before(end); day = day.Add(24 * time.Hour) {
		res := &rollup.Result{Slug: "insight", Range: rollup.Range{From: day, To: day.Add(24 * time.Hour)}}
		for at := day; at.Before(res.Range.To); {
			w := time.Hour
			if !at.Before(split) {
				w = time.Minute
			}
			st, fu := insightRows(at, w, fault)
			res.Steps = append(res.Steps, st...)
			res.Funnels = append(res.Funnels, fu...)
			at = at.Add(w)
		}
		// The last day is written as a live run, so that the journey has
		// a freshness edge at end.
		opt := rollup.WriteOptions{Version: rec.Version}
		if !day.Add(24 * time.Hour).Before(end) {
			opt.Live, opt.Started = true, end
		}
		if err := b.rollups.Write(ctx, res, opt); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := b.pool.Exec(ctx, `VACUUM ANALYZE rollup_steps, rollup_funnels`); err != nil {
		tb.Fatal(err)
	}
	return j
}

// insightEnd is where the fixture's rows end: a Monday midnight.
var insightEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
