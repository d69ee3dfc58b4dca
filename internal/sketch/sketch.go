// Package sketch is a mergeable latency sketch in the manner of DDSketch:
// durations fall into logarithmic buckets whose width is a fixed fraction of
// their value, so every quantile is known to within RelativeAccuracy of the
// exact one, whatever the distribution.
//
// Merging adds bucket counts, which is exact: the sketch of a union is the
// merge of the sketches of its parts. That is what lets Waymark store one
// sketch per minute and answer a percentile over any range by merging rows
// instead of re-reading spans.
package sketch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// RelativeAccuracy bounds the relative error of every quantile: the value
// returned is within this fraction of the exact nearest-rank value. It sits a
// hair under 1% so that float rounding at a bucket edge cannot push it over.
const RelativeAccuracy = 0.0099

var (
	gamma      = (1 + RelativeAccuracy) / (1 - RelativeAccuracy)
	lnGamma    = math.Log(gamma)
	invLnGamma = 1 / lnGamma
)

// MaxIndex is the bucket index of the longest duration (math.MaxInt64 ns).
// Indexes run from 0 (1ns) to MaxIndex; durations ≤ 0 are counted apart.
var MaxIndex = Index(time.Duration(math.MaxInt64))

// Index returns the bucket of a positive duration d: the i with
// gamma^(i-1) < d ≤ gamma^i. It returns -1 for d ≤ 0. Callers adding one
// duration to several sketches compute it once and use AddIndex.
func Index(d time.Duration) int {
	if d <= 0 {
		return -1
	}
	i := int(math.Ceil(math.Log(float64(d)) * invLnGamma))
	if i < 0 {
		// Cannot happen for d ≥ 1ns; kept so that a float surprise never
		// indexes below the first bucket.
		return 0
	}
	return i
}

// value is the representative duration of bucket i, in ns: the point whose
// relative distance to both bucket edges is RelativeAccuracy.
func value(i int) float64 {
	return 2 * math.Exp(float64(i)*lnGamma) / (gamma + 1)
}

// Sketch counts durations in logarithmic buckets. The zero value is an empty
// sketch ready to use. A Sketch is not safe for concurrent use.
type Sketch struct {
	// bins[j] counts bucket offset+j. Dense between the lowest and highest
	// bucket seen: latencies of one step span a few hundred buckets, and a
	// slice index is much cheaper than a map on the hot path.
	bins   []uint64
	offset int
	zero   uint64 // durations ≤ 0
	count  uint64
}

// New returns an empty sketch.
func New() *Sketch { return &Sketch{} }

// Add counts one duration. Durations ≤ 0 are counted as zero.
func (s *Sketch) Add(d time.Duration) { s.AddIndex(Index(d), 1) }

// AddIndex counts n durations of bucket i (as returned by Index; -1 for
// zero). Indexes beyond MaxIndex are clamped to it.
func (s *Sketch) AddIndex(i int, n uint64) {
	if n == 0 {
		return
	}
	s.count += n
	if i < 0 {
		s.zero += n
		return
	}
	if i > MaxIndex {
		i = MaxIndex
	}
	j := i - s.offset
	if len(s.bins) == 0 {
		s.offset = i
		s.bins = append(s.bins[:0], n)
		return
	}
	if j >= 0 && j < len(s.bins) {
		s.bins[j] += n
		return
	}
	s.grow(i)
	s.bins[i-s.offset] += n
}

// grow extends bins to cover bucket i, with some slack so that a stream of
// slowly widening latencies does not reallocate on every new bucket.
func (s *Sketch) grow(i int) {
	lo, hi := s.offset, s.offset+len(s.bins)-1
	const slack = 16
	switch {
	case i < lo:
		newLo := max(i-slack, 0)
		nb := make([]uint64, hi-newLo+1, hi-newLo+1+slack)
		copy(nb[lo-newLo:], s.bins)
		s.bins, s.offset = nb, newLo
	case i > hi:
		newHi := min(i+slack, MaxIndex)
		if newHi-lo+1 <= cap(s.bins) {
			s.bins = s.bins[:newHi-lo+1]
			return
		}
		nb := make([]uint64, newHi-lo+1)
		copy(nb, s.bins)
		s.bins = nb
	}
}

// Count is the number of durations added (0 for a nil sketch).
func (s *Sketch) Count() uint64 {
	if s == nil {
		return 0
	}
	return s.count
}

// Merge adds every count of o into s. It is exact: merging the sketches of
// two sets gives the sketch of their union.
func (s *Sketch) Merge(o *Sketch) {
	if o == nil || o.count == 0 {
		return
	}
	s.count += o.count
	s.zero += o.zero
	if len(o.bins) == 0 {
		return
	}
	first, last := -1, -1
	for j, c := range o.bins {
		if c != 0 {
			if first < 0 {
				first = j
			}
			last = j
		}
	}
	if first < 0 {
		return
	}
	lo, hi := o.offset+first, o.offset+last
	if len(s.bins) == 0 {
		s.offset = lo
		s.bins = append(s.bins[:0], o.bins[first:last+1]...)
		return
	}
	if lo < s.offset {
		s.grow(lo)
	}
	if hi >= s.offset+len(s.bins) {
		s.grow(hi)
	}
	for j := first; j <= last; j++ {
		s.bins[o.offset+j-s.offset] += o.bins[j]
	}
}

// Clone returns an independent copy of s.
func (s *Sketch) Clone() *Sketch {
	c := *s
	c.bins = append([]uint64(nil), s.bins...)
	return &c
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1, clamped) by nearest rank: the
// value of rank ceil(q·n), at least 1. It is within RelativeAccuracy of the
// exact nearest-rank value. An empty sketch returns 0.
func (s *Sketch) Quantile(q float64) time.Duration {
	v := s.QuantileNanos(q)
	if v >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(v))
}

