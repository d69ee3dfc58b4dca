package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/internal/sketch"
)

// HeatCell is one hour of the week (or one step and time bucket) of a heat
// map.
type HeatCell struct {
	Spans  int64 `json:"spans"`
	Errors int64 `json:"errors"`
	// Hours counts the distinct hours of the range that fell in the cell,
	// so that throughput reads per hour whatever the range.
	Hours int     `json:"hours"`
	P95   float64 `json:"p95_ms"`
}

// Throughput is the cell's spans per minute.
func (c HeatCell) Throughput() float64 {
	if c.Hours == 0 {
		return 0
	}
	return float64(c.Spans) / float64(c.Hours) / 60
}

// ErrorRate is the cell's errors over spans.
func (c HeatCell) ErrorRate() float64 { return ratio(c.Errors, c.Spans) }

// WeekHeatmap is one step's numbers by day of week and hour of day.
type WeekHeatmap struct {
	Step int `json:"step"`
	// Cells[d][h]: d is the day of week (0 Sunday), h the hour, in Zone.
	Cells [7][24]HeatCell `json:"cells"`
	Zone  string          `json:"zone"`
}

// WeekHeatmap adds one step's rows in [from, to) into hour-of-week cells,
// in loc: a downsampled hour row lands whole in its hour, so the map reads
// the same over minute and hour rows.
func (s *Store) WeekHeatmap(ctx context.Context, slug string, step int, from, to time.Time, loc *time.Location) (WeekHeatmap, error) {
	out := WeekHeatmap{Step: step, Zone: loc.String()}
	ref, err := lookup(ctx, s.pool, slug)
	if err != nil {
		return out, err
	}
	if step < 0 || step >= ref.steps {
		return out, fmt.Errorf("%w: the journey has no step %d", ErrBadComparison, step+1)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT bucket, spans, errors, latency
		FROM rollup_steps
		WHERE journey_id = $1 AND segment_key = '' AND step = $2 AND bucket >= $3 AND bucket < $4`,
		ref.id, step, from, to)
	if err != nil {
		return out, fmt.Errorf("read heat map of %q: %w", slug, err)
	}
	defer rows.Close()
	var sketches [7][24]sketch.Sketch
	for rows.Next() {
		var bucket time.Time
		var spans, errs int64
		var lat []byte
		if err := rows.Scan(&bucket, &spans, &errs, &lat); err != nil {
			return out, fmt.Errorf("read heat map of %q: %w", slug, err)
		}
		sk, err := decodeSketch(lat)
		if err != nil {
			return out, err
		}
		t := bucket.In(loc)
		c := &out.Cells[t.Weekday()][t.Hour()]
		c.Spans += spans
		c.Errors += errs
		sketches[t.Weekday()][t.Hour()].Merge(sk)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read heat map of %q: %w", slug, err)
	}
	for h := from.Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		t := h.In(loc)
		out.Cells[t.Weekday()][t.Hour()].Hours++
	}
	for d := range out.Cells {
		for h := range out.Cells[d] {
			if sk := &sketches[d][h]; sk.Count() > 0 {
				out.Cells[d][h].P95 = ms(sk.QuantileNanos(0.95))
			}
		}
	}
	return out, nil
}
