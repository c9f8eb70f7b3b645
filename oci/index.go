package oci

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	registry "github.com/provisioning-platform/extension-registry"
)

// ListVersions returns every extension under the namespace with all its
// versions, reading each repository once (its tags, then each version's
// manifest), for the catalog's index (registry.Indexer). Repositories are
// skipped, shadowed and failed as List does; the result is sorted by type
// and name.
func (b *Backend) ListVersions(ctx context.Context) ([]registry.ExtensionVersions, error) {
	paths, err := b.store.repositories(ctx, b.namespace+"/")
	if err != nil {
		return nil, err
	}
	var (
		mu    sync.Mutex
		found = map[string]*resolved{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listConcurrency)
	for _, p := range paths {
		g.Go(func() error {
			res, err := b.resolveRepo(gctx, p, true)
			switch {
			case errors.Is(err, errSkip):
				return nil
			case errors.Is(err, registry.ErrNotFound), errors.Is(err, registry.ErrForbidden):
				b.log.Info("OCI repository skipped", "repository", p, "error", err)
				return nil
			case err != nil:
				return err
			}
			key := res.ext.Key()
			mu.Lock()
			defer mu.Unlock()
			if prev, dup := found[key]; dup {
				keep, drop := prev, res
				if registry.PreferRepository(strings.TrimPrefix(res.path, b.namespace+"/"), strings.TrimPrefix(prev.path, b.namespace+"/")) {
					keep, drop = res, prev
				}
				b.warnOnce(drop.path, "OCI repository shadowed by another holding the same extension", "extension", key, "served_from", keep.path)
				found[key] = keep
				return nil
			}
			found[key] = res
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]registry.ExtensionVersions, 0, len(found))
	for _, res := range found {
		out = append(out, registry.ExtensionVersions{Extension: res.ext, Versions: res.versions})
	}
	slices.SortFunc(out, func(a, b registry.ExtensionVersions) int {
		return cmp.Or(cmp.Compare(a.Extension.Type, b.Extension.Type), cmp.Compare(a.Extension.Name, b.Extension.Name))
	})
	return out, nil
}
