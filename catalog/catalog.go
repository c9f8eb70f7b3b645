// Package catalog merges the extensions of several backends into one view:
// it applies the source precedence, caches answers (LRU with a time to
// live, one backend call per key however many requests miss at once),
// searches, and resolves versions and downloads. The HTTP faces talk only to
// a Catalog, never to a backend.
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
}

// Catalog is the merged, cached view of the backends. It is safe for
// concurrent use.
type Catalog struct {
	backends []*breaker
	cache    *Cache
	scope    string
	metrics  *metrics.Metrics
	log      *slog.Logger

	gaugeMu sync.Mutex

	// owners remembers which source served each extension in the last
	// complete listing (and successful lookups since), so that while that
	// source fails, the copy it shadows is not served in its place.
	ownersMu sync.Mutex
	owners   map[string]registry.Source
}

// New returns a Catalog over opts.Backends.
func New(opts Options) *Catalog {
	c := &Catalog{
		cache:   opts.Cache,
		scope:   opts.Scope,
		metrics: opts.Metrics,
		log:     opts.Logger,
	}
	for _, b := range opts.Backends {
		c.backends = append(c.backends, &breaker{Backend: b})
	}
	c.owners = map[string]registry.Source{}
	if c.cache == nil {
		c.cache = &Cache{metrics: metrics.New(nil)}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
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
func (c *Catalog) Stats() Stats { return c.cache.Stats() }

func (c *Catalog) backend(src registry.Source) *breaker {
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
			Message: fmt.Sprintf("Extension %s/%s not found", typ, name),
		}
	})
}

// ownedByFailing reports whether the source known to serve the extension
// key ("type/name") is one of failing.
func (c *Catalog) ownedByFailing(key string, failing map[registry.Source]bool) bool {
	c.ownersMu.Lock()
	defer c.ownersMu.Unlock()
	src, ok := c.owners[key]
	return ok && failing[src]
}

// setOwner records the source that serves the extension key.
func (c *Catalog) setOwner(key string, src registry.Source) {
	c.ownersMu.Lock()
	defer c.ownersMu.Unlock()
	c.owners[key] = src
}

// Versions returns the versions of typ/name, newest first, from the source
// that serves the extension.
func (c *Catalog) Versions(ctx context.Context, typ registry.Type, name string) ([]registry.Version, error) {
	ext, err := c.Get(ctx, typ, name)
	if err != nil {
		return nil, err
	}
	b := c.backend(ext.Source)
	if b == nil {
		return nil, fmt.Errorf("extension %s comes from unconfigured source %s", ext.Key(), ext.Source)
	}
	return load(ctx, c.cache, c.versionsKey(typ, name), func(ctx context.Context) ([]registry.Version, bool, error) {
		vs, err := b.Versions(ctx, typ, name)
		if errors.Is(err, registry.ErrNotFound) {
			err = &registry.Error{Kind: registry.ErrNotFound, Message: fmt.Sprintf("Extension %s/%s not found", typ, name), Err: err}
		}
		return vs, err == nil, err
	})
}

// higherFailure returns the failure of the first source ahead of src that
// cannot say whether it holds typ/name, or nil. It asks the backends
// directly, uncached: it only runs when a version was not found.
func (c *Catalog) higherFailure(ctx context.Context, typ registry.Type, name string, src registry.Source) error {
	for _, b := range c.backends {
		if b.Source() == src {
			return nil
		}
		if _, err := b.Get(ctx, typ, name); err != nil && !errors.Is(err, registry.ErrNotFound) {
			return fmt.Errorf("%s: %w", b.Source(), err)
		}
	}
	return nil
}

// Open resolves version (with or without a leading "v") of typ/name and
// opens its archive for streaming. An unknown extension or version is an
// ErrNotFound whose message names both; a malformed version is
// ErrInvalidVersion.
func (c *Catalog) Open(ctx context.Context, typ registry.Type, name, version string) (*registry.Archive, error) {
	want, err := registry.ParseVersion(version)
	if err != nil {
		return nil, err
	}
	notFound := &registry.Error{
		Kind:    registry.ErrNotFound,
		Message: fmt.Sprintf("Extension %s/%s version %s not found", typ, name, want),
	}
	vs, err := c.Versions(ctx, typ, name)
	if errors.Is(err, registry.ErrNotFound) {
		notFound.Err = err
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	ext, err := c.Get(ctx, typ, name)
	if err != nil {
		return nil, err
	}
	v, ok := registry.FindVersion(vs, want)
	if !ok {
		// The version may be that of a copy in a higher-precedence source
		// that fails right now: say so rather than "not found".
		if err := c.higherFailure(ctx, typ, name, ext.Source); err != nil {
			return nil, err
		}
		return nil, notFound
	}
	a, err := c.backend(ext.Source).Open(ctx, typ, name, v)
	if errors.Is(err, registry.ErrNotFound) {
		notFound.Err = err
		return nil, notFound
	}
	return a, err
}
