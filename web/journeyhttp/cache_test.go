package journeyhttp

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// countingRollups counts the reads that reach it and answers what the
// test sets.
type countingRollups struct {
	RollupsOff
	mu        sync.Mutex
	fresh     rollup.Freshness
	entered   int64
	fail      error
	gate      chan struct{}
	stats     atomic.Int64
	freshness atomic.Int64
	backfills atomic.Int64
	anomalies atomic.Int64
}

func (c *countingRollups) Freshness(context.Context, string) (rollup.Freshness, error) {
	c.freshness.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fresh, nil
}

func (c *countingRollups) Stats(context.Context, string, time.Time, time.Time, *rollup.Segment) (rollup.JourneyStats, error) {
	c.stats.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return rollup.JourneyStats{}, c.fail
	}
	return rollup.JourneyStats{Entered: c.entered}, nil
}

func (c *countingRollups) Anomalies(_ context.Context, j journeys.Journey, _ rollup.AnomalyQuery) ([]rollup.Anomaly, error) {
	c.anomalies.Add(1)
	return []rollup.Anomaly{{Metric: j.Spec.Steps[0].Name}}, nil
}

func (c *countingRollups) Backfills(context.Context, string, int) ([]rollup.Backfill, error) {
	c.backfills.Add(1)
	return nil, nil
}

func (c *countingRollups) set(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

func TestCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	from, to := now.Add(-time.Hour), now
	inner := &countingRollups{fresh: rollup.Freshness{LastRunAt: now.Add(-30 * time.Second)}, entered: 7}
	c := NewCache(inner, CacheOptions{Freshness: time.Second, TTL: 15 * time.Second, Entries: 3, Now: clock})

	st, err := c.Stats(ctx, "shop", from, to, nil)
	require.NoError(t, err)
	require.Equal(t, int64(7), st.Entered)
	st, err = c.Stats(ctx, "shop", from, to, nil)
	require.NoError(t, err)
	require.Equal(t, int64(7), st.Entered)
	require.Equal(t, int64(1), inner.stats.Load(), "the same range under the same run is read once")
	require.Equal(t, int64(1), inner.freshness.Load(), "freshness is reused for a second")

	_, err = c.Stats(ctx, "shop", from, to, &rollup.Segment{Key: "span.tier", Value: "gold"})
	require.NoError(t, err)
	require.Equal(t, int64(2), inner.stats.Load(), "another segment is another read")

	// A new run is recorded: once freshness is read again (after a
	// second), the numbers are too.
	inner.set(func() { inner.fresh.LastRunAt, inner.entered = now, 9 })
	st, err = c.Stats(ctx, "shop", from, to, nil)
	require.NoError(t, err)
	require.Equal(t, int64(7), st.Entered, "within the freshness second the old run stands")
	now = now.Add(1100 * time.Millisecond)
	st, err = c.Stats(ctx, "shop", from, to, nil)
	require.NoError(t, err)
	require.Equal(t, int64(9), st.Entered)
	require.Equal(t, int64(3), inner.stats.Load())

	// Without a new run, the numbers are read again after the TTL.
	inner.set(func() { inner.entered = 11 })
	now = now.Add(14 * time.Second)
	st, _ = c.Stats(ctx, "shop", from, to, nil)
	require.Equal(t, int64(9), st.Entered)
	now = now.Add(2 * time.Second)
	st, _ = c.Stats(ctx, "shop", from, to, nil)
	require.Equal(t, int64(11), st.Entered)

	// Errors are not kept.
	inner.set(func() { inner.fail = errors.New("database unavailable") })
	now = now.Add(time.Minute)
	_, err = c.Stats(ctx, "shop", from, to, nil)
	require.EqualError(t, err, "database unavailable")
	inner.set(func() { inner.fail = nil })
	before := inner.stats.Load()
	st, err = c.Stats(ctx, "shop", from, to, nil)
	require.NoError(t, err)
	require.Equal(t, int64(11), st.Entered)
	require.Equal(t, before+1, inner.stats.Load())

	// Answers computed from the definition are not reused across an edit.
	j := journeys.Journey{Metadata: journeys.Metadata{Slug: "shop"}, Spec: journeys.Spec{Steps: []journeys.Step{{Name: "cart"}}}}
	q := rollup.AnomalyQuery{From: from, To: to}
	a, err := c.Anomalies(ctx, j, q)
	require.NoError(t, err)
	require.Equal(t, "cart", a[0].Metric)
	_, _ = c.Anomalies(ctx, j, q)
	require.Equal(t, int64(1), inner.anomalies.Load())
	j.Spec.Steps[0].Name = "basket"
	a, _ = c.Anomalies(ctx, j, q)
	require.Equal(t, "basket", a[0].Metric)
	require.Equal(t, int64(2), inner.anomalies.Load())
	// What it does not cache passes through.
	_, _ = c.Backfills(ctx, "shop", 5)
	_, _ = c.Backfills(ctx, "shop", 5)
	require.Equal(t, int64(2), inner.backfills.Load())

	// It keeps at most Entries answers.
	for i := range 10 {
		_, _ = c.Stats(ctx, "shop", from.Add(time.Duration(i)*time.Minute), to, nil)
	}
	c.mu.Lock()
	require.LessOrEqual(t, len(c.entries), 3)
	c.mu.Unlock()
}

// TestCacheCollapsesConcurrentReads: fifty asks at once for the same
// numbers are one read, and a caller who gives up does not cancel it for
// the others.
func TestCacheCollapsesConcurrentReads(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	inner := &countingRollups{entered: 5, gate: make(chan struct{})}
	c := NewCache(inner, CacheOptions{Now: func() time.Time { return now }})

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Stats(gone, "shop", now.Add(-time.Hour), now, nil)
	require.ErrorIs(t, err, context.Canceled)

	var wg sync.WaitGroup
	got := make([]int64, 50)
	for i := range got {
		wg.Go(func() {
			st, err := c.Stats(context.Background(), "shop", now.Add(-time.Hour), now, nil)
			if err == nil {
				got[i] = st.Entered
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(inner.gate)
	wg.Wait()
	for _, n := range got {
		require.Equal(t, int64(5), n)
	}
	require.Equal(t, int64(1), inner.stats.Load(), "one read for the cancelled caller and the fifty after it")
}
