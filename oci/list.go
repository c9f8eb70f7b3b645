package oci

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	registry "github.com/provisioning-platform/extension-registry"
)

// resolved is one repository read as an extension.
type resolved struct {
	path     string
	ext      registry.Extension
	versions []registry.Version // sorted; only the current one unless all versions were asked for
	// digest is the manifest digest of the current version (versions[0]).
	digest string
}

// resolveRepo reads the repository at path as an extension: its semantic
// version tags, then the current version's manifest for the type and the
// metadata. A current version whose download cannot be determined is
// skipped in favour of the next one. With all, every version's manifest is
// read too, and versions without a download, or declaring another type, are
// left out. It returns errSkip when the repository holds no extension.
func (b *Backend) resolveRepo(ctx context.Context, path string, all bool) (*resolved, error) {
	r, err := b.open(ctx, path)
	if err != nil {
		return nil, err
	}
	vs, err := semverTags(ctx, r, path)
	if err != nil {
		return nil, err
	}
	fp := tagsFingerprint(vs) // before resolveVersions reorders vs
	res, err := b.resolveVersions(ctx, r, path, vs, all)
	if err == nil {
		b.refresh.reconcile(path, fp, res, all)
	}
	return res, err
}

// resolveVersions is resolveRepo once the repository's versions are known.
func (b *Backend) resolveVersions(ctx context.Context, r repo, path string, vs []registry.Version, all bool) (*resolved, error) {
	var (
		info *manifestInfo
		err  error
	)
	for {
		i := registry.CurrentVersion(vs)
		if i < 0 {
			b.log.Debug("OCI repository has no usable semantic-version tag", "repository", path)
			return nil, errSkip
		}
		info, err = b.inspectListed(ctx, r, path, vs[i].Ref)
		switch {
		case errors.Is(err, registry.ErrNotFound): // tag deleted meanwhile
		case err != nil:
			return nil, err
		case info.hasLayer:
			cur := vs[i]
			vs = append([]registry.Version{cur}, slices.Delete(vs, i, i+1)...) // current first
			return b.describe(ctx, r, path, vs, info, all)
		default:
			b.log.Info("OCI version skipped: no single or tar+gzip layer", "repository", path, "tag", vs[i].Ref)
		}
		vs = slices.Delete(vs, i, i+1)
	}
}

// listedRetry is how long inspectListed waits before it asks again for a
// listed tag the registry does not resolve.
const listedRetry = 100 * time.Millisecond

// inspectListed is inspect for a tag the repository's tag list just named.
// A distribution registry lists a tag being written (its directory exists)
// a moment before it resolves it (its current link is written last), so a
// not-found is asked once more after listedRetry before the tag counts as
// deleted meanwhile — otherwise a read right after a publish, as a
// notification triggers, would miss the version it announces.
func (b *Backend) inspectListed(ctx context.Context, r repo, path, ref string) (*manifestInfo, error) {
	info, err := b.inspect(ctx, r, path, ref)
	if !errors.Is(err, registry.ErrNotFound) {
		return info, err
	}
	select {
	case <-ctx.Done():
		return nil, err
	case <-time.After(listedRetry):
	}
	return b.inspect(ctx, r, path, ref)
}

