package catalog

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"github.com/provisioning-platform/extension-registry/metrics"
)

// The kinds of cache entries, named by the API's key scheme:
// "list:{type}:{source}", "{type}/{name}" and "{type}/{name}/versions".
const (
	kindList     = "list"
	kindMetadata = "metadata"
	kindVersions = "versions"
)

// loadTimeout bounds a backend call made on behalf of a cache miss. The call
// is shared by every request waiting for the key: it stops when the last of
// them goes away, or when this time runs out.
const loadTimeout = 60 * time.Second

// Cache is an LRU cache with a time to live in front of the backends.
// Concurrent misses for one key make one backend call. Only successful
// answers are stored. A Cache without entries (as a Catalog without one
// uses) still shares concurrent calls but stores nothing.
type Cache struct {
	lru     *expirable.LRU[string, any]
	flight  singleflight.Group
	metrics *metrics.Metrics

	mu      sync.Mutex
	waiters map[string]*waiters // per key with a call in flight
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
	return &Cache{lru: expirable.NewLRU[string, any](capacity, nil, ttl), metrics: m, waiters: map[string]*waiters{}}
}

// kindOf returns the kind of a cache key of the API's key scheme. A key may
// carry a scope prefix ending in "|", which does not change its kind.
func kindOf(key string) string {
	if i := strings.LastIndexByte(key, '|'); i >= 0 {
		key = key[i+1:]
	}
	switch {
	case strings.HasPrefix(key, "list:"):
		return kindList
	case strings.HasSuffix(key, "/versions"):
		return kindVersions
	default:
		return kindMetadata
	}
}

// load returns the cached value of key, or calls fn once for all concurrent
// callers and stores its answer when store says so. A caller whose ctx ends
// stops waiting; the shared call goes on while another caller waits for it,
// and is cancelled when the last one leaves, so that no backend call
// outlives every request that asked for it.
func load[T any](ctx context.Context, c *Cache, key string, fn func(context.Context) (T, bool, error)) (T, error) {
	kind := kindOf(key)
	if c.lru == nil {
		v, _, err := fn(ctx)
		return v, err
	}
	if v, ok := c.lru.Get(key); ok {
		c.metrics.CacheHits.WithLabelValues(kind).Inc()
		return v.(T), nil
	}
	c.metrics.CacheMisses.WithLabelValues(kind).Inc()
	w := c.join(ctx, key)
	defer c.leave(key, w)
	ch := c.flight.DoChan(key, func() (any, error) {
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
		if res.Err != nil {
			var zero T
			return zero, res.Err
		}
		return res.Val.(T), nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// join counts a caller waiting for key, creating the shared call's context
// (detached from any one caller, bounded by loadTimeout) for the first.
func (c *Cache) join(ctx context.Context, key string) *waiters {
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
func (c *Cache) leave(key string, w *waiters) {
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
func (c *Cache) callContext(key string) context.Context {
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
		switch kindOf(k) {
		case kindList:
			s.ListEntries++
		case kindVersions:
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
