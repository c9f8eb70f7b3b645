package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/sync/errgroup"

	registry "github.com/provisioning-platform/extension-registry"
)

// Filter narrows a list. Zero fields match everything.
type Filter struct {
	Type   registry.Type
	Source registry.Source
}

// List returns the extensions that match f, sorted by name then type. Each
// (type, name) appears once, from the first source in precedence order that
// holds it. When some backends fail and others answer, the answer holds what
// the working ones have and is not cached; when all fail, List fails.
//
// With the index, the list comes from memory: a source past
// index.max_stale is left out of it (a list of that source alone answers
// its ErrUnavailable). A list of one source (f.Source) fails when that
// source fails, rather than answering an empty list.
func (c *Catalog) List(ctx context.Context, f Filter) ([]registry.Extension, error) {
	var (
		exts []registry.Extension
		lerr error
	)
	ctx, v, ok := c.coldView(ctx, func(v *view) (handled bool) { exts, _, lerr, handled = v.filter(f); return })
	if ok {
		c.note(ctx, KindList, v)
		return exts, lerr
	}
	res, err := c.list(ctx, f)
	return res.exts, err
}

// listing is a list, whether every backend contributed to it, and the
// failures of those that did not. Only complete listings are cached.
type listing struct {
	exts     []registry.Extension
	complete bool
	failed   map[registry.Source]error
}

func (c *Catalog) list(ctx context.Context, f Filter) (listing, error) {
	return load(ctx, c.cache, c.listKey(f), func(ctx context.Context) (listing, bool, error) {
		if f == (Filter{}) {
			exts, failed, err := c.merged(ctx)
			return listing{exts, len(failed) == 0, failed}, len(failed) == 0, err
		}
		// A filtered list is derived from the unfiltered one, itself a cache
		// entry, so that it costs no backend call once that one is cached.
		all, err := c.list(ctx, Filter{})
		if err != nil {
			return listing{}, false, err
		}
		if err := all.failed[f.Source]; err != nil {
			return listing{}, false, err
		}
		out := make([]registry.Extension, 0, len(all.exts))
		for _, e := range all.exts {
			if (f.Type == "" || e.Type == f.Type) && (f.Source == "" || e.Source == f.Source) {
				out = append(out, e)
			}
		}
		return listing{out, all.complete, all.failed}, all.complete, nil
	})
}

// merged returns every extension of every backend with the precedence
// applied, and the failure of each backend that failed.
func (c *Catalog) merged(ctx context.Context) (exts []registry.Extension, failed map[registry.Source]error, err error) {
	lists := make([][]registry.Extension, len(c.backends))
	errs := make([]error, len(c.backends))
	var g errgroup.Group
	for i, b := range c.backends {
		g.Go(func() error {
			lists[i], errs[i] = b.List(ctx)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("%s: %w", b.Source(), errs[i])
			}
			return nil
		})
	}
	_ = g.Wait()

	failed = map[registry.Source]error{}
	for i, err := range errs {
		if err != nil {
			failed[c.backends[i].Source()] = err
			c.log.Warn("backend list failed; serving the other sources", "source", c.backends[i].Source(), "error", err)
		}
	}
	complete := len(failed) == 0
	if len(failed) > 0 && len(failed) == len(c.backends) {
		return nil, failed, errors.Join(errs...)
	}

	failing := map[registry.Source]bool{}
	for i, err := range errs {
		if err != nil {
			failing[c.backends[i].Source()] = true
		}
	}
	seen := make(map[string]registry.Source)
	for i, list := range lists {
		for _, e := range list {
			if owner, dup := seen[e.Key()]; dup {
				if c.idx != nil {
					continue // the index logs shadowing, once
				}
				c.log.Info("extension shadowed by a higher-precedence source",
					"extension", e.Key(), "served_from", owner, "shadowed", c.backends[i].Source())
				continue
			}
			if len(failing) > 0 && c.ownedByFailing(e.Key(), failing) {
				// The source that serves it fails: its copy here is
				// shadowed, and is not served in its place.
				continue
			}
			seen[e.Key()] = e.Source
			exts = append(exts, e)
		}
	}
	if complete {
		c.ownersMu.Lock()
		c.owners = seen
		c.ownersMu.Unlock()
	}
	sort.SliceStable(exts, func(i, j int) bool {
		if exts[i].Name != exts[j].Name {
			return exts[i].Name < exts[j].Name
		}
		return exts[i].Type < exts[j].Type
	})
	if complete {
		c.setGauge(exts)
	}
	return exts, failed, nil
}

// setGauge publishes the number of extensions per type and source.
func (c *Catalog) setGauge(exts []registry.Extension) {
	if c.metrics == nil {
		return
	}
	type ts struct {
		t registry.Type
		s registry.Source
	}
	n := map[ts]int{}
	for _, e := range exts {
		n[ts{e.Type, e.Source}]++
	}
	c.gaugeMu.Lock()
	defer c.gaugeMu.Unlock()
	for _, t := range registry.Types {
		for _, s := range c.Sources() {
			c.metrics.Extensions.WithLabelValues(string(t), string(s)).Set(float64(n[ts{t, s}]))
		}
	}
}