// describe builds the extension from the current version (vs[0], described
// by info) and, with all, the other versions.
func (b *Backend) describe(ctx context.Context, r repo, path string, vs []registry.Version, info *manifestInfo, all bool) (*resolved, error) {
	name, typ, ok, problem := identify(strings.TrimPrefix(path, b.namespace+"/"), info.annotations)
	if problem != "" {
		b.warnOnce(path, "OCI repository: "+problem)
	}
	if !ok {
		return nil, errSkip
	}
	cur := vs[0]
	cur.PublishedAt, cur.Checksum, cur.Size = info.created, info.layer.Digest.String(), info.layer.Size
	ann := info.annotations
	res := &resolved{path: path, ext: registry.Extension{
		Name:        name,
		Type:        typ,
		Version:     cur.Version,
		Description: ann["org.opencontainers.image.description"],
		Author:      ann["org.opencontainers.image.authors"],
		Repository:  ann["org.opencontainers.image.source"],
		Source:      registry.SourceOCI,
		PublishedAt: cur.PublishedAt,
		Checksum:    cur.Checksum,
		Size:        cur.Size,
		Tags:        splitTags(ann[AnnotationTags]),
	}}
	res.versions = []registry.Version{cur}
	res.digest = info.digest
	if !all || len(vs) == 1 {
		return res, nil
	}
	rest := make([]*registry.Version, len(vs)-1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.concurrency)
	for i, v := range vs[1:] {
		g.Go(func() error {
			vi, err := b.inspectListed(gctx, r, path, v.Ref)
			switch {
			case errors.Is(err, registry.ErrNotFound):
				return nil
			case err != nil:
				return err
			case !vi.hasLayer:
				b.log.Info("OCI version skipped: no single or tar+gzip layer", "repository", path, "tag", v.Ref)
				return nil
			}
			if t := strings.TrimSpace(vi.annotations[AnnotationType]); t != "" && t != string(typ) {
				b.log.Info("OCI version skipped: it declares another type", "repository", path, "tag", v.Ref, "type", t)
				return nil
			}
			v.PublishedAt, v.Checksum, v.Size = vi.created, vi.layer.Digest.String(), vi.layer.Size
			rest[i] = &v
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, v := range rest {
		if v != nil {
			res.versions = append(res.versions, *v)
		}
	}
	registry.SortVersions(res.versions)
	return res, nil
}

// List returns every extension under the namespace, each described by its
// current version, sorted by type and name. Repositories are read
// concurrently; one that holds no extension, has vanished or may not be read
// (ErrForbidden) is left out and logged. Any other failure fails the list
// with a wrapped kind (ErrUnauthorized, ErrUnavailable, ErrTimeout…).
func (b *Backend) List(ctx context.Context) ([]registry.Extension, error) {
	found, err := b.listAll(ctx, false)
	if err != nil {
		return nil, err
	}
	exts := make([]registry.Extension, len(found))
	for i, res := range found {
		exts[i] = res.ext
	}
	return exts, nil
}

// ListVersions implements registry.Indexer: every extension of List, each
// with all the versions Versions would return, in one pass that costs, when
// nothing changed, one tag listing per repository and no manifest request
// (see refresh.go).
func (b *Backend) ListVersions(ctx context.Context) ([]registry.ExtensionVersions, error) {
	found, err := b.listAll(ctx, true)
	if err != nil {
		return nil, err
	}
	out := make([]registry.ExtensionVersions, len(found))
	for i, res := range found {
		out[i] = registry.ExtensionVersions{Extension: res.ext, Versions: slices.Clone(res.versions)}
	}
	return out, nil
}

// listAll reads every repository of the namespace (with all versions, or
// only the current one) and returns one result per extension, the
// preferred repository's when several hold it, sorted by type and name.
func (b *Backend) listAll(ctx context.Context, all bool) ([]*resolved, error) {
	paths, err := b.repositories(ctx)
	if err != nil {
		return nil, err
	}
	var (
		mu    sync.Mutex
		found = map[string]*resolved{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.concurrency)
	for _, p := range paths {
		g.Go(func() error {
			res, err := b.listRepo(gctx, p, all)
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
	b.refresh.prune(paths)
	b.refresh.setOwners(found)
	out := make([]*resolved, 0, len(found))
	for _, res := range found {
		out = append(out, res)
	}
	slices.SortFunc(out, func(a, b *resolved) int {
		return cmp.Or(cmp.Compare(a.ext.Type, b.ext.Type), cmp.Compare(a.ext.Name, b.ext.Name))
	})
	return out, nil
}

// find returns the repository holding the extension (typ, name): the first
// of its candidate repositories that resolves to exactly that extension. It
// returns an ErrInvalidType error for an unknown type and ErrNotFound when no
// repository holds it.
func (b *Backend) find(ctx context.Context, typ registry.Type, name string, all bool) (*resolved, error) {
	if _, err := registry.ParseType(string(typ)); err != nil {
		return nil, err
	}
	if registry.ValidOCIComponent(name) {
		for _, p := range b.candidatePaths(typ, name) {
			if !b.store.allowed(p) {
				continue
			}
			res, err := b.resolveRepo(ctx, p, all)
			switch {
			case errors.Is(err, errSkip), errors.Is(err, registry.ErrNotFound):
				continue
			case err != nil:
				return nil, err
			}
			if res.ext.Type == typ && res.ext.Name == name {
				return res, nil
			}
		}
	}
	return nil, notFound("Extension %s/%s not found", typ, name)
}

// Get returns the extension (typ, name) described by its current version.
// It returns an ErrNotFound error when no repository of the namespace holds
// it, ErrInvalidType for an unknown type, and the kinds of List otherwise.
func (b *Backend) Get(ctx context.Context, typ registry.Type, name string) (registry.Extension, error) {
	res, err := b.find(ctx, typ, name, false)
	if err != nil {
		return registry.Extension{}, err
	}
	return res.ext, nil
}

// Versions returns the versions of the extension (typ, name), newest first.
// Versions whose download cannot be determined are left out. Errors are
// those of Get.
func (b *Backend) Versions(ctx context.Context, typ registry.Type, name string) ([]registry.Version, error) {
	res, err := b.find(ctx, typ, name, true)
	if err != nil {
		return nil, err
	}
	return res.versions, nil
}
