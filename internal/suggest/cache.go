package suggest

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// cache holds recent answers for a short time, the least recently used
// evicted first, so that an editor typing in a field asks the source once
// per question rather than once per keystroke. Concurrent misses of one
// key share one call.
type cache struct {
	size     int
	ttl      time.Duration
	errorTTL time.Duration
	now      func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     *list.List // front: most recently used
	group   singleflight.Group
}

type entry struct {
	key     string
	items   []Suggestion
	err     error
	expires time.Time
}

func newCache(size int, ttl, errorTTL time.Duration, now func() time.Time) *cache {
	return &cache{size: size, ttl: ttl, errorTTL: errorTTL, now: now, entries: map[string]*list.Element{}, lru: list.New()}
}

// get returns the cached answer of key, or calls fill once for all the
// callers waiting on it and keeps its answer: a list for the TTL, an
// error for the shorter error TTL, so that a source that is down is not
// asked again at every keystroke, nor thought down for long once it is
// back. hit says whether the answer came from the cache.
func (c *cache) get(key string, fill func() ([]Suggestion, error)) (items []Suggestion, hit bool, err error) {
	if items, err, ok := c.lookup(key); ok {
		return items, true, err
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		if items, err, ok := c.lookup(key); ok {
			return items, err
		}
		items, err := fill()
		c.store(key, items, err)
		return items, err
	})
	items, _ = v.([]Suggestion)
	return items, false, err
}

func (c *cache) lookup(key string) ([]Suggestion, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, nil, false
	}
	e := el.Value.(*entry)
	if !c.now().Before(e.expires) {
		c.lru.Remove(el)
		delete(c.entries, key)
		return nil, nil, false
	}
	c.lru.MoveToFront(el)
	return e.items, e.err, true
}

func (c *cache) store(key string, items []Suggestion, err error) {
	ttl := c.ttl
	if err != nil {
		ttl = c.errorTTL
	}
	if ttl <= 0 || c.size <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &entry{key: key, items: items, err: err, expires: c.now().Add(ttl)}
	if el, ok := c.entries[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.entries[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.entries, last.Value.(*entry).key)
	}
}
