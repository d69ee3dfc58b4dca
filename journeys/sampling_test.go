package journeys

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdjustedCount(t *testing.T) {
	t.Parallel()
	for ts, want := range map[string]float64{
		"ot=th:8":                 2,
		"ot=th:c":                 4,
		"ot=th:0":                 1,
		"vendor=x,ot=th:8;rv:abc": 2,
		"ot=rv:abc;th:e":          8,
		" ot=th:ff ":              256,
	} {
		got, ok := AdjustedCount(ts)
		require.True(t, ok, ts)
		require.Equal(t, want, got, ts)
	}
	// About one in ten: the threshold of 10% written with four digits
	// (0xe668 / 0x10000 rejected).
	c, ok := AdjustedCount("ot=th:e668")
	require.True(t, ok)
	require.InDelta(t, 65536.0/(65536-0xe668), c, 1e-9)
	require.Equal(t, int64(10), RoundCount(c))
	for _, ts := range []string{"", "ot=rv:abc", "ot=th:", "ot=th:xyz", "ot=th:fffffffffffffff", "other=th:8", "ot"} {
		_, ok := AdjustedCount(ts)
		require.False(t, ok, ts)
	}
	require.Equal(t, int64(1), RoundCount(0.5))
	require.Equal(t, int64(1), RoundCount(-3))
}

func FuzzAdjustedCount(f *testing.F) {
	f.Add("ot=th:e668;rv:0123")
	f.Add("a=b,ot=th:8")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := AdjustedCount(s)
		if ok && !(c >= 1) {
			t.Fatalf("adjusted count %v from %q", c, s)
		}
	})
}
