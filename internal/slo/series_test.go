package slo

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSeriesSumMixedWidths(t *testing.T) {
	t.Parallel()
	start := utc("2026-01-01T00:00:00Z")
	// Three downsampled hours, then ten fresh minutes.
	bs := buckets(start, hours(1, 100, 10), hours(1, 100, 20), hours(1, 100, 30), minutes(10, 10, 1))
	// Input order does not matter.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(bs), func(i, j int) { bs[i], bs[j] = bs[j], bs[i] })
	s, err := NewSeries(bs)
	require.NoError(t, err)
	require.Equal(t, 13, s.Len())

	at := func(hhmm string) time.Time { return utc("2026-01-01T" + hhmm + ":00Z") }
	tests := []struct {
		name     string
		from, to time.Time
		want     Counts
	}{
		{"everything", at("00:00"), at("03:10"), Counts{Good: 330, Total: 400}},
		{"hours then minutes", at("01:00"), at("03:05"), Counts{Good: 80 + 70 + 5*9, Total: 250}},
		{"range starting inside an hour leaves it out", at("00:30"), at("03:00"), Counts{Good: 150, Total: 200}},
		{"range ending inside an hour takes it in", at("00:00"), at("00:30"), Counts{Good: 90, Total: 100}},
		{"one minute", at("03:09"), at("03:10"), Counts{Good: 9, Total: 10}},
		{"to is exclusive", at("03:00"), at("03:09"), Counts{Good: 81, Total: 90}},
		{"empty range", at("03:05"), at("03:05"), Counts{}},
		{"reversed range", at("03:05"), at("01:00"), Counts{}},
		{"before the data", at("00:00").Add(-48 * time.Hour), at("00:00"), Counts{}},
		{"after the data", at("03:10"), at("23:00"), Counts{}},
		{"extreme instants", time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Counts{Good: 330, Total: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := s.Sum(tt.from, tt.to)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.want.Total-tt.want.Good, got.Bad())
		})
	}
}

// Adjacent ranges never count a bucket twice or lose one, whatever the
// bucket widths and where the ranges split.
func TestSeriesSumAdditive(t *testing.T) {
	t.Parallel()
	start := utc("2026-01-01T00:00:00Z")
	s := series(t, start, hours(5, 60, 6), run{4, 15 * time.Minute, 30, 3}, minutes(90, 7, 1))
	all := s.Sum(start, start.Add(24*time.Hour))
	require.Equal(t, Counts{Good: 5*54 + 4*27 + 90*6, Total: 5*60 + 4*30 + 90*7}, all)
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		a := start.Add(time.Duration(r.Int64N(int64(9 * time.Hour))))
		b := a.Add(time.Duration(r.Int64N(int64(9 * time.Hour))))
		c := b.Add(time.Duration(r.Int64N(int64(9 * time.Hour))))
		ab, bc, ac := s.Sum(a, b), s.Sum(b, c), s.Sum(a, c)
		require.Equal(t, ac, Counts{Good: ab.Good + bc.Good, Total: ab.Total + bc.Total}, "a=%s b=%s c=%s", a, b, c)
	}
}

func TestSeriesZero(t *testing.T) {
	t.Parallel()
	var s Series
	require.Equal(t, 0, s.Len())
	require.Equal(t, Counts{}, s.Sum(time.Time{}, utc("2030-01-01T00:00:00Z")))
	empty, err := NewSeries(nil)
	require.NoError(t, err)
	require.Equal(t, Counts{}, empty.Sum(time.Time{}, utc("2030-01-01T00:00:00Z")))
}

func TestNewSeriesErrors(t *testing.T) {
	t.Parallel()
	t0 := utc("2026-01-01T00:00:00Z")
	tests := []struct {
		name    string
		buckets []Bucket
		want    string
	}{
		{"zero width", []Bucket{{Start: t0, Good: 1, Total: 1}}, "bucket at 2026-01-01T00:00:00Z: width 0s must be positive"},
		{"negative width", []Bucket{{Start: t0, Width: -time.Minute}}, "bucket at 2026-01-01T00:00:00Z: width -1m0s must be positive"},
		{"negative total", []Bucket{{Start: t0, Width: time.Minute, Total: -1}}, "bucket at 2026-01-01T00:00:00Z: counts must not be negative (good 0, total -1)"},
		{"negative good", []Bucket{{Start: t0, Width: time.Minute, Good: -2, Total: 1}}, "bucket at 2026-01-01T00:00:00Z: counts must not be negative (good -2, total 1)"},
		{"more good than total", []Bucket{{Start: t0, Width: time.Minute, Good: 5, Total: 4}}, "bucket at 2026-01-01T00:00:00Z: good 5 exceeds total 4"},
		{"hour overlapping minutes", []Bucket{
			{Start: t0.Add(30 * time.Minute), Width: time.Minute, Good: 1, Total: 1},
			{Start: t0, Width: time.Hour, Good: 1, Total: 1},
		}, "bucket at 2026-01-01T00:00:00Z (1h0m0s) overlaps bucket at 2026-01-01T00:30:00Z"},
		{"duplicate start", []Bucket{
			{Start: t0, Width: time.Minute, Good: 1, Total: 1},
			{Start: t0, Width: time.Minute, Good: 1, Total: 1},
		}, "bucket at 2026-01-01T00:00:00Z (1m0s) overlaps bucket at 2026-01-01T00:00:00Z"},
		{"overflow", []Bucket{
			{Start: t0, Width: time.Minute, Total: math.MaxInt64},
			{Start: t0.Add(time.Minute), Width: time.Minute, Total: 1},
		}, "bucket at 2026-01-01T00:01:00Z: event counts overflow"},
		{"out of range", []Bucket{{Start: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), Width: time.Minute}}, "bucket at 3000-01-01T00:00:00Z: outside the years 1678 to 2262"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewSeries(tt.buckets)
			require.EqualError(t, err, tt.want)
		})
	}
}
