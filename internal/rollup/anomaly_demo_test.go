package rollup_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
)

// demoSpans turns the root spans of the demo's traces into the steps of a
// rolluptest journey: step k is the span named s<k>, by session.
func demoSpans(tr *demo.Traffic) []rolluptest.Span {
	var out []rolluptest.Span
	for i, x := range tr.Traces() {
		root := x.Root()
		out = append(out, rolluptest.StepSpan(x.Step+1, i+1, i+1, root.Start, root.Duration(), root.Error,
			map[string]string{"span.session.id": x.Session.ID}))
	}
	return out
}

// explains reports whether a found anomaly is the effect of a seeded one:
// a latency anomaly raises its step's p95; a conversion anomaly on the
// way into a step lowers the throughput of that step and those after,
// and the conversion of the cohorts entering up to a window before. A
// quarter hour of slack on either side covers the points it overlaps.
func explains(a demo.AnomalyTruth, f rollup.Anomaly) bool {
	k := demo.StepIndex(a.Step)
	from, to := a.From.Add(-AnomalySlack), a.To.Add(AnomalySlack)
	if !f.From.Before(to) || !f.To.After(from) {
		return false
	}
	switch a.Metric {
	case demo.MetricLatency:
		return f.Metric == rollup.MetricP95 && f.Step == k
	case demo.MetricConversion:
		return f.Metric == rollup.MetricConversion || f.Metric == rollup.MetricThroughput && f.Step >= k
	}
	return false
}

// AnomalySlack is how far from a seeded anomaly a found one may start or
// end and still be its effect.
const AnomalySlack = 15 * time.Minute

// TestAnomaliesFoundInDemoTraffic scores Store.Anomalies against the demo
// generator's truth: four days of the shop following the time of day,
// with the anomaly schedule on (a conversion drop or a latency rise, of
// every session or of one tier or region, every three hours) and nothing
// deployed. The first two days are the baseline; anomalies are looked
// for in the last two, by quarter hour.
func TestAnomaliesFoundInDemoTraffic(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	cfg := demo.DefaultConfig()
	cfg.Seed = 7
	cfg.Start = start
	cfg.Duration = 4 * 24 * time.Hour
	cfg.Sessions = 4 * 24 * 60 * 12 // 12 a minute on average
	cfg.BadDeploy.Enabled = false
	cfg.Daily.Enabled = true
	cfg.AnomalySchedule.Enabled = true
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()

	j := rolluptest.Journey("demo", "span.session.id", 30*time.Minute, demo.NumSteps)
	v := b.put(t, j)
	end := start.Add(cfg.Duration)
	b.compute(t, j, v, rollup.Range{From: start, To: end.Add(time.Hour)}, demoSpans(tr), false)

	from := start.Add(2 * 24 * time.Hour)
	found, err := b.rollups.Anomalies(b.ctx, j, rollup.AnomalyQuery{From: from, To: end, CompleteThrough: end.Add(time.Hour)})
	require.NoError(t, err)

	var seeded []demo.AnomalyTruth
	for _, a := range truth.Anomalies {
		if !a.From.Before(from) && a.To.Before(end) {
			seeded = append(seeded, a)
		}
	}
	explained := 0
	for _, f := range found {
		ok := false
		for _, a := range seeded {
			ok = ok || explains(a, f)
		}
		if ok {
			explained++
		} else {
			t.Logf("unexplained: step %d %s %s–%s value %g expected %g [%g, %g]", f.Step, f.Metric, f.From.Format("Mon 15:04"), f.To.Format("15:04"), f.Value, f.Expected, f.ExpectedLow, f.ExpectedHigh)
		}
	}
	type class struct{ seeded, found int }
	classes := map[string]*class{}
	for _, a := range seeded {
		name := a.Metric + "/all"
		if a.SegmentKey != "" {
			name = a.Metric + "/segment"
		}
		c := classes[name]
		if c == nil {
			c = &class{}
			classes[name] = c
		}
		c.seeded++
		hit := false
		for _, f := range found {
			hit = hit || explains(a, f)
		}
		if hit {
			c.found++
		}
		t.Logf("seeded %s %s %s=%s %s–%s ×%g touched %d: found %v", a.Metric, a.Step, a.SegmentKey, a.SegmentValue, a.From.Format("Mon 15:04"), a.To.Format("15:04"), a.Factor, a.Sessions, hit)
	}
	for name, c := range classes {
		t.Logf("%s: %d of %d found", name, c.found, c.seeded)
	}
	t.Logf("precision %d/%d", explained, len(found))
	// The generator is deterministic: these are its exact scores. Every
	// anomaly of all sessions is found. One of a segment is found when it
	// moves the whole journey's numbers out of their band, which only the
	// whole journey's rows tell: a latency rise of 3 mostly does (the
	// segment's spans fill the top of the p95), a conversion drop of 0.4
	// of one tier or region rarely does (it moves the step's throughput by
	// the segment's share alone). Two quarter hours of a step's p95 lie
	// outside their band by chance.
	require.Equal(t, 18, len(found))
	require.Equal(t, 16, explained)
	got := map[string][2]int{}
	for name, c := range classes {
		got[name] = [2]int{c.found, c.seeded}
	}
	require.Equal(t, map[string][2]int{
		"latency/all": {4, 4}, "latency/segment": {3, 4},
		"conversion/all": {3, 3}, "conversion/segment": {1, 5},
	}, got)
}
