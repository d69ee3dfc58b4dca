package rollup

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/sketch"
)

// HourWidth is the width of downsampled buckets.
const HourWidth = time.Hour

// Downsample merges the minute rows of every hour that ends at or before
// before into one hour row per step and segment (and one funnel row per
// segment), journey by journey, each hour in its own transaction. Merging
// is exact: sums, and sketches merged bucket by bucket; only the latency
// SLO thresholds every minute row counted survive. It returns how many
// journey-hours were merged.
func (s *Store) Downsample(ctx context.Context, before time.Time) (int, error) {
	before = before.UTC().Truncate(HourWidth)
	rows, err := s.pool.Query(ctx, `
		SELECT journey_id, hour FROM (
			SELECT journey_id, to_timestamp(floor(extract(epoch FROM bucket) / 3600) * 3600) AS hour
			FROM rollup_steps WHERE width_s < 3600 AND bucket < $1
			UNION
			SELECT journey_id, to_timestamp(floor(extract(epoch FROM bucket) / 3600) * 3600)
			FROM rollup_funnels WHERE width_s < 3600 AND bucket < $1
		) h
		ORDER BY 1, 2`, before)
	if err != nil {
		return 0, fmt.Errorf("find hours to downsample: %w", err)
	}
	type jh struct {
		id   int64
		hour time.Time
	}
	hours, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jh, error) {
		var x jh
		err := r.Scan(&x.id, &x.hour)
		return x, err
	})
	if err != nil {
		return 0, fmt.Errorf("find hours to downsample: %w", err)
	}
	for i, h := range hours {
		if err := s.downsampleHour(ctx, h.id, h.hour.UTC()); err != nil {
			return i, err
		}
	}
	return len(hours), nil
}

func (s *Store) downsampleHour(ctx context.Context, id int64, hour time.Time) error {
	end := hour.Add(HourWidth)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockJourney(ctx, tx, id); err != nil {
			return err
		}
		steps, ths, version, err := mergeStepRows(ctx, tx, id, hour, end)
		if err != nil {
			return err
		}
		funnels, fversion, err := mergeFunnelRows(ctx, tx, id, hour, end)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rollup_steps WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3`, id, hour, end); err != nil {
			return fmt.Errorf("delete minute rows: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rollup_funnels WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3`, id, hour, end); err != nil {
			return fmt.Errorf("delete minute rows: %w", err)
		}
		if err := copyStepRows(ctx, tx, id, version, steps, ths); err != nil {
			return err
		}
		return copyFunnels(ctx, tx, id, fversion, funnels)
	})
	if err != nil {
		return fmt.Errorf("downsample journey %d at %s: %w", id, hour.Format(time.RFC3339), err)
	}
	return nil
}

type mergeKey struct {
	key, value string
	step       int16
}

type mergedStep struct {
	row        StepRow
	acc        stepAcc
	thresholds []int64
}

func mergeStepRows(ctx context.Context, tx pgx.Tx, id int64, from, to time.Time) ([]StepRow, [][]time.Duration, int, error) {
	rows, err := tx.Query(ctx, `
		SELECT segment_key, segment_value, step, journey_version, spans, COALESCE(sampled, spans), errors, latency,
			thresholds_ns, good, value_sum, slowest, errored
		FROM rollup_steps
		WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3
		FOR UPDATE`, id, from, to)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read minute rows: %w", err)
	}
	defer rows.Close()
	merged := map[mergeKey]*mergedStep{}
	version := 0
	for rows.Next() {
		var k mergeKey
		var v int
		var spans, sampled, errs int64
		var lat, slow, errd []byte
		var th, good []int64
		var valueSum float64
		if err := rows.Scan(&k.key, &k.value, &k.step, &v, &spans, &sampled, &errs, &lat, &th, &good, &valueSum, &slow, &errd); err != nil {
			return nil, nil, 0, fmt.Errorf("read minute rows: %w", err)
		}
		sk, err := decodeSketch(lat)
		if err != nil {
			return nil, nil, 0, err
		}
		version = max(version, v)
		m := merged[k]
		if m == nil {
			m = &mergedStep{thresholds: slices.Clone(th)}
			m.acc.good = make([]int64, len(th))
			merged[k] = m
		}
		m.acc.spans += spans
		m.acc.sampled += sampled
		m.acc.errors += errs
		m.acc.lat.Merge(sk)
		m.acc.valueSum += valueSum
		// Keep the thresholds both sides counted.
		var keepTh, keepGood []int64
		for i, t := range m.thresholds {
			if j := slices.Index(th, t); j >= 0 && j < len(good) {
				keepTh = append(keepTh, t)
				keepGood = append(keepGood, m.acc.good[i]+good[j])
			}
		}
		m.thresholds, m.acc.good = keepTh, keepGood
		if err := offerJSON(&m.acc.slow, slow, slower); err != nil {
			return nil, nil, 0, err
		}
		if err := offerJSON(&m.acc.errs, errd, later); err != nil {
			return nil, nil, 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, fmt.Errorf("read minute rows: %w", err)
	}
	keys := make([]mergeKey, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y mergeKey) int {
		return cmp.Or(cmp.Compare(x.step, y.step), cmp.Compare(x.key, y.key), cmp.Compare(x.value, y.value))
	})
	out := make([]StepRow, 0, len(keys))
	ths := make([][]time.Duration, 0, len(keys))
	for _, k := range keys {
		m := merged[k]
		r := stepRowOf(&m.acc, int(k.step), from, Segment{Key: k.key, Value: k.value})
		r.Width = HourWidth
		out = append(out, r)
		th := make([]time.Duration, len(m.thresholds))
		for i, t := range m.thresholds {
			th[i] = time.Duration(t)
		}
		ths = append(ths, th)
	}
	return out, ths, version, nil
}

