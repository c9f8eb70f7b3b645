package catalog

import (
	"context"
	"time"
)

// Answer tells an HTTP face where the answer of one catalog call came
// from, for its X-Cache-Hit / X-Cache-TTL / ETag headers.
type Answer struct {
	// FromMemory is true when the answer came from the index or the
	// response cache, without waiting for a backend.
	FromMemory bool
	// TTL is the time until the answer is refreshed (the next read of the
	// index; the entry's time to live in the cache, at most).
	TTL time.Duration
	// Generation identifies the index contents the answer came from; it
	// changes whenever they do. Zero when the answer did not come from the
	// index.
	Generation uint64
}

type answerKey struct{}

// WithAnswer returns a context under which the catalog's calls fill in a.
// The caller reads a after the call returns.
func WithAnswer(ctx context.Context, a *Answer) context.Context {
	return context.WithValue(ctx, answerKey{}, a)
}

// note records in ctx's Answer, if any, that the answer came from v.
func (c *Catalog) note(ctx context.Context, kind Kind, v *view) {
	c.cache.metrics.CacheHits.WithLabelValues(kind.String()).Inc()
	a, _ := ctx.Value(answerKey{}).(*Answer)
	if a == nil {
		return
	}
	a.FromMemory, a.Generation, a.TTL = true, v.gen, c.untilRefresh()
}

// noteCached records in ctx's Answer that the answer came from the TTL
// cache (fromMemory) or from a backend.
func noteCached(ctx context.Context, fromMemory bool, ttl time.Duration) {
	if a, _ := ctx.Value(answerKey{}).(*Answer); a != nil {
		a.FromMemory, a.TTL, a.Generation = fromMemory, ttl, 0
	}
}

// untilRefresh is the time until the next read of any source is due, at
// least zero.
func (c *Catalog) untilRefresh() time.Duration {
	var d time.Duration = -1
	for _, s := range c.idx.sources {
		_, _, next := s.state()
		if left := time.Until(next); d < 0 || left < d {
			d = left
		}
	}
	return max(d, 0)
}

// Generation returns the generation of the index contents now served, or
// zero when the catalog has no index or some source has not been read.
// Faces use it to key answers they encoded once.
func (c *Catalog) Generation() uint64 {
	v := c.current()
	if v == nil || v.firstUnread < v.nsources {
		return 0
	}
	return v.gen
}

// TTL returns the time until the index is next refreshed; zero without an
// index.
func (c *Catalog) TTL() time.Duration {
	if c.idx == nil {
		return 0
	}
	return c.untilRefresh()
}
