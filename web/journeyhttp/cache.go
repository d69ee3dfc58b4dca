package journeyhttp

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// CacheOptions bound how stale and how large the read cache may get.
type CacheOptions struct {
	// Freshness is how long a journey's freshness is reused, and so how
	// long after a rollup run its numbers may take to show (default 1s).
	Freshness time.Duration
	// TTL bounds how long numbers are reused while no run is recorded, for
	// writes that move no freshness, such as a backfill (default 15s).
	TTL time.Duration
	// Entries bounds the cached answers (default 1024).
	Entries int
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Cache answers repeated reads of the same journey numbers from memory.
// Rollups change once a minute, when a run is recorded, while a
// dashboard on a wall or fifty people on one incident's map ask for the
// same minute-aligned range many times a second: each answer is kept
// for as long as the journey's last run is the same one (and at most
// TTL), and concurrent asks for the same one wait for a single read.
// The answers are shared, so callers must not change them. Methods it
// does not cache pass through to the wrapped Rollups.
type Cache struct {
	Rollups
	opts   CacheOptions
	flight singleflight.Group

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	val     any
	expires time.Time
}

// NewCache wraps r.
func NewCache(r Rollups, opts CacheOptions) *Cache {
	if opts.Freshness <= 0 {
		opts.Freshness = time.Second
	}
	if opts.TTL <= 0 {
		opts.TTL = 15 * time.Second
	}
	if opts.Entries <= 0 {
		opts.Entries = 1024
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache{Rollups: r, opts: opts, entries: map[string]cacheEntry{}}
}

// Freshness is the journey's freshness, at most opts.Freshness old.
func (c *Cache) Freshness(ctx context.Context, slug string) (rollup.Freshness, error) {
	return cached(c, ctx, "f\x00"+slug, c.opts.Freshness, func(ctx context.Context) (rollup.Freshness, error) {
		return c.Rollups.Freshness(ctx, slug)
	})
}

// Stats are the journey's numbers, read again once a run is recorded.
func (c *Cache) Stats(ctx context.Context, slug string, from, to time.Time, seg *rollup.Segment) (rollup.JourneyStats, error) {
	gen, err := c.generation(ctx, slug)
	if err != nil {
		return rollup.JourneyStats{}, err
	}
	key := fmt.Sprintf("s\x00%s\x00%s\x00%d\x00%d\x00%s", slug, gen, from.UnixNano(), to.UnixNano(), segKey(seg))
	return cached(c, ctx, key, c.opts.TTL, func(ctx context.Context) (rollup.JourneyStats, error) {
		return c.Rollups.Stats(ctx, slug, from, to, seg)
	})
}

// Series are the journey's sparklines, read again once a run is recorded.
func (c *Cache) Series(ctx context.Context, slug string, from, to time.Time, every time.Duration, seg *rollup.Segment) ([]rollup.StepSeries, error) {
	gen, err := c.generation(ctx, slug)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("t\x00%s\x00%s\x00%d\x00%d\x00%d\x00%s", slug, gen, from.UnixNano(), to.UnixNano(), every, segKey(seg))
	return cached(c, ctx, key, c.opts.TTL, func(ctx context.Context) ([]rollup.StepSeries, error) {
		return c.Rollups.Series(ctx, slug, from, to, every, seg)
	})
}

// SegmentValues are a segment key's values, read again once a run is
// recorded.
func (c *Cache) SegmentValues(ctx context.Context, slug, key string, from, to time.Time) ([]rollup.SegmentValue, error) {
	gen, err := c.generation(ctx, slug)
	if err != nil {
		return nil, err
	}
	k := fmt.Sprintf("v\x00%s\x00%s\x00%s\x00%d\x00%d", slug, gen, key, from.UnixNano(), to.UnixNano())
	return cached(c, ctx, k, c.opts.TTL, func(ctx context.Context) ([]rollup.SegmentValue, error) {
		return c.Rollups.SegmentValues(ctx, slug, key, from, to)
	})
}

// SegmentReached is what the values of a segment key reached, read again
// once a run is recorded.
func (c *Cache) SegmentReached(ctx context.Context, slug, key string, values []string, from, to time.Time) (map[string][]int64, error) {
	gen, err := c.generation(ctx, slug)
	if err != nil {
		return nil, err
	}
	k := fmt.Sprintf("r\x00%s\x00%s\x00%s\x00%d\x00%d\x00%q", slug, gen, key, from.UnixNano(), to.UnixNano(), values)
	return cached(c, ctx, k, c.opts.TTL, func(ctx context.Context) (map[string][]int64, error) {
		return c.Rollups.SegmentReached(ctx, slug, key, values, from, to)
	})
}

// Anomalies are the journey's anomalies, searched again once a run is
// recorded or the definition changes.
func (c *Cache) Anomalies(ctx context.Context, j journeys.Journey, q rollup.AnomalyQuery) ([]rollup.Anomaly, error) {
	gen, err := c.generation(ctx, j.Metadata.Slug)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("a\x00%s\x00%s\x00%d\x00%d\x00%d\x00%v", definitionKey(j), gen, q.From.UnixNano(), q.To.UnixNano(), q.CompleteThrough.UnixNano(), q.MinEvents)
	return cached(c, ctx, key, c.opts.TTL, func(ctx context.Context) ([]rollup.Anomaly, error) {
		return c.Rollups.Anomalies(ctx, j, q)
	})
}

// RevenueAtRisk is the value dropped and errored per step, read again
// once a run is recorded or the definition changes.
func (c *Cache) RevenueAtRisk(ctx context.Context, j journeys.Journey, from, to time.Time, seg *rollup.Segment) (rollup.RevenueAtRisk, error) {
	gen, err := c.generation(ctx, j.Metadata.Slug)
	if err != nil {
		return rollup.RevenueAtRisk{}, err
	}
	key := fmt.Sprintf("r\x00%s\x00%s\x00%d\x00%d\x00%s", definitionKey(j), gen, from.UnixNano(), to.UnixNano(), segKey(seg))
	return cached(c, ctx, key, c.opts.TTL, func(ctx context.Context) (rollup.RevenueAtRisk, error) {
		return c.Rollups.RevenueAtRisk(ctx, j, from, to, seg)
	})
}

// definitionKey names a journey definition: answers computed from the
// definition itself are not reused across an edit that no run has
// rolled up yet.
func definitionKey(j journeys.Journey) string {
	b, err := json.Marshal(j.Spec)
	if err != nil {
		// Unreachable for a decoded journey, whose spec is plain data.
		return j.Metadata.Slug + "\x00" + err.Error()
	}
	h := fnv.New64a()
	_, _ = h.Write(b)
	return fmt.Sprintf("%s\x00%x", j.Metadata.Slug, h.Sum64())
}

// generation names the journey's last recorded run: numbers cached under
// another generation are not reused.
func (c *Cache) generation(ctx context.Context, slug string) (string, error) {
	f, err := c.Freshness(ctx, slug)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%d.%d.%d", f.Version, f.LastRunAt.UnixNano(), f.CompleteThrough.UnixNano(), f.Totals.Runs), nil
}

func segKey(seg *rollup.Segment) string {
	if seg == nil {
		return ""
	}
	return seg.Key + "\x00" + seg.Value
}

// cached answers key from memory while it is fresh, else reads it once
// however many ask at the same time. Errors are not kept.
func cached[T any](c *Cache, ctx context.Context, key string, ttl time.Duration, read func(context.Context) (T, error)) (T, error) {
	now := c.opts.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.val.(T), nil
	}
	ch := c.flight.DoChan(key, func() (any, error) {
		// The read outlives a caller that gives up, so that the others
		// waiting on it still get their answer.
		v, err := read(context.WithoutCancel(ctx))
		if err != nil {
			return v, err
		}
		c.put(key, cacheEntry{val: v, expires: c.opts.Now().Add(ttl)})
		return v, nil
	})
	var zero T
	select {
	case <-ctx.Done():
		return zero, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return zero, r.Err
		}
		return r.Val.(T), nil
	}
}

// put keeps e, first dropping expired entries, and when still full an
// arbitrary one: the working set is a few journeys' current ranges, and
// a miss only costs the read the cache saves.
func (c *Cache) put(key string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.opts.Entries {
		now := c.opts.Now()
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.opts.Entries {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = e
}
