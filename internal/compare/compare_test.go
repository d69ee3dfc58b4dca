package compare_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/compare"
)

func TestFisher(t *testing.T) {
	t.Parallel()
	// The lady tasting tea: 3 of 4 right; P = (16+1+16+1)/70 two-sided.
	require.InDelta(t, 34.0/70, compare.Fisher(3, 1, 1, 3), 1e-12)
	// 1 of 10 against 11 of 14: 0.002759 (hypergeometric, both tails).
	require.InDelta(t, 0.0027594, compare.Fisher(1, 9, 11, 3), 1e-7)
	require.InDelta(t, 1.0, compare.Fisher(2, 2, 2, 2), 1e-12)
}

func TestPValueUsesTheZTestOnLargeTables(t *testing.T) {
	t.Parallel()
	// 60% against 40% of 100 each: z = 0.2/√(0.25·0.02) = 2√2, P = erfc(2).
	require.InDelta(t, 0.004677735, compare.PValue(60, 40, 40, 60), 1e-9)
	// A small table goes to Fisher: of the tables with margins 5, 6 / 6, 5
	// (1, 30, 150, 200, 75 and 6 in 462), those as unlikely as 30.
	require.InDelta(t, 37.0/462, compare.PValue(1, 4, 5, 1), 1e-12)
	require.Equal(t, 1.0, compare.PValue(0, 0, 5, 5))
	require.Equal(t, 1.0, compare.PValue(0, 10, 0, 10))
}

func TestAdjust(t *testing.T) {
	t.Parallel()
	// Ranks 2, 4, 3, 1 of 4: p·4/rank, then the running minimum from the
	// largest p down.
	require.InDeltaSlice(t, []float64{0.02, 0.04, 0.04, 0.02}, compare.Adjust([]float64{0.01, 0.04, 0.03, 0.005}), 1e-12)
	require.InDeltaSlice(t, []float64{0.9}, compare.Adjust([]float64{0.9}), 1e-12)
	require.Empty(t, compare.Adjust(nil))
}

func TestRankPutsTheDriverFirst(t *testing.T) {
	t.Parallel()
	// 200 dropped, 800 went on. Version 1.5.0 is 60% of the dropped but
	// 10% of the rest; the tiers are spread alike.
	counts := []compare.Count{
		{Key: "span.app.version", Value: "1.4.2", Selected: 80, Baseline: 720},
		{Key: "span.app.version", Value: "1.5.0", Selected: 120, Baseline: 80},
		{Key: "span.user.tier", Value: "gold", Selected: 50, Baseline: 200},
		{Key: "span.user.tier", Value: "free", Selected: 150, Baseline: 600},
		{Key: "span.user.tier", Value: "(none)", Selected: 0, Baseline: 0},
	}
	totals := map[string]compare.Totals{
		"span.app.version": {Selected: 200, Baseline: 800},
		"span.user.tier":   {Selected: 200, Baseline: 800},
	}
	got := compare.Rank(counts, totals)
	require.Len(t, got, 4)
	require.Equal(t, "1.5.0", got[0].Value)
	require.Equal(t, int64(120), got[0].CountSelected)
	require.Equal(t, int64(80), got[0].CountBaseline)
	require.InDelta(t, 0.6, got[0].ShareSelected, 1e-12)
	require.InDelta(t, 0.1, got[0].ShareBaseline, 1e-12)
	require.True(t, got[0].Significant)
	require.Equal(t, "1.4.2", got[1].Value)
	require.True(t, got[1].Significant)
	for _, d := range got[2:] {
		require.Equal(t, "span.user.tier", d.Key)
		require.False(t, d.Significant, d.Value)
		require.InDelta(t, 1.0, d.PValue, 1e-9) // identical shares
	}
}

func TestRankSkipsEmptyGroups(t *testing.T) {
	t.Parallel()
	got := compare.Rank([]compare.Count{{Key: "k", Value: "v", Selected: 3}}, map[string]compare.Totals{"k": {Selected: 3}})
	require.Empty(t, got)
}

// TestNoDifferenceIsRarelySignificant draws both groups from one
// distribution over six keys with a few values each: Benjamini–Hochberg
// keeps the chance of any false discovery near Alpha.
func TestNoDifferenceIsRarelySignificant(t *testing.T) {
	t.Parallel()
	const seeds = 400
	flagged := 0
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 11))
		var counts []compare.Count
		totals := map[string]compare.Totals{}
		for k := range 6 {
			key := fmt.Sprintf("k%d", k)
			nv := 2 + rng.IntN(5)
			weights := make([]float64, nv)
			var sum float64
			for v := range weights {
				weights[v] = 0.2 + rng.Float64()
				sum += weights[v]
			}
			draw := func(n int) []int64 {
				out := make([]int64, nv)
				for range n {
					x := rng.Float64() * sum
					v := 0
					for ; v < nv-1 && x >= weights[v]; v++ {
						x -= weights[v]
					}
					out[v]++
				}
				return out
			}
			sel, base := draw(150+rng.IntN(300)), draw(600+rng.IntN(1200))
			var ts, tb int64
			for v := range nv {
				counts = append(counts, compare.Count{Key: key, Value: fmt.Sprint(v), Selected: sel[v], Baseline: base[v]})
				ts += sel[v]
				tb += base[v]
			}
			totals[key] = compare.Totals{Selected: ts, Baseline: tb}
		}
		for _, d := range compare.Rank(counts, totals) {
			if d.Significant {
				flagged++
				break
			}
		}
	}
	t.Logf("%d of %d seeds flagged a value with no real difference", flagged, seeds)
	require.LessOrEqual(t, flagged, seeds*8/100)
}

func FuzzPValue(f *testing.F) {
	f.Add(int64(3), int64(1), int64(1), int64(3))
	f.Add(int64(0), int64(0), int64(0), int64(0))
	f.Add(int64(1e6), int64(3), int64(2), int64(1e6))
	f.Fuzz(func(t *testing.T, a, b, c, d int64) {
		if a < 0 || b < 0 || c < 0 || d < 0 || a+b+c+d > 1e7 || a+b+c+d < 0 {
			return
		}
		p := compare.PValue(a, b, c, d)
		if !(p >= 0 && p <= 1) {
			t.Fatalf("PValue(%d, %d, %d, %d) = %v", a, b, c, d, p)
		}
	})
}
