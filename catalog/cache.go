package catalog

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"github.com/provisioning-platform/extension-registry/metrics"
)

// loadTimeout bounds a backend call made on behalf of a cache miss. The call
// is shared by every request waiting for the key: it stops when the last of
// them goes away, or when this time runs out.
const loadTimeout = 60 * time.Second

// Cache is an LRU cache with a time to live in front of the backends.
// Concurrent misses for one key make one backend call. Only successful
// answers are stored. The zero Cache (what a Catalog without one uses)
// stores nothing and shares nothing: every call goes to the backend.
type Cache struct {
	lru     *expirable.LRU[Key, any]
	ttl     time.Duration
	flight  singleflight.Group
	metrics *metrics.Metrics

	mu      sync.Mutex
	waiters map[Key]*waiters // per key with a call in flight
}

// waiters counts the callers waiting for one shared call, and cancels the
// call's context when the last of them leaves.
type waiters struct {
	ctx    context.Context
	cancel context.CancelFunc
	n      int
}

// NewCache returns a cache of at most capacity entries, each kept for ttl.
// It starts one goroutine that expires entries for the life of the process,
// so create caches once, not per request.
func NewCache(capacity int, ttl time.Duration, m *metrics.Metrics) *Cache {
	if m == nil {
		m = metrics.New(nil)
	}
	for _, k := range []Kind{KindList, KindMetadata, KindVersions} {
		// Every kind's series exists from the start, at zero.
		m.CacheHits.WithLabelValues(k.String())
		m.CacheMisses.WithLabelValues(k.String())
	}
	return &Cache{lru: expirable.NewLRU[Key, any](capacity, nil, ttl), ttl: ttl, metrics: m, waiters: map[Key]*waiters{}}
}

// load returns the cached value of key, or calls fn once for all concurrent
// callers and stores its answer when store says so. A caller whose ctx ends
// stops waiting; the shared call goes on while another caller waits for it,
// and is cancelled when the last one leaves, so that no backend call
// outlives every request that asked for it.
func load[T any](ctx context.Context, c *Cache, key Key, fn func(context.Context) (T, bool, error)) (T, error) {
	kind := key.Kind.String()
	if c.lru == nil {
		noteCached(ctx, false, 0)
		v, _, err := fn(ctx)
		return v, err
	}
	if v, ok := c.lru.Get(key); ok {
		c.metrics.CacheHits.WithLabelValues(kind).Inc()
		noteCached(ctx, true, c.ttl)
		return v.(T), nil
	}
	c.metrics.CacheMisses.WithLabelValues(kind).Inc()
	noteCached(ctx, false, 0)
	w := c.join(ctx, key)
	defer c.leave(key, w)
	var zero T
	for try := 0; ; try++ {
		ch := c.flight.DoChan(key.flight(), func() (any, error) {
			// The call runs with the context of the callers waiting for it
			// when it starts (a fresh one when they have all left already).
			v, store, err := fn(c.callContext(key))
			if err == nil && store {
				c.lru.Add(key, v)
			}
			return v, err
		})
		select {
		case res := <-ch:
			if res.Err == nil {
				return res.Val.(T), nil
			}
			// A caller that joined a call just as its last earlier waiter
			// left gets that call's cancellation, which is not its own
			// answer: ask again (the call has ended, so this starts one).
			if errors.Is(res.Err, context.Canceled) && ctx.Err() == nil && w.ctx.Err() == nil && try < 2 {
				continue
			}
			return zero, res.Err
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// join counts a caller waiting for key, creating the shared call's context
// (detached from any one caller, bounded by loadTimeout) for the first.
func (c *Cache) join(ctx context.Context, key Key) *waiters {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.waiters[key]
	if w == nil {
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		w = &waiters{ctx: callCtx, cancel: cancel}
		c.waiters[key] = w
	}
	w.n++
	return w
}

// leave uncounts a caller; the last one cancels the shared call's context.
func (c *Cache) leave(key Key, w *waiters) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.n--
	if w.n == 0 {
		w.cancel()
		if c.waiters[key] == w {
			delete(c.waiters, key)
		}
	}
}

// callContext returns the context of the callers now waiting for key.
func (c *Cache) callContext(key Key) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.waiters[key]; w != nil {
		return w.ctx
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// Stats counts the live entries of a cache per kind.
type Stats struct {
	ListEntries     int `json:"list_entries"`
	MetadataEntries int `json:"metadata_entries"`
	VersionEntries  int `json:"version_entries"`
	TotalEntries    int `json:"total_entries"`
}

// Stats returns the number of entries per kind.
func (c *Cache) Stats() Stats {
	var s Stats
	if c.lru == nil {
		return s
	}
	for _, k := range c.lru.Keys() {
		switch k.Kind {
		case KindList:
			s.ListEntries++
		case KindVersions:
			s.VersionEntries++
		default:
			s.MetadataEntries++
		}
		s.TotalEntries++
	}
	return s
}

// Purge drops every entry, so that the next request asks the backends.
func (c *Cache) Purge() {
	if c.lru != nil {
		c.lru.Purge()
	}
}
