package diffreport_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/compare"
	"github.com/waymarkhq/waymark/internal/diffreport"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/journeys"
)

var t0 = time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)

// set is four instances of a three-step journey by trace, keyed by
// span.version at entry: traces 1 and 3 (1.5.0) dropped after step 2,
// traces 2 and 4 (1.4.2) went on.
func set() *rollup.InstanceSet {
	s := &rollup.InstanceSet{From: t0, To: t0.Add(time.Hour), Keys: []string{"span.version"}, AtStep: []bool{false}}
	for i := 1; i <= 4; i++ {
		v, reached := "1.5.0", 2
		if i%2 == 0 {
			v, reached = "1.4.2", 3
		}
		x := rollup.Instance{Key: rolluptest.TraceID(i), Entry: t0.Add(time.Duration(i) * time.Minute), Reached: reached}
		for k := range reached {
			x.Steps = append(x.Steps, rollup.InstanceStep{TraceID: rolluptest.TraceID(i), Start: x.Entry.Add(time.Duration(k) * time.Second), Duration: time.Second, Values: []string{v}})
		}
		s.Instances = append(s.Instances, x)
	}
	return s
}

func journey() journeys.Journey {
	j := rolluptest.Journey("checkout", journeys.CorrelateByTrace, 0, 3)
	j.Metadata.Name = "Checkout <prod>"
	return j
}

func TestSummaryOfDroppedWithExemplars(t *testing.T) {
	t.Parallel()
	q := rollup.DiffQuery{Slug: "checkout", From: t0, To: t0.Add(time.Hour), Step: 1, Compare: rollup.CompareDropped}
	instances := set()
	d := instances.Differences(q, nil)
	s := diffreport.Summarize(journey(), d, instances, nil)
	require.Equal(t, "s2", s.StepName)
	require.Equal(t, "s3", s.NextName)
	require.Equal(t, [3]int64{2, 2, 0}, [3]int64{s.Selected, s.Baseline, s.InFlight})
	require.Len(t, s.Attributes, 2)
	a := s.Attributes[0]
	require.Equal(t, diffreport.Attribute{
		Key: "span.version", Value: "1.5.0", CountSelected: 2, CountBaseline: 0, ShareSelected: 1, ShareBaseline: 0,
		PValue: a.PValue, Significant: false,
		ExemplarsSelected: []string{rolluptest.TraceID(3), rolluptest.TraceID(1)}, ExemplarsBaseline: []string{},
	}, a)
	// Fisher's exact test of [[2 0] [0 2]]: 2 of the 6 tables are as
	// unlikely, 1/6 each.
	require.InDelta(t, 1.0/3, a.PValue, 1e-12)
	require.Equal(t, []string{rolluptest.TraceID(4), rolluptest.TraceID(2)}, s.Attributes[1].ExemplarsBaseline)

	id := func(n int) string { return "`" + rolluptest.TraceID(n) + "`" }
	require.Equal(t, strings.Join([]string{
		"### What differs: dropped after s2",
		"",
		"Checkout &lt;prod&gt;, 2026-11-02 14:00 to 2026-11-02 15:00 UTC: 2 dropped after **s2** against 2 that went on to **s3**.",
		"",
		"| Attribute | Value | Selected | Baseline | p-value | Traces (selected) | Traces (baseline) |",
		"|---|---|---:|---:|---:|---|---|",
		"| span.version | 1.5.0 | 2 (100.0%) | 0 (0.0%) | 0.33 | " + id(3) + " " + id(1) + " |  |",
		"| span.version | 1.4.2 | 0 (0.0%) | 2 (100.0%) | 0.33 |  | " + id(4) + " " + id(2) + " |",
		"",
		"Bold p-values pass the false discovery rate of 5% (Benjamini–Hochberg).",
		"",
	}, "\n"), s.Markdown())
}

func TestSummaryKeepsTheTopTenAndEscapes(t *testing.T) {
	t.Parallel()
	d := rollup.Differences{Slug: "checkout", From: t0, To: t0.Add(time.Hour), Step: 2, Compare: rollup.CompareSlow,
		Selected: 40, Baseline: 160, ThresholdMS: 1500}
	for i := range 12 {
		d.Attributes = append(d.Attributes, compare.Difference{Key: "span.x", Value: string(rune('a' + i)), CountSelected: 1, CountBaseline: 2,
			ShareSelected: 0.025, ShareBaseline: 0.0125, PValue: 0.5})
	}
	d.Attributes[0] = compare.Difference{Key: "span.http.route", Value: "<script>alert('x')</script> | *bold* [a](b)\nnext",
		CountSelected: 40, CountBaseline: 0, ShareSelected: 1, ShareBaseline: 0, PValue: 1e-30, Significant: true}
	seg := &rollup.Segment{Key: "span.tier", Value: "gold_&"}
	s := diffreport.Summarize(journey(), d, nil, seg)
	require.Len(t, s.Attributes, diffreport.TopAttributes)
	require.Equal(t, "span.x", s.Attributes[9].Key)
	require.Equal(t, "j", s.Attributes[9].Value)
	require.Empty(t, s.NextName)
	md := s.Markdown()
	require.Contains(t, md, "### What differs: slow s3\n\nCheckout &lt;prod&gt;, 2026-11-02 14:00 to 2026-11-02 15:00 UTC: 40 spans of **s3** slower than 1.5 s against 160 others, within span.tier = gold\\_&amp;.\n")
	require.Contains(t, md, "| span.http.route | &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; \\| \\*bold\\* \\[a\\](b) next | 40 (100.0%) | 0 (0.0%) | **1e-30** |\n")
	require.NotContains(t, md, "Traces (selected)")
	require.NotContains(t, md, "<script")
	require.Equal(t, 1+10, strings.Count(md, "\n| ")) // the header and ten values

	empty := diffreport.Summarize(journey(), rollup.Differences{Step: 0, Compare: rollup.CompareDropped, From: t0, To: t0}, nil, nil)
	require.Equal(t, []diffreport.Attribute{}, empty.Attributes)
	require.Contains(t, empty.Markdown(), "No attribute value tells the two groups apart.\n")
}
