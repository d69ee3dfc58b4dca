package sketch

import (
	"math"
	"time"
)

// Histogram counts the durations of s in the bins edges cut: bin 0 holds
// those below edges[0], bin i those in [edges[i-1], edges[i]), the last
// those at or above the last edge. edges must ascend. A bucket counts in
// the bin of its representative value, so a duration within 1% of an edge
// may count on its other side; counts are otherwise exact.
func (s *Sketch) Histogram(edges []time.Duration) []uint64 {
	out := make([]uint64, len(edges)+1)
	if s == nil {
		return out
	}
	out[0] = s.zero
	b := 0
	for j, c := range s.bins {
		if c == 0 {
			continue
		}
		v := value(s.offset + j)
		for b < len(edges) && v >= float64(edges[b]) {
			b++
		}
		out[b] += c
	}
	return out
}

// Range returns the representative values of the lowest and highest
// non-empty buckets of s (0, 0 when empty; 0 low when it holds zeros).
func (s *Sketch) Range() (lo, hi time.Duration) {
	if s == nil || s.count == 0 {
		return 0, 0
	}
	first, last := -1, -1
	for j, c := range s.bins {
		if c != 0 {
			if first < 0 {
				first = j
			}
			last = j
		}
	}
	if first < 0 {
		return 0, 0
	}
	lo, hi = time.Duration(value(s.offset+first)), time.Duration(value(s.offset+last))
	if s.zero > 0 {
		lo = 0
	}
	return lo, hi
}

// NiceEdges returns bin edges on the 1-2-5 sequence (1ms, 2ms, 5ms, 10ms…)
// from the last one at or below lo to the first above hi, so that a
// histogram of durations in [lo, hi] reads in round numbers. Edges start at
// 1µs at the least.
func NiceEdges(lo, hi time.Duration) []time.Duration {
	lo = max(lo, time.Microsecond)
	hi = max(hi, lo)
	var out []time.Duration
	for p := math.Floor(math.Log10(float64(lo))); p < 19; p++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, p)
			if v > math.MaxInt64 {
				return out
			}
			d := time.Duration(v)
			switch {
			case d <= lo:
				out = append(out[:0], d)
			case len(out) > 0 && out[len(out)-1] > hi:
				return out
			default:
				out = append(out, d)
			}
		}
	}
	return out
}
