package sketch_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/sketch"
)

// lognormal draws n latencies around median with the given sigma, the shape
// request latencies usually have.
func lognormal(r *rand.Rand, n int, median time.Duration, sigma float64) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(float64(median) * math.Exp(sigma*r.NormFloat64()))
	}
	return out
}

// exact is the nearest-rank quantile of sorted values, with the same rank
// definition as the sketch.
func exact(sorted []time.Duration, q float64) time.Duration {
	return sorted[sketch.Rank(q, uint64(len(sorted)))-1]
}

func TestQuantileWithinRelativeAccuracy(t *testing.T) {
	t.Parallel()
	qs := []float64{0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1}
	cases := []struct {
		name   string
		n      int
		median time.Duration
		sigma  float64
	}{
		{"fast narrow", 10_000, 2 * time.Millisecond, 0.3},
		{"web typical", 50_000, 80 * time.Millisecond, 0.8},
		{"heavy tail", 50_000, 300 * time.Millisecond, 1.6},
		{"microseconds", 5_000, 40 * time.Microsecond, 1.0},
		{"tiny sample", 7, 10 * time.Millisecond, 1.0},
	}
	for seed := uint64(1); seed <= 5; seed++ {
		for _, tc := range cases {
			r := rand.New(rand.NewPCG(seed, 42))
			vals := lognormal(r, tc.n, tc.median, tc.sigma)
			s := sketch.New()
			for _, v := range vals {
				s.Add(v)
			}
			require.Equal(t, uint64(tc.n), s.Count())
			slices.Sort(vals)
			for _, q := range qs {
				want := float64(exact(vals, q))
				got := s.QuantileNanos(q)
				rel := math.Abs(got-want) / want
				require.LessOrEqualf(t, rel, 0.01, "%s seed %d q=%v: got %v want %v", tc.name, seed, q, got, want)
			}
		}
	}
}

func TestEveryBucketEdgeWithinAccuracy(t *testing.T) {
	t.Parallel()
	// Values on and next to bucket edges are where float rounding could
	// misplace a value; walk a wide range of them.
	for v := time.Duration(1); v < 100*time.Second; v = v*1013/1000 + 1 {
		for _, d := range []time.Duration{v - 1, v, v + 1} {
			if d <= 0 {
				continue
			}
			s := sketch.New()
			s.Add(d)
			got := s.QuantileNanos(0.5)
			require.LessOrEqualf(t, math.Abs(got-float64(d))/float64(d), 0.01, "d=%d got %v", d, got)
		}
	}
}

func TestMergeEqualsUnion(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 50; trial++ {
		a := lognormal(r, r.IntN(2000), time.Duration(1+r.IntN(500))*time.Millisecond, 0.2+2*r.Float64())
		b := lognormal(r, r.IntN(2000), time.Duration(1+r.IntN(500))*time.Microsecond, 0.2+2*r.Float64())
		if trial%5 == 0 {
			b = append(b, 0, -3) // zeros count apart
		}
		sa, sb, su := sketch.New(), sketch.New(), sketch.New()
		for _, v := range a {
			sa.Add(v)
			su.Add(v)
		}
		for _, v := range b {
			sb.Add(v)
			su.Add(v)
		}
		m := sa.Clone()
		m.Merge(sb)
		require.True(t, m.Equal(su), "trial %d", trial)
		mb, err := m.MarshalBinary()
		require.NoError(t, err)
		ub, err := su.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, ub, mb, "merge must encode exactly like the union")

		// Merging the other way round gives the same sketch.
		m2 := sb.Clone()
		m2.Merge(sa)
		require.True(t, m2.Equal(su))
		for _, q := range []float64{0.5, 0.95, 0.99} {
			require.Equal(t, su.Quantile(q), m.Quantile(q))
		}
	}
}

func TestMergeIntoEmptyAndNil(t *testing.T) {
	t.Parallel()
	var zero sketch.Sketch
	a := sketch.New()
	a.Add(time.Second)
	a.Add(time.Millisecond)
	zero.Merge(a)
	zero.Merge(nil)
	zero.Merge(sketch.New())
	require.True(t, zero.Equal(a))
	require.Equal(t, uint64(2), zero.Count())
}

