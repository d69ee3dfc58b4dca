package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

const (
	benchJourneys = 100
	benchDays     = 30
)

// benchEnd is where the benchmark's 30 days of traffic end, and its clock.
var benchEnd = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// benchJourney is four steps of one session, broken down by tier.
func benchJourney(i int) journeys.Journey {
	j := rolluptest.Journey(fmt.Sprintf("bench-%03d", i), "span.session.id", 30*time.Minute, 4)
	j.Spec.Segments = []string{"span.tier"}
	return j
}

// benchResult rolls up 30 days of traffic with the real engine, then
// widens every row to the hour it starts, as downsampling leaves history:
// each hour has three sessions (one per tier) within its first minute,
// one of which stops after two steps.
func benchResult(tb testing.TB) *rollup.Result {
	tb.Helper()
	start := benchEnd.Add(-benchDays * 24 * time.Hour)
	src := &rolluptest.Source{}
	n := 0
	tiers := []string{"free", "pro", "enterprise"}
	for h := range benchDays * 24 {
		hour := start.Add(time.Duration(h) * time.Hour)
		for s, tier := range tiers {
			session := h*len(tiers) + s
			steps := 4
			if s == 0 {
				steps = 2
			}
			for k := 1; k <= steps; k++ {
				n++
				at := hour.Add(time.Duration(s*15+k*3) * time.Second)
				d := time.Duration(20+(n*37)%400) * time.Millisecond
				src.Add(rolluptest.StepSpan(k, session+1, n, at, d, n%17 == 0,
					map[string]string{"span.session.id": fmt.Sprint(session), "span.tier": tier}))
			}
		}
	}
	res, err := rollup.Aggregate(context.Background(), src, benchJourney(0), rollup.Range{From: start, To: benchEnd}, nil)
	require.NoError(tb, err)
	for i := range res.Steps {
		res.Steps[i].Width = time.Hour
	}
	for i := range res.Funnels {
		res.Funnels[i].Width = time.Hour
	}
	return res
}

func setupBench(b *testing.B) *bundle {
	b.Helper()
	bb := setupWith(b, func(o *Options) { o.Now = func() time.Time { return benchEnd.Add(30 * time.Second) } })
	res := benchResult(b)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, benchJourneys)
	sem := make(chan struct{}, 4)
	for i := range benchJourneys {
		j := benchJourney(i)
		rec, _, err := bb.store.PutJourney(ctx, j, "bench")
		require.NoError(b, err)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := *res
			r.Slug = j.Metadata.Slug
			errs <- bb.rollups.Write(ctx, &r, rollup.WriteOptions{Version: rec.Version, Live: true, Started: benchEnd})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	_, err := bb.pool.Exec(ctx, "ANALYZE")
	require.NoError(b, err)
	return bb
}

// BenchmarkJourneyMap renders the journey map with 100 journeys of 30 days
// of hourly rollups in the database: the server time of one page.
func BenchmarkJourneyMap(b *testing.B) {
	bb := setupBench(b)
	pages := []struct{ name, target string }{
		{"24h", "/journeys/bench-042?range=24h"},
		{"7d", "/journeys/bench-042?range=7d"},
		{"7d-segment", "/journeys/bench-042?range=7d&segment=span.tier%3Dpro"},
		{"30d", "/journeys/bench-042?from=2026-01-30T00:00:00Z&to=2026-03-01T00:00:00Z"},
		{"api-30d", "/api/v1/journeys/bench-042/stats?from=2026-01-30T00:00:00Z&to=2026-03-01T00:00:00Z"},
		{"list", "/journeys"},
	}
	// The data is what the benchmark means it to be: three sessions an
	// hour for 30 days, two of them completing.
	rec := bb.do(b, http.MethodGet, pages[4].target, nil)
	require.Equal(b, http.StatusOK, rec.Code, rec.Body.String())
	var st journeyhttp.Stats
	require.NoError(b, json.Unmarshal(rec.Body.Bytes(), &st))
	require.Equal(b, []int64{2160, 1440}, []int64{st.Entered, st.Completed})
	require.Equal(b, int64(2160), st.Steps[0].Spans)

	for _, p := range pages {
		rec := bb.do(b, http.MethodGet, p.target, nil)
		require.Equal(b, http.StatusOK, rec.Code, rec.Body.String())
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rec := bb.do(b, http.MethodGet, p.target, nil); rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
