package slo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// run is n consecutive buckets of one width with the same counts.
type run struct {
	n          int
	width      time.Duration
	total, bad int64
}

func minutes(n int, total, bad int64) run { return run{n, time.Minute, total, bad} }
func hours(n int, total, bad int64) run   { return run{n, time.Hour, total, bad} }

// buckets lays runs end to end from start.
func buckets(start time.Time, runs ...run) []Bucket {
	var out []Bucket
	t := start
	for _, r := range runs {
		for range r.n {
			if r.total > 0 {
				out = append(out, Bucket{Start: t, Width: r.width, Good: r.total - r.bad, Total: r.total})
			}
			t = t.Add(r.width)
		}
	}
	return out
}

func series(tb testing.TB, start time.Time, runs ...run) Series {
	tb.Helper()
	s, err := NewSeries(buckets(start, runs...))
	require.NoError(tb, err)
	return s
}

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(tb, err)
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
