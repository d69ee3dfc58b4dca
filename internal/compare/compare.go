// Package compare says which attribute values tell two groups of journey
// instances apart: those that dropped after a step against those that went
// on, or a step's slow spans against the rest.
//
// Each attribute value is one 2×2 table: instances with the value or
// without it, in the selected group or in the baseline. Its p-value is a
// test of independence of that table: the two-proportion z-test (the
// chi-square test's square root) when every expected cell holds at least
// five, where its normal approximation is sound, else Fisher's exact test.
// Testing every value of every key is many tests, so the p-values are
// adjusted by Benjamini–Hochberg, which bounds the expected share of false
// discoveries among the values called significant, and keeps more power
// than Bonferroni when a few values really differ.
//
// Ranking puts the significant values first, then orders by how far apart
// the two shares are (a value more common among the selected before its
// mirror image): with millions of instances a trivial difference is
// significant too, and the size of the difference is what a reader acts on.
package compare

import (
	"cmp"
	"math"
	"slices"
)

// Alpha is the false discovery rate below which a value is significant.
const Alpha = 0.05

// Count is how many instances of each group carry one value of one key.
type Count struct {
	Key, Value         string
	Selected, Baseline int64
}

// Totals are the sizes of the two groups, per key (a key's values add up to
// them; values folded away or missing still count under some value).
type Totals struct {
	Selected, Baseline int64
}

// Difference is one attribute value, compared.
type Difference struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	// Shares are of each group's instances that carry the value.
	ShareSelected float64 `json:"share_selected"`
	ShareBaseline float64 `json:"share_baseline"`
	CountSelected int64   `json:"count_selected"`
	CountBaseline int64   `json:"count_baseline"`
	// PValue tests the value's table; QValue is it adjusted for every
	// value tested (Benjamini–Hochberg).
	PValue      float64 `json:"p_value"`
	QValue      float64 `json:"q_value"`
	Significant bool    `json:"significant"`
}

// Lift is how much more common the value is among the selected: the
// difference of the shares.
func (d Difference) Lift() float64 { return d.ShareSelected - d.ShareBaseline }

// Rank compares every value against totals (by key) and returns them most
// different first. Values that neither group has are left out, and so is
// a key whose groups are empty on either side: there is nothing to
// compare.
func Rank(counts []Count, totals map[string]Totals) []Difference {
	var out []Difference
	for _, c := range counts {
		t := totals[c.Key]
		if t.Selected <= 0 || t.Baseline <= 0 || c.Selected+c.Baseline == 0 {
			continue
		}
		sel, base := min(max(c.Selected, 0), t.Selected), min(max(c.Baseline, 0), t.Baseline)
		out = append(out, Difference{
			Key: c.Key, Value: c.Value,
			ShareSelected: float64(sel) / float64(t.Selected),
			ShareBaseline: float64(base) / float64(t.Baseline),
			CountSelected: sel, CountBaseline: base,
			PValue: PValue(sel, t.Selected-sel, base, t.Baseline-base),
		})
	}
	ps := make([]float64, len(out))
	for i, d := range out {
		ps[i] = d.PValue
	}
	for i, q := range Adjust(ps) {
		out[i].QValue = q
		out[i].Significant = q < Alpha
	}
	slices.SortStableFunc(out, func(x, y Difference) int {
		return cmp.Or(
			-cmpBool(x.Significant, y.Significant),
			compareLift(math.Abs(y.Lift()), math.Abs(x.Lift())),
			compareLift(y.Lift(), x.Lift()), // over-represented first
			cmp.Compare(x.PValue, y.PValue),
			cmp.Compare(x.Key, y.Key),
			cmp.Compare(x.Value, y.Value),
		)
	})
	return out
}

// compareLift compares lifts equal to rounding as equal: a value and its
// mirror image differ only in the last bits.
func compareLift(x, y float64) int {
	if math.Abs(x-y) < 1e-12 {
		return 0
	}
	return cmp.Compare(x, y)
}

func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

// PValue is the two-sided p-value of independence of the table
//
//	a b   (selected: with the value, without)
//	c d   (baseline: with the value, without)
//
// by the z-test when every expected cell is at least 5, else by Fisher's
// exact test.
func PValue(a, b, c, d int64) float64 {
	n := float64(a + b + c + d)
	if n == 0 {
		return 1
	}
	r1, r2 := float64(a+b), float64(c+d)
	c1, c2 := float64(a+c), float64(b+d)
	if r1 == 0 || r2 == 0 || c1 == 0 || c2 == 0 {
		return 1
	}
	if min(r1, r2)*min(c1, c2)/n >= 5 {
		return zTest(a, b, c, d)
	}
	return Fisher(a, b, c, d)
}

// zTest is the pooled two-proportion z-test of a/(a+b) against c/(c+d).
func zTest(a, b, c, d int64) float64 {
	n1, n2 := float64(a+b), float64(c+d)
	p1, p2 := float64(a)/n1, float64(c)/n2
	p := float64(a+c) / (n1 + n2)
	se := math.Sqrt(p * (1 - p) * (1/n1 + 1/n2))
	if se == 0 {
		return 1
	}
	z := math.Abs(p1-p2) / se
	return math.Erfc(z / math.Sqrt2)
}

// Fisher is the two-sided p-value of Fisher's exact test: the probability,
// with the margins fixed, of every table at most as likely as this one.
func Fisher(a, b, c, d int64) float64 {
	r1, c1, n := a+b, a+c, a+b+c+d
	lo, hi := max(0, c1-(n-r1)), min(r1, c1)
	logp := func(x int64) float64 {
		return lchoose(r1, x) + lchoose(n-r1, c1-x) - lchoose(n, c1)
	}
	observed := logp(a)
	// Tables within a relative 1e-7 of the observed one count as equally
	// likely: their probabilities differ only by rounding.
	limit := observed + 1e-7
	var p float64
	for x := lo; x <= hi; x++ {
		if l := logp(x); l <= limit {
			p += math.Exp(l)
		}
	}
	return min(p, 1)
}

func lchoose(n, k int64) float64 {
	if k < 0 || k > n {
		return math.Inf(-1)
	}
	return lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1)
}

func lgamma(x int64) float64 {
	v, _ := math.Lgamma(float64(x))
	return v
}

// Adjust returns the Benjamini–Hochberg adjusted p-values (q-values) of
// ps, in the same order: q_i = min over j with p_j ≥ p_i of p_j·m/rank_j,
// capped at 1.
func Adjust(ps []float64) []float64 {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(ps[y], ps[x]) })
	q := make([]float64, m)
	running := 1.0
	for r, i := range idx {
		rank := m - r
		running = min(running, ps[i]*float64(m)/float64(rank))
		q[i] = running
	}
	return q
}