func stepRowOf(acc *stepAcc, step int, bucket time.Time, seg Segment) StepRow {
	return StepRow{
		Step:     step,
		Bucket:   bucket,
		Width:    BucketWidth,
		Segment:  seg,
		Spans:    acc.spans,
		Sampled:  acc.sampled,
		Errors:   acc.errors,
		Latency:  &acc.lat,
		Good:     acc.good,
		ValueSum: acc.valueSum,
		Slowest:  acc.slow.list(),
		Errored:  acc.errs.list(),
	}
}

func mergeFunnelRows(ctx context.Context, tx pgx.Tx, id int64, from, to time.Time) ([]FunnelRow, int, error) {
	rows, err := tx.Query(ctx, `
		SELECT segment_key, segment_value, journey_version, reached, in_flight, continued, errored, step_times,
			dropped_value, errored_value
		FROM rollup_funnels
		WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3
		FOR UPDATE`, id, from, to)
	if err != nil {
		return nil, 0, fmt.Errorf("read minute funnel rows: %w", err)
	}
	defer rows.Close()
	merged := map[Segment]*funnelTotals{}
	version := 0
	for rows.Next() {
		var seg Segment
		var v int
		var reached, inFlight, continued []int64
		var errored int64
		var times [][]byte
		var dropped, failed []float64
		if err := rows.Scan(&seg.Key, &seg.Value, &v, &reached, &inFlight, &continued, &errored, &times, &dropped, &failed); err != nil {
			return nil, 0, fmt.Errorf("read minute funnel rows: %w", err)
		}
		version = max(version, v)
		t := merged[seg]
		if t == nil {
			t = &funnelTotals{}
			merged[seg] = t
		}
		if err := t.add(reached, inFlight, continued, errored, times, dropped, failed); err != nil {
			return nil, 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read minute funnel rows: %w", err)
	}
	out := make([]FunnelRow, 0, len(merged))
	for seg, t := range merged {
		times := make([]*sketch.Sketch, len(t.times))
		for i := range t.times {
			times[i] = &t.times[i]
		}
		out = append(out, FunnelRow{
			Bucket: from, Width: HourWidth, Segment: seg, Continued: t.continued,
			Reached: t.reached, InFlight: t.inFlight, Errored: t.errored, StepTimes: times,
			DroppedValue: t.dropped, ErroredValue: t.failed,
		})
	}
	slices.SortFunc(out, func(x, y FunnelRow) int { return compareSegments(x.Segment, y.Segment) })
	return out, version, nil
}

// DeleteBefore drops rollups of every journey whose bucket starts before
// before, and finished backfills created before it. It returns the number
// of rows deleted.
func (s *Store) DeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	ids, err := s.journeyIDs(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, id := range ids {
		for _, q := range []string{
			`DELETE FROM rollup_steps WHERE journey_id = $1 AND bucket < $2`,
			`DELETE FROM rollup_funnels WHERE journey_id = $1 AND bucket < $2`,
		} {
			tag, err := s.pool.Exec(ctx, q, id, before)
			if err != nil {
				return n, fmt.Errorf("delete old rollups: %w", err)
			}
			n += tag.RowsAffected()
		}
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM rollup_backfills WHERE state IN ('done', 'failed') AND created_at < $1`, before); err != nil {
		return n, fmt.Errorf("delete old backfills: %w", err)
	}
	return n, nil
}

func (s *Store) journeyIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM journeys ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	return ids, nil
}
