package rollup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/compare"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// What a comparison sets apart.
const (
	// CompareDropped compares the instances that reached a step and
	// dropped before the next with those that went on.
	CompareDropped = "dropped"
	// CompareSlow compares a step's spans slower than a threshold (its p95
	// unless given) with the rest.
	CompareSlow = "slow"
)

// DiffQuery asks what differs between two groups of one journey's
// instances or spans, over rows whose bucket starts in [From, To).
type DiffQuery struct {
	Slug     string
	From, To time.Time
	// Step is 0-based: the transition Step → Step+1 when dropped, the
	// step whose latency when slow.
	Step    int
	Compare string
	// Threshold, when slow, sets the spans above it apart; 0 takes the
	// step's p95 over the range.
	Threshold time.Duration
}

// Differences are the attribute values ranked by how differently they are
// spread over the two groups (see package compare).
type Differences struct {
	Slug    string    `json:"slug"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Step    int       `json:"step"`
	Compare string    `json:"compare"`
	// Selected and Baseline are the sizes of the groups: the instances
	// that dropped and those that went on, or the slow spans and the
	// rest. InFlight counts the instances left out because their window
	// is still open: they may yet go on.
	Selected int64 `json:"selected"`
	Baseline int64 `json:"baseline"`
	InFlight int64 `json:"in_flight"`
	// ThresholdMS is the latency that set the slow spans apart, and
	// ThresholdExact whether the spans were counted against it exactly
	// (a latency SLO threshold) rather than to the sketch's 1%.
	ThresholdMS    float64 `json:"threshold_ms,omitempty"`
	ThresholdExact bool    `json:"threshold_exact,omitempty"`
	// Attributes are every value of every segment key, most different
	// first; Significant ones pass the false discovery rate.
	Attributes []compare.Difference `json:"attributes"`
}

// ErrBadComparison wraps a comparison that cannot be made as asked.
var ErrBadComparison = errors.New("bad comparison")

// Differences compares the two groups q names over the journey's segment
// keys: for dropped, from the funnel rows (keys attributed at the step by
// the value on the step's own span, the others by the value at entry),
// leaving out the instances still in flight; for slow, from the step
// rows.
func (s *Store) Differences(ctx context.Context, j journeys.Journey, q DiffQuery) (Differences, error) {
	n := len(j.Spec.Steps)
	out := Differences{Slug: q.Slug, From: q.From, To: q.To, Step: q.Step, Compare: q.Compare}
	switch {
	case q.Compare != CompareDropped && q.Compare != CompareSlow:
		return out, fmt.Errorf("%w: compare must be %q or %q, not %q", ErrBadComparison, CompareDropped, CompareSlow, q.Compare)
	case q.Compare == CompareDropped && (q.Step < 0 || q.Step >= n-1):
		return out, fmt.Errorf("%w: step %d has no next step to drop before (the journey has %d steps)", ErrBadComparison, q.Step+1, n)
	case q.Step < 0 || q.Step >= n:
		return out, fmt.Errorf("%w: the journey has no step %d", ErrBadComparison, q.Step+1)
	case q.Threshold < 0:
		return out, fmt.Errorf("%w: threshold must be positive", ErrBadComparison)
	case !q.From.Before(q.To):
		return out, fmt.Errorf("%w: the range is empty", ErrBadComparison)
	}
	ref, err := lookup(ctx, s.pool, q.Slug)
	if err != nil {
		return out, err
	}
	var counts []compare.Count
	totals := map[string]compare.Totals{}
	if q.Compare == CompareDropped {
		counts, err = s.dropCounts(ctx, ref.id, j, q, &out)
	} else {
		counts, err = s.slowCounts(ctx, ref.id, q, &out)
	}
	if err != nil {
		return out, fmt.Errorf("compare %s at step %d of %q: %w", q.Compare, q.Step+1, q.Slug, err)
	}
	for _, c := range counts {
		t := totals[c.Key]
		t.Selected += c.Selected
		t.Baseline += c.Baseline
		totals[c.Key] = t
	}
	out.Attributes = compare.Rank(counts, totals)
	if out.Attributes == nil {
		out.Attributes = []compare.Difference{}
	}
	return out, nil
}

func (s *Store) dropCounts(ctx context.Context, id int64, j journeys.Journey, q DiffQuery, out *Differences) ([]compare.Count, error) {
	keys, atStep := segmentKeys(j)
	stepKey := map[string]bool{}
	for _, i := range atStep {
		stepKey[keys[i]] = true
	}
	// Postgres adds up the five numbers the comparison needs, per value:
	// a week of minute rows is tens of thousands of rows, and shipping
	// their arrays costs more than summing them where they lie. SQL arrays
	// are 1-based, and a subscript past the end is NULL, which sum skips.
	rows, err := s.pool.Query(ctx, `
		SELECT segment_key, segment_value,
			COALESCE(sum(reached[$4]), 0)::bigint, COALESCE(sum(reached[$4 + 1]), 0)::bigint,
			COALESCE(sum(in_flight[$4]), 0)::bigint, COALESCE(sum(in_flight[$4 + 1]), 0)::bigint,
			COALESCE(sum(continued[$4]), 0)::bigint
		FROM rollup_funnels
		WHERE journey_id = $1 AND bucket >= $2 AND bucket < $3
		GROUP BY segment_key, segment_value`, id, q.From, q.To, q.Step+1)
	if err != nil {
		return nil, fmt.Errorf("read funnel rows: %w", err)
	}
	defer rows.Close()
	type tally struct{ dropped, went, open int64 }
	byValue := map[Segment]*tally{}
	for rows.Next() {
		var seg Segment
		var reached, next, flying, nextFlying, continued int64
		if err := rows.Scan(&seg.Key, &seg.Value, &reached, &next, &flying, &nextFlying, &continued); err != nil {
			return nil, fmt.Errorf("read funnel rows: %w", err)
		}
		var went, open int64
		key, isStep := strings.CutPrefix(seg.Key, AtStepPrefix)
		switch {
		case isStep:
			if !stepKey[key] {
				continue
			}
			seg.Key = key
			went, open = continued, flying
		case seg.All() || slices.Contains(keys, seg.Key) && !stepKey[seg.Key]:
			went, open = next, flying-nextFlying
		default:
			continue // a key the journey no longer has, or counted at the step
		}
		t := byValue[seg]
		if t == nil {
			t = &tally{}
			byValue[seg] = t
		}
		t.went += went
		t.open += open
		t.dropped += reached - went - open
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read funnel rows: %w", err)
	}
	var counts []compare.Count
	for seg, t := range byValue {
		if seg.All() {
			out.Selected, out.Baseline, out.InFlight = max(t.dropped, 0), t.went, max(t.open, 0)
			continue
		}
		counts = append(counts, compare.Count{Key: seg.Key, Value: seg.Value, Selected: max(t.dropped, 0), Baseline: t.went})
	}
	return counts, nil
}

func (s *Store) slowCounts(ctx context.Context, id int64, q DiffQuery, out *Differences) ([]compare.Count, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT segment_key, segment_value, spans, latency, thresholds_ns, good
		FROM rollup_steps
		WHERE journey_id = $1 AND step = $2 AND bucket >= $3 AND bucket < $4`, id, q.Step, q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("read step rows: %w", err)
	}
	type row struct {
		seg        Segment
		spans      int64
		lat        []byte
		thresholds []int64
		good       []int64
	}
	var read []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seg.Key, &r.seg.Value, &r.spans, &r.lat, &r.thresholds, &r.good); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read step rows: %w", err)
		}
		read = append(read, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read step rows: %w", err)
	}
	threshold := q.Threshold
	if threshold == 0 {
		var all sketch.Sketch
		for _, r := range read {
			if !r.seg.All() {
				continue
			}
			sk, err := decodeSketch(r.lat)
			if err != nil {
				return nil, err
			}
			all.Merge(sk)
		}
		// Up to the p95's own bucket is not slow.
		threshold = time.Duration(math.Ceil(all.QuantileNanos(0.95)))
	}
	out.ThresholdMS = ms(float64(threshold))
	out.ThresholdExact = true
	type tally struct {
		slow, rest int64
		// merged holds the sketches of the rows that were not sampled
		// and had no exact count: one count against the threshold of
		// their merge replaces one per row.
		merged *sketch.Sketch
	}
	byValue := map[Segment]*tally{}
	for _, r := range read {
		t := byValue[r.seg]
		if t == nil {
			t = &tally{}
			byValue[r.seg] = t
		}
		if i := slices.Index(r.thresholds, int64(threshold)); i >= 0 && i < len(r.good) {
			t.rest += r.good[i]
			t.slow += r.spans - r.good[i]
			continue
		}
		out.ThresholdExact = false
		sk, err := decodeSketch(r.lat)
		if err != nil {
			return nil, err
		}
		if c := int64(sk.Count()); c == r.spans {
			if t.merged == nil {
				t.merged = sk
			} else {
				t.merged.Merge(sk)
			}
			continue
		}
		// A sampled row's sketch counts the spans read, its spans what
		// they stand for: scale.
		fast := int64(sk.CountAtMost(threshold))
		if c := int64(sk.Count()); c > 0 {
			fast = fast * r.spans / c
		}
		t.rest += fast
		t.slow += r.spans - fast
	}
	for _, t := range byValue {
		if t.merged != nil {
			fast := int64(t.merged.CountAtMost(threshold))
			t.rest += fast
			t.slow += int64(t.merged.Count()) - fast
		}
	}
	var counts []compare.Count
	for seg, t := range byValue {
		if seg.All() {
			out.Selected, out.Baseline = t.slow, t.rest
			continue
		}
		counts = append(counts, compare.Count{Key: seg.Key, Value: seg.Value, Selected: t.slow, Baseline: t.rest})
	}
	return counts, nil
}
