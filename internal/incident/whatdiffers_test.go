package incident

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/compare"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// diffStats is fakeStats that also compares, with one answer for every
// question, recording the questions.
type diffStats struct {
	*fakeStats
	asked []rollup.DiffQuery
}

func (d *diffStats) Differences(_ context.Context, _ journeys.Journey, q rollup.DiffQuery) (rollup.Differences, error) {
	d.asked = append(d.asked, q)
	return rollup.Differences{Slug: q.Slug, From: q.From, To: q.To, Step: q.Step, Compare: q.Compare, Selected: 50, Baseline: 40, ThresholdMS: 800,
		Attributes: []compare.Difference{{Key: "resource.service.version", Value: "1.5.0", ShareSelected: 0.8, ShareBaseline: 0.1,
			CountSelected: 40, CountBaseline: 4, PValue: 1e-9, QValue: 1e-8, Significant: true}}}, nil
}

// Without named steps the post-mortem compares at the transition that
// lost the most; with them, at each, leaving out the drop-off of the last.
func TestPostmortemWhatDiffersSteps(t *testing.T) {
	t.Parallel()
	start := t0.Add(10 * time.Minute)
	reached := func(rs ...int64) []rollup.StepStats {
		out := make([]rollup.StepStats, len(rs))
		for i, r := range rs {
			out[i] = rollup.StepStats{Step: i, Reached: r}
		}
		return out
	}
	// Checkout → Payment loses 50 of 90, more than any other.
	stats := &diffStats{fakeStats: &fakeStats{stats: map[string]rollup.JourneyStats{
		statsKey("shop-checkout", start):                      {Entered: 100, Completed: 40, Steps: reached(100, 95, 92, 90, 40)},
		statsKey("shop-checkout", start.Add(-7*24*time.Hour)): {Entered: 100, Completed: 80, Steps: reached(100, 95, 92, 90, 80)},
	}}}
	b := setup(t, Config{Stats: stats})
	ctx := context.Background()
	b.clock.Set(start.Add(time.Hour))
	in, err := b.store.Create(ctx, Incident{Title: "Payments failing", Severity: SEV2, StartedAt: start, DetectedAt: start,
		ResolvedAt: start.Add(30 * time.Minute), Status: StatusResolved, Journeys: []string{"shop-checkout"}}, "alice")
	require.NoError(t, err)
	md, err := b.store.Postmortem(ctx, in.ID, PostmortemOptions{})
	require.NoError(t, err)
	require.Equal(t, []rollup.DiffQuery{
		{Slug: "shop-checkout", From: start, To: start.Add(30 * time.Minute), Step: 3, Compare: rollup.CompareDropped},
		{Slug: "shop-checkout", From: start, To: start.Add(30 * time.Minute), Step: 3, Compare: rollup.CompareSlow},
	}, stats.asked)
	require.Contains(t, string(md), "#### What differs: dropped after Checkout\n\n"+
		"Shop checkout, 2026-03-02 09:10 to 2026-03-02 09:40 UTC: 50 dropped after **Checkout** against 40 that went on to **Payment**.\n\n"+
		"| Attribute | Value | Selected | Baseline | p-value |\n|---|---|---:|---:|---:|\n"+
		"| resource.service.version | 1.5.0 | 40 (80.0%) | 4 (10.0%) | **1e-09** |\n")
	require.Contains(t, string(md), "#### What differs: slow Checkout\n\n"+
		"Shop checkout, 2026-03-02 09:10 to 2026-03-02 09:40 UTC: 50 spans of **Checkout** slower than 800 ms against 40 others.\n\n")

	// Named steps: Payment is the last, so only its slow spans.
	stats.asked = nil
	in.Steps = []StepRef{{"shop-checkout", "Payment"}}
	_, err = b.store.Update(ctx, in, "alice")
	require.NoError(t, err)
	_, err = b.store.Postmortem(ctx, in.ID, PostmortemOptions{})
	require.NoError(t, err)
	require.Equal(t, []rollup.DiffQuery{
		{Slug: "shop-checkout", From: start, To: start.Add(30 * time.Minute), Step: 4, Compare: rollup.CompareSlow},
	}, stats.asked)
}