func TestEmptyAndZeros(t *testing.T) {
	t.Parallel()
	s := sketch.New()
	require.Equal(t, time.Duration(0), s.Quantile(0.99))
	s.Add(0)
	s.Add(-time.Second)
	s.Add(time.Second)
	require.Equal(t, uint64(3), s.Count())
	require.Equal(t, time.Duration(0), s.Quantile(0.5)) // rank 2 of {0,0,1s}
	got := s.Quantile(1)
	require.InDelta(t, float64(time.Second), float64(got), 0.01*float64(time.Second))
	require.Equal(t, uint64(2), s.CountAtMost(0))
	require.Equal(t, uint64(3), s.CountAtMost(2*time.Second))
}

func TestRank(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q    float64
		n    uint64
		want uint64
	}{
		{0, 10, 1},
		{0.5, 10, 5},
		{0.51, 10, 6},
		{0.95, 100, 95},
		{0.99, 1000, 990},
		{1, 10, 10},
		{1.5, 10, 10},
		{-1, 10, 1},
		{math.NaN(), 10, 1},
		{0.5, 0, 0},
		{0.5, 1, 1},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, sketch.Rank(tc.q, tc.n), "q=%v n=%d", tc.q, tc.n)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 9))
	cases := map[string][]time.Duration{
		"empty":   nil,
		"zeros":   {0, 0},
		"one":     {time.Millisecond},
		"extreme": {1, time.Duration(math.MaxInt64), 0},
		"many":    lognormal(r, 5000, 50*time.Millisecond, 1),
	}
	for name, vals := range cases {
		s := sketch.New()
		for _, v := range vals {
			s.Add(v)
		}
		b, err := s.MarshalBinary()
		require.NoError(t, err)
		d, err := sketch.Decode(b)
		require.NoError(t, err, name)
		require.True(t, d.Equal(s), name)
		require.Equal(t, s.Count(), d.Count(), name)
		b2, err := d.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, b2, name)
	}
	// The encoding stays compact: 5000 lognormal values take well under a
	// kilobyte.
	s := sketch.New()
	for _, v := range cases["many"] {
		s.Add(v)
	}
	b, _ := s.MarshalBinary()
	require.Less(t, len(b), 1024)
}

func TestDecodeRejectsCorrupt(t *testing.T) {
	t.Parallel()
	cases := map[string][]byte{
		"empty":          {},
		"bad version":    {9, 0, 0},
		"truncated":      {1, 0},
		"count too long": {1, 0, 200, 1},
		"empty bucket":   {1, 0, 1, 5, 0},
		"zero delta":     {1, 0, 2, 5, 1, 0, 1},
		"index too high": {1, 0, 1, 0xff, 0xff, 0x03, 1},
		"trailing":       {1, 0, 1, 5, 1, 7},
		"overflow":       {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1, 5, 2},
	}
	for name, b := range cases {
		_, err := sketch.Decode(b)
		require.ErrorIs(t, err, sketch.ErrCorrupt, name)
	}
}

func FuzzDecode(f *testing.F) {
	s := sketch.New()
	for _, v := range []time.Duration{0, 1, time.Millisecond, time.Second, time.Hour} {
		s.Add(v)
	}
	good, _ := s.MarshalBinary()
	f.Add(good)
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{1, 3, 1, 0, 4})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := sketch.Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes must survive a round trip (varints may have been
		// spelled longer than needed, so compare sketches, not bytes) and
		// answer quantiles without panicking.
		re, err := d.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		d2, err := sketch.Decode(re)
		if err != nil || !d2.Equal(d) {
			t.Fatalf("round trip of %x: %v", b, err)
		}
		_ = d.Quantile(0.99)
	})
}

func BenchmarkAdd(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	vals := lognormal(r, 1<<16, 50*time.Millisecond, 1)
	s := sketch.New()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Add(vals[i&(1<<16-1)])
	}
}

func BenchmarkMerge(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	src := sketch.New()
	for _, v := range lognormal(r, 10_000, 50*time.Millisecond, 1) {
		src.Add(v)
	}
	dst := sketch.New()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst.Merge(src)
	}
}

func BenchmarkDecode(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	src := sketch.New()
	for _, v := range lognormal(r, 10_000, 50*time.Millisecond, 1) {
		src.Add(v)
	}
	enc, _ := src.MarshalBinary()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sketch.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}
