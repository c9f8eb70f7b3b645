// Package catalog merges the extensions of several backends into one view:
// it applies the source precedence, answers from a background index of
// every source (contract §8) or, without one and for what the index cannot
// answer yet, from an LRU cache with a time to live (one backend call per
// key however many requests miss at once), searches, and resolves versions
// and downloads. The HTTP faces talk only to a Catalog, never to a backend.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// Options configures a Catalog.
type Options struct {
	// Backends in precedence order: when two hold the same (type, name), the
	// first one's copy is served and the other is shadowed.
	Backends []registry.Backend
	// Cache holds the answers; nil means no caching.
	Cache *Cache
	// Scope, when set, prefixes every cache key, so that catalogs sharing one
	// Cache (one per set of credentials) never see each other's entries.
	Scope string
	// Metrics receives the extensions_total gauge; nil disables it.
	Metrics *metrics.Metrics
	// Logger receives shadowing and partial-failure notes; nil discards them.
	Logger *slog.Logger
	// Index, when set, turns on the background index: Run reads every
	// source and reads are answered from memory. Nil: every answer comes
	// from Cache or the backends.
	Index *IndexOptions
	// Blobs, when set, is consulted by Open before the backend.
	Blobs BlobCache
}

// BlobCache keeps downloaded archives by checksum. Open asks it for a
// version whose checksum is known; fetch opens the archive from the backend
// when the cache does not hold it (the cache may keep what it reads).
type BlobCache interface {
	Open(ctx context.Context, checksum string, size int64, fetch func(context.Context) (*registry.Archive, error)) (*registry.Archive, error)
}

// Catalog is the merged, cached view of the backends. It is safe for
// concurrent use.
type Catalog struct {
	backends []registry.Backend
	cache    *Cache
	scope    string
	metrics  *metrics.Metrics
	log      *slog.Logger
	idx      *index
	blobs    BlobCache

	gaugeMu sync.Mutex

	// owners remembers which source served each extension in the last
	// complete listing (and successful lookups since), so that while that
	// source fails, the copy it shadows is not served in its place. Nil
	// for a catalog of one backend.
	ownersMu sync.Mutex
	owners   map[string]registry.Source
}

// New returns a Catalog over opts.Backends, each behind a breaker. With
// opts.Index, call Run to read the sources.
func New(opts Options) *Catalog {
	c := &Catalog{
		cache:   opts.Cache,
		scope:   opts.Scope,
		metrics: opts.Metrics,
		log:     opts.Logger,
		blobs:   opts.Blobs,
	}
	for _, b := range opts.Backends {
		c.backends = append(c.backends, &breaker{Backend: b})
	}
	c.owners = map[string]registry.Source{}
	if opts.Index != nil {
		c.idx = newIndex(*opts.Index, c.backends)
	}
	c.defaults()
	return c
}

// NewDirect returns a Catalog over one backend for one request's
// credentials (the ConnectorClass API): no index, no breaker, no owners
// map; answers are cached in cache (nil: not cached) under scope, which
// must differ per credential.
func NewDirect(b registry.Backend, cache *Cache, scope string) *Catalog {
	c := &Catalog{backends: []registry.Backend{b}, cache: cache, scope: scope}
	c.defaults()
	return c
}

