package slo

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Counts are the events of an SLO over some range: Good of Total met the
// objective's condition.
type Counts struct {
	Good  int64 `json:"good"`
	Total int64 `json:"total"`
}

// Bad returns the events that did not meet the condition.
func (c Counts) Bad() int64 { return c.Total - c.Good }

// Bucket holds the events of one time bucket [Start, Start+Width).
type Bucket struct {
	Start time.Time
	Width time.Duration
	Good  int64
	Total int64
}

// End returns the instant just after the bucket.
func (b Bucket) End() time.Time { return b.Start.Add(b.Width) }

// Series is an immutable set of non-overlapping buckets of any widths, e.g.
// 1-hour buckets for old days next to 1-minute buckets for recent ones. The
// zero Series is empty and usable.
//
// A bucket belongs to the instant it starts: Sum(from, to) counts the
// buckets whose Start lies in [from, to). This keeps ranges additive
// (Sum(a, b) + Sum(b, c) == Sum(a, c), so no event is counted twice or lost
// between adjacent windows) at the price of snapping each range to bucket
// starts: a range that begins inside a 1-hour bucket leaves that bucket
// out, one that ends inside it takes the whole bucket in. With 1-minute
// buckets near now, where alert windows are short, the error is at most a
// minute.
type Series struct {
	starts []int64 // bucket starts, Unix nanoseconds, ascending
	// good[i] and total[i] are the sums of the first i buckets, so that any
	// range costs two binary searches however long the window.
	good  []int64
	total []int64
}

// NewSeries builds a Series from buckets in any order. It rejects a bucket
// with a non-positive width, negative counts or more good than total events,
// buckets that overlap, and counts whose sum overflows.
func NewSeries(buckets []Bucket) (Series, error) {
	if len(buckets) == 0 {
		return Series{}, nil
	}
	bs := slices.Clone(buckets)
	slices.SortFunc(bs, func(a, b Bucket) int { return a.Start.Compare(b.Start) })
	s := Series{
		starts: make([]int64, len(bs)),
		good:   make([]int64, len(bs)+1),
		total:  make([]int64, len(bs)+1),
	}
	for i, b := range bs {
		switch {
		case b.Width <= 0:
			return Series{}, fmt.Errorf("bucket at %s: width %s must be positive", b.Start.UTC().Format(time.RFC3339), b.Width)
		case b.Total < 0 || b.Good < 0:
			return Series{}, fmt.Errorf("bucket at %s: counts must not be negative (good %d, total %d)", b.Start.UTC().Format(time.RFC3339), b.Good, b.Total)
		case b.Good > b.Total:
			return Series{}, fmt.Errorf("bucket at %s: good %d exceeds total %d", b.Start.UTC().Format(time.RFC3339), b.Good, b.Total)
		case b.Start.Before(minTime) || b.End().After(maxTime):
			return Series{}, fmt.Errorf("bucket at %s: outside the years 1678 to 2262", b.Start.UTC().Format(time.RFC3339))
		}
		if i > 0 && bs[i-1].End().After(b.Start) {
			return Series{}, fmt.Errorf("bucket at %s (%s) overlaps bucket at %s",
				bs[i-1].Start.UTC().Format(time.RFC3339), bs[i-1].Width, b.Start.UTC().Format(time.RFC3339))
		}
		if s.total[i] > math.MaxInt64-b.Total {
			return Series{}, fmt.Errorf("bucket at %s: event counts overflow", b.Start.UTC().Format(time.RFC3339))
		}
		s.starts[i] = b.Start.UnixNano()
		s.good[i+1] = s.good[i] + b.Good
		s.total[i+1] = s.total[i] + b.Total
	}
	return s, nil
}

// The instants a Series can hold: those UnixNano can represent.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// Len returns the number of buckets.
func (s Series) Len() int { return len(s.starts) }

// Sum returns the events of the buckets starting in [from, to).
func (s Series) Sum(from, to time.Time) Counts {
	if len(s.starts) == 0 || !from.Before(to) {
		return Counts{}
	}
	i := s.index(from)
	j := s.index(to)
	return Counts{Good: s.good[j] - s.good[i], Total: s.total[j] - s.total[i]}
}

// index returns the number of buckets starting before t.
func (s Series) index(t time.Time) int {
	switch {
	case t.Before(minTime):
		return 0
	case t.After(maxTime):
		return len(s.starts)
	}
	n := t.UnixNano()
	return sort.Search(len(s.starts), func(i int) bool { return s.starts[i] >= n })
}
