// Command rollupcost measures what Waymark's rollups cost a trace source
// while a `waymark serve` (or workers) keeps its journeys fresh: once a
// minute it reads the runs' running totals from the database and, with
// Tempo, measures a baseline for every minute the rollups newly covered:
// one exhaustive TraceQL search per step of that minute's spans, the least
// any tool must read to count them, with the attributes the numbers need. It prints, per minute, Tempo's bytes
// inspected for Waymark over the baseline's, the spans read per new span,
// and how far behind now the rollups are complete; then a summary.
//
//	go run ./scripts/rollupcost -db postgres://... -tempo http://127.0.0.1:3200 -minutes 15
//
// scripts/measure-rollups.sh starts the server and the traffic around it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/journeys"
)

func main() {
	db := flag.String("db", "", "Postgres URL of the Waymark database")
	tempoURL := flag.String("tempo", "", "Tempo's HTTP API; empty for the embedded store (no baseline)")
	minutes := flag.Int("minutes", 15, "minutes to measure")
	warmup := flag.Int("warmup", 3, "minutes to wait before measuring (history catch-up)")
	flag.Parse()
	if *db == "" {
		log.Fatal("rollupcost: -db is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *db, *tempoURL, *minutes, *warmup); err != nil && !errors.Is(err, context.Canceled) {
		log.Fatalf("rollupcost: %v", err)
	}
}

// sample is the journeys' running totals at one instant.
type sample struct {
	at    time.Time
	fresh map[string]rollup.Freshness
}

func read(ctx context.Context, rs *rollup.Store) (sample, error) {
	all, err := rs.AllFreshness(ctx)
	if err != nil {
		return sample{}, err
	}
	s := sample{at: time.Now(), fresh: map[string]rollup.Freshness{}}
	for _, f := range all {
		s.fresh[f.Slug] = f
	}
	return s, nil
}

type row struct {
	minute              time.Time
	slug                string
	inspected, baseline int64
	spans, newSpans     int64
	recount             int64
	lag                 time.Duration
}

func run(ctx context.Context, dbURL, tempoURL string, minutes, warmup int) error {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	rs := rollup.NewStore(pool)
	js := journeystore.New(pool)
	var src *tempo.Source
	if tempoURL != "" {
		c, err := tempo.New(tempo.Options{BaseURL: tempoURL})
		if err != nil {
			return err
		}
		// One search per step and minute, whatever the rate.
		src = tempo.NewSource(c, tempo.SourceOptions{Limit: 200_000})
	}
	recs, err := js.ListJourneys(ctx)
	if err != nil {
		return err
	}
	byslug := map[string]journeys.Journey{}
	for _, r := range recs {
		byslug[r.Journey.Metadata.Slug] = r.Journey
	}

	fmt.Fprintf(os.Stderr, "waiting %d minutes for the rollups to catch up\n", warmup)
	if err := sleep(ctx, time.Duration(warmup)*time.Minute); err != nil {
		return err
	}
	prev, err := read(ctx, rs)
	if err != nil {
		return err
	}
	var rows []row
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "minute\tjourney\twaymark MB\tbaseline MB\tratio\tspans read\tnew spans\trecounted\tread/new\tlag\t")
	for i := 0; i < minutes; i++ {
		if err := sleep(ctx, time.Until(prev.at.Add(time.Minute))); err != nil {
			return err
		}
		cur, err := read(ctx, rs)
		if err != nil {
			return err
		}
		for slug, f := range cur.fresh {
			p, ok := prev.fresh[slug]
			if !ok || p.CompleteThrough.IsZero() {
				// Not rolled up yet: its first minutes are history, not
				// what keeping up costs.
				continue
			}
			r := row{
				minute: p.CompleteThrough, slug: slug,
				inspected: f.Totals.InspectedBytes - p.Totals.InspectedBytes,
				spans:     f.Totals.Spans - p.Totals.Spans,
				newSpans:  f.Totals.NewSpans - p.Totals.NewSpans,
				recount:   f.Totals.RecountSpans - p.Totals.RecountSpans,
				lag:       cur.at.Sub(f.CompleteThrough),
			}
			// The baseline: what an exhaustive search of the minutes the
			// rollups newly covered inspects, step by step, selecting the
			// attributes the numbers need (segments, correlation, value).
			if src != nil && f.CompleteThrough.After(p.CompleteThrough) {
				j := byslug[slug]
				a, err := rollup.NewAggregator(j, rollup.Range{From: p.CompleteThrough, To: f.CompleteThrough}, nil)
				if err != nil {
					return err
				}
				for k := range j.Spec.Steps {
					q := a.Query(k)
					q.From, q.To = p.CompleteThrough, f.CompleteThrough
					stats, err := src.FetchSpans(ctx, q, func(journeys.Span) error { return nil })
					if err != nil {
						return fmt.Errorf("baseline search: %w", err)
					}
					r.baseline += stats.InspectedBytes
				}
			}
			rows = append(rows, r)
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%s\t%d\t%d\t%d\t%s\t%s\t\n", r.minute.Format("15:04"), slug,
				mb(r.inspected), mb(r.baseline), ratio(r.inspected, r.baseline), r.spans, r.newSpans, r.recount,
				ratio(r.spans, r.newSpans), r.lag.Round(time.Second))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		prev = cur
	}
	summarize(rows)
	return nil
}

func summarize(rows []row) {
	bySlug := map[string][]row{}
	for _, r := range rows {
		bySlug[r.slug] = append(bySlug[r.slug], r)
	}
	slugs := make([]string, 0, len(bySlug))
	for s := range bySlug {
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	fmt.Println()
	for _, s := range slugs {
		var ins, base, spans, news, recount int64
		var lags []time.Duration
		for _, r := range bySlug[s] {
			ins, base, spans, news, recount = ins+r.inspected, base+r.baseline, spans+r.spans, news+r.newSpans, recount+r.recount
			lags = append(lags, r.lag)
		}
		slices.Sort(lags)
		fmt.Printf("%s over %d minutes: Tempo inspected %.1f MB for Waymark, %.1f MB for the baseline (%s); read %d spans for %d new (%s, %d recounted); lag median %s, max %s\n",
			s, len(bySlug[s]), mb(ins), mb(base), ratio(ins, base), spans, news, ratio(spans, news), recount,
			lags[len(lags)/2].Round(time.Second), lags[len(lags)-1].Round(time.Second))
	}
	fmt.Println(strings.Repeat("-", 20))
}

func mb(b int64) float64 { return float64(b) / 1e6 }

func ratio(a, b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