func (c *Catalog) defaults() {
	if c.cache == nil {
		c.cache = &Cache{metrics: metrics.New(nil)}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
}

// Sources returns the sources of the configured backends, in precedence
// order.
func (c *Catalog) Sources() []registry.Source {
	out := make([]registry.Source, len(c.backends))
	for i, b := range c.backends {
		out[i] = b.Source()
	}
	return out
}

// Stats counts the cache entries per kind.
// With the index, the index's entries are counted too: one metadata and
// one versions entry per served extension, one list entry per list it
// answers.
func (c *Catalog) Stats() Stats {
	s := c.cache.Stats()
	if v := c.current(); v != nil && v.firstUnread == v.nsources {
		vs := v.stats()
		s.ListEntries += vs.ListEntries
		s.MetadataEntries += vs.MetadataEntries
		s.VersionEntries += vs.VersionEntries
		s.TotalEntries += vs.TotalEntries
	}
	return s
}

func (c *Catalog) backend(src registry.Source) registry.Backend {
	for _, b := range c.backends {
		if b.Source() == src {
			return b
		}
	}
	return nil
}

// Get returns the extension typ/name from the first backend, in precedence
// order, that holds it. A backend that fails is skipped when a later one
// holds the extension (that answer is not cached) unless the failing one is
// known to serve it (the later copy is shadowed, never served); when none
// holds it the failure is returned rather than a not-found.
func (c *Catalog) Get(ctx context.Context, typ registry.Type, name string) (registry.Extension, error) {
	ctx, o, lerr, ok := c.indexLookup(ctx, KindMetadata, typ, name)
	if ok {
		if lerr != nil {
			return registry.Extension{}, lerr
		}
		return o.entry.Extension, nil
	}
	key := string(typ) + "/" + name
	return load(ctx, c.cache, c.metadataKey(typ, name), func(ctx context.Context) (registry.Extension, bool, error) {
		var failed error
		failing := map[registry.Source]bool{}
		for _, b := range c.backends {
			ext, err := b.Get(ctx, typ, name)
			switch {
			case err == nil:
				if failed == nil {
					c.setOwner(key, ext.Source)
					return ext, true, nil
				}
				if c.ownedByFailing(key, failing) {
					c.log.Warn("not serving a shadowed copy while the source that serves the extension fails",
						"extension", key, "shadowed", b.Source(), "error", failed)
					return registry.Extension{}, false, failed
				}
				c.log.Warn("serving extension from a lower-precedence source while a higher one fails",
					"extension", ext.Key(), "source", b.Source(), "error", failed)
				return ext, false, nil
			case errors.Is(err, registry.ErrNotFound):
				continue
			default:
				failing[b.Source()] = true
				if failed == nil {
					failed = fmt.Errorf("%s: %w", b.Source(), err)
				}
			}
		}
		if failed != nil {
			return registry.Extension{}, false, failed
		}
		return registry.Extension{}, false, &registry.Error{
			Kind:    registry.ErrNotFound,
			Message: fmt.Sprintf("Extension %s/%s not found", typ, registry.Excerpt(name)),
		}
	})
}

// ownedByFailing reports whether the source known to serve the extension
// key ("type/name") is one of failing.
func (c *Catalog) ownedByFailing(key string, failing map[registry.Source]bool) bool {
	c.ownersMu.Lock()
	defer c.ownersMu.Unlock()
	src, ok := c.owners[key] // a nil map reads as empty
	return ok && failing[src]
}

// setOwner records the source that serves the extension key.
func (c *Catalog) setOwner(key string, src registry.Source) {
	c.ownersMu.Lock() // merged replaces c.owners under this lock
	defer c.ownersMu.Unlock()
	if c.owners == nil {
		return
	}
	c.owners[key] = src
}

// Versions returns the versions of typ/name, newest first, from the source
// that serves the extension.
func (c *Catalog) Versions(ctx context.Context, typ registry.Type, name string) ([]registry.Version, error) {
	ctx, o, lerr, ok := c.indexLookup(ctx, KindVersions, typ, name)
	if ok {
		if lerr != nil {
			return nil, lerr
		}
		return o.entry.versions(), nil
	}
	ext, err := c.Get(ctx, typ, name)
	if err != nil {
		return nil, err
	}
	return c.versionsOf(ctx, ext)
}

// versionsOf returns the versions of ext from the source that serves it,
// through the cache.
func (c *Catalog) versionsOf(ctx context.Context, ext registry.Extension) ([]registry.Version, error) {
	typ, name := ext.Type, ext.Name
	b := c.backend(ext.Source)
	if b == nil {
		return nil, fmt.Errorf("extension %s comes from unconfigured source %s", ext.Key(), ext.Source)
	}
	return load(ctx, c.cache, c.versionsKey(typ, name), func(ctx context.Context) ([]registry.Version, bool, error) {
		vs, err := b.Versions(ctx, typ, name)
		if errors.Is(err, registry.ErrNotFound) {
			err = &registry.Error{Kind: registry.ErrNotFound, Message: fmt.Sprintf("Extension %s/%s not found", typ, registry.Excerpt(name)), Err: err}
		}
		return vs, err == nil, err
	})
}