// QuantileNanos is Quantile in unrounded nanoseconds, for durations so short
// that rounding to whole nanoseconds would matter.
func (s *Sketch) QuantileNanos(q float64) float64 {
	if s.count == 0 {
		return 0
	}
	rank := Rank(q, s.count)
	if rank <= s.zero {
		return 0
	}
	seen := s.zero
	for j, c := range s.bins {
		seen += c
		if seen >= rank {
			return value(s.offset + j)
		}
	}
	// Unreachable while count matches the bins; a last bucket is the
	// sensible answer if it ever does not.
	return value(s.offset + len(s.bins) - 1)
}

// Rank is the 1-based nearest rank of quantile q among n values: ceil(q·n),
// clamped to [1, n]. Exported so that exact reference computations use the
// same definition.
func Rank(q float64, n uint64) uint64 {
	switch {
	case n == 0:
		return 0
	case !(q > 0): // also NaN
		return 1
	case q >= 1:
		return n
	}
	r := uint64(math.Ceil(q * float64(n)))
	return min(max(r, 1), n)
}

// CountAtMost estimates how many durations are ≤ d, counting whole buckets
// whose representative value is ≤ d. Exact SLO counts are taken at rollup
// time; this serves thresholds added after the fact.
func (s *Sketch) CountAtMost(d time.Duration) uint64 {
	if d < 0 {
		return 0
	}
	n := s.zero
	lim := float64(d)
	for j, c := range s.bins {
		if value(s.offset+j) > lim {
			break
		}
		n += c
	}
	return n
}

// Equal reports whether s and o hold the same counts.
func (s *Sketch) Equal(o *Sketch) bool {
	if s.count != o.count || s.zero != o.zero {
		return false
	}
	a, b := s.nonEmpty(), o.nonEmpty()
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type bin struct {
	index int
	count uint64
}

func (s *Sketch) nonEmpty() []bin {
	var out []bin
	for j, c := range s.bins {
		if c != 0 {
			out = append(out, bin{s.offset + j, c})
		}
	}
	return out
}

// encodingVersion leads every encoded sketch, so that a change of accuracy
// or layout is detected instead of silently misread.
const encodingVersion = 1

// MarshalBinary encodes s compactly: a version byte, the zero count, then
// each non-empty bucket as (index delta, count) varints. Equal sketches
// encode to equal bytes.
func (s *Sketch) MarshalBinary() ([]byte, error) {
	if s == nil {
		return s.AppendBinary(nil)
	}
	return s.AppendBinary(make([]byte, 0, 8+3*len(s.bins)))
}

// AppendBinary appends the encoding of s to b. A nil sketch encodes as an
// empty one.
func (s *Sketch) AppendBinary(b []byte) ([]byte, error) {
	if s == nil {
		s = &Sketch{}
	}
	b = append(b, encodingVersion)
	b = binary.AppendUvarint(b, s.zero)
	n := 0
	for _, c := range s.bins {
		if c != 0 {
			n++
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	prev := 0
	for j, c := range s.bins {
		if c == 0 {
			continue
		}
		i := s.offset + j
		b = binary.AppendUvarint(b, uint64(i-prev))
		b = binary.AppendUvarint(b, c)
		prev = i
	}
	return b, nil
}

// ErrCorrupt means bytes given to Decode are not an encoded sketch.
var ErrCorrupt = errors.New("corrupt sketch")

// UnmarshalBinary replaces s with the sketch encoded in b.
func (s *Sketch) UnmarshalBinary(b []byte) error {
	d, err := Decode(b)
	if err != nil {
		return err
	}
	*s = *d
	return nil
}

// Decode reads a sketch written by MarshalBinary. Malformed input returns an
// error wrapping ErrCorrupt.
func Decode(b []byte) (*Sketch, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrCorrupt)
	}
	if b[0] != encodingVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrCorrupt, b[0])
	}
	r := reader{b: b[1:]}
	s := &Sketch{}
	s.zero = r.uvarint()
	s.count = s.zero
	n := r.uvarint()
	if r.err != nil {
		return nil, r.err
	}
	// Each bucket takes at least two bytes; this bounds the allocation a
	// hostile length could ask for.
	if n > uint64(len(r.b))/2 {
		return nil, fmt.Errorf("%w: %d buckets in %d bytes", ErrCorrupt, n, len(r.b))
	}
	// Two passes: validate and find the index range, then fill one
	// exactly sized slice, since stored rows are decoded by the thousand.
	body := r.b
	first, idx := -1, 0
	for k := uint64(0); k < n; k++ {
		delta := r.uvarint()
		c := r.uvarint()
		if r.err != nil {
			return nil, r.err
		}
		if (k > 0 && delta == 0) || delta > uint64(MaxIndex) || idx+int(delta) > MaxIndex {
			return nil, fmt.Errorf("%w: bucket index out of range", ErrCorrupt)
		}
		if c == 0 {
			return nil, fmt.Errorf("%w: empty bucket", ErrCorrupt)
		}
		idx += int(delta)
		if first < 0 {
			first = idx
		}
		if s.count+c < s.count {
			return nil, fmt.Errorf("%w: count overflow", ErrCorrupt)
		}
		s.count += c
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(r.b))
	}
	if first < 0 {
		return s, nil
	}
	s.offset = first
	s.bins = make([]uint64, idx-first+1)
	r = reader{b: body}
	idx = 0
	for k := uint64(0); k < n; k++ {
		idx += int(r.uvarint())
		s.bins[idx-first] = r.uvarint()
	}
	return s, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: truncated varint", ErrCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}
