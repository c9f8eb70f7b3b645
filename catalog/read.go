package catalog

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	registry "github.com/provisioning-platform/extension-registry"
)

// rateBackoff is the pause after a 429 that carries no Retry-After, and
// maxBackoff caps any pause the index takes.
const (
	rateBackoff = time.Second
	maxBackoff  = time.Minute
)

// gate pauses every call of one read while the backend asked to slow down.
type gate struct {
	mu    sync.Mutex
	until time.Time
	n     int // consecutive 429s
}

// wait blocks until the pause is over or ctx ends.
func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	d := time.Until(g.until)
	g.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limited records a 429: the pause is its Retry-After, else a backoff that
// doubles with each consecutive 429.
func (g *gate) limited(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d := rateBackoff << min(g.n, 6)
	var ra registry.RetryAfterError
	if after, ok := registry.RetryAfter(err); ok {
		d = after // the backend's Retry-After, carried by its *registry.Error
	} else if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		d = ra.RetryAfter()
	}
	g.n++
	if until := time.Now().Add(min(d, maxBackoff)); until.After(g.until) {
		g.until = until
	}
}

func (g *gate) ok() {
	g.mu.Lock()
	g.n = 0
	g.mu.Unlock()
}

// call runs fn until it returns something other than a 429, waiting as the
// gate says in between; only ctx ending stops it. A rate limit slows a read
// down, it never fails it.
func call[T any](ctx context.Context, g *gate, fn func(context.Context) (T, error)) (T, error) {
	for {
		if err := g.wait(ctx); err != nil {
			var zero T
			return zero, err
		}
		v, err := fn(ctx)
		if !errors.Is(err, registry.ErrRateLimited) {
			if err == nil {
				g.ok()
			}
			return v, err
		}
		g.limited(err)
	}
}

// readAll reads every extension of b with its versions, at most
// index.concurrency calls at a time. An extension that vanishes between the
// listing and its versions is left out; any other failure fails the read.
func (c *Catalog) readAll(ctx context.Context, b registry.Backend) ([]Entry, error) {
	g := &gate{}
	if ix, ok := unwrap(b).(registry.Indexer); ok {
		all, err := call(ctx, g, ix.ListVersions)
		if err != nil {
			return nil, err
		}
		out := make([]Entry, len(all))
		for i, ev := range all {
			out[i] = newEntry(ev.Extension, ev.Versions)
		}
		return out, nil
	}
	exts, err := call(ctx, g, b.List)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, len(exts))
	found := make([]bool, len(exts))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(c.idx.opts.Concurrency)
	for i, e := range exts {
		eg.Go(func() error {
			vs, err := call(ectx, g, func(ctx context.Context) ([]registry.Version, error) {
				return b.Versions(ctx, e.Type, e.Name)
			})
			switch {
			case errors.Is(err, registry.ErrNotFound):
				return nil
			case err != nil:
				return err
			}
			entries[i], found[i] = newEntry(e, vs), true
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	out := entries[:0]
	for i, e := range entries {
		if found[i] {
			out = append(out, e)
		}
	}
	return out, nil
}

// readOne reads typ/name from b; found is false when b does not hold it.
func (c *Catalog) readOne(ctx context.Context, b registry.Backend, typ registry.Type, name string) (Entry, bool, error) {
	g := &gate{}
	e, err := call(ctx, g, func(ctx context.Context) (registry.Extension, error) { return b.Get(ctx, typ, name) })
	if errors.Is(err, registry.ErrNotFound) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	vs, err := call(ctx, g, func(ctx context.Context) ([]registry.Version, error) { return b.Versions(ctx, typ, name) })
	if errors.Is(err, registry.ErrNotFound) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	return newEntry(e, vs), true, nil
}

// unwrap returns the backend a breaker guards, so that optional
// interfaces are found.
func unwrap(b registry.Backend) registry.Backend {
	if br, ok := b.(*breaker); ok {
		return br.Backend
	}
	return b
}
