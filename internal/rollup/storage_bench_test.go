package rollup_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

// BenchmarkFunnelStorage measures what funnel rows cost in Postgres per
// cohort bucket: an hour of a five-step journey by trace, 30 entries a
// minute, 80% going on at each step, with a tier (3 values) and a region
// (5) at entry and the host (8, a different one per step) at the step.
// It reports the bytes of the rows (pg_column_size, as stored: arrays and
// sketches compressed when large) per minute bucket and key, for the
// entry rows of one key and for the "@step" rows of the host, and the
// average on-disk cost of one funnel row with its share of the index.
func BenchmarkFunnelStorage(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	j := rolluptest.Journey("storage", journeys.CorrelateByTrace, 0, 5)
	j.Spec.Segments = []string{"span.tier", "span.region", "resource.host.name"}
	j.Spec.Value = "span.total"
	rec, _, err := journeystore.New(pool).PutJourney(ctx, j, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var spans []rolluptest.Span
	tiers := []string{"free", "pro", "enterprise"}
	id := 0
	for i := range 60 * 30 {
		entry := t0.Add(time.Duration(i) * 2 * time.Second)
		for k := range 5 {
			if k > 0 && (i*7919+k)%5 == 0 {
				break
			}
			id++
			a := map[string]string{"resource.host.name": fmt.Sprintf("host-%d", (i+k)%8)}
			if k == 0 {
				a["span.tier"], a["span.region"] = tiers[i%3], fmt.Sprintf("region-%d", i%5)
			}
			if k == 4 {
				a["span.total"] = fmt.Sprintf("%d.99", i%200)
			}
			spans = append(spans, rolluptest.StepSpan(k+1, i+1, id, entry.Add(time.Duration(k)*3*time.Second),
				time.Duration(20+(id*37)%900)*time.Millisecond, id%97 == 0, a))
		}
	}
	src := &rolluptest.Source{}
	src.Add(spans...)
	res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: t0, To: at(time.Hour)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	rollups := rollup.NewStore(pool)
	if err := rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version}); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE rollup_funnels`); err != nil {
		b.Fatal(err)
	}
	perKey := func(key string) (bytes, rows float64) {
		var sum, n, buckets int64
		err := pool.QueryRow(ctx, `
			SELECT COALESCE(sum(pg_column_size(f.*)), 0)::bigint, count(*), count(DISTINCT bucket)
			FROM rollup_funnels f WHERE segment_key = $1 AND bucket >= $2 AND bucket < $3`, key, t0, at(time.Hour)).Scan(&sum, &n, &buckets)
		if err != nil || buckets == 0 {
			b.Fatalf("measure %s: %v (%d buckets)", key, err, buckets)
		}
		return float64(sum) / float64(buckets), float64(n) / float64(buckets)
	}
	var total, count int64
	if err := pool.QueryRow(ctx, `SELECT pg_total_relation_size('rollup_funnels'), (SELECT count(*) FROM rollup_funnels)`).Scan(&total, &count); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		// The measurement is of storage, not of time.
	}
	entry, entryRows := perKey("span.region")
	step, stepRows := perKey(rollup.AtStep("resource.host.name"))
	all, _ := perKey("")
	b.ReportMetric(all, "all-traffic-B/bucket")
	b.ReportMetric(entry, "entry-key-B/bucket")
	b.ReportMetric(entryRows, "entry-key-rows/bucket")
	b.ReportMetric(step, "step-key-B/bucket")
	b.ReportMetric(stepRows, "step-key-rows/bucket")
	b.ReportMetric(float64(total)/float64(count), "on-disk-B/row")
}
