package gitea

import (
	"context"
	"slices"

	"golang.org/x/sync/errgroup"

	registry "github.com/provisioning-platform/extension-registry"
)

// List returns every extension of the configured organizations, each by
// its current version. A repository without a release that is a version is
// left out; when two repositories are the same extension, the first
// organization wins, then the naming convention's order ("_prov" over
// "_provider"), and the other is logged once. A configured organization
// that does not exist, or that the credentials cannot see, fails the
// listing with ErrNotFound naming it (Gitea itself would list it as
// empty).
//
// The repositories' releases are read concurrently, each request with its
// own goroutine's context: when one fails, the requests under way are
// canceled and the queued ones never sent.
func (b *Backend) List(ctx context.Context) ([]registry.Extension, error) {
	served, err := b.listServed(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]registry.Extension, 0, len(served))
	for _, l := range served {
		out = append(out, b.extension(l.repo, l.rels[current(l.rels)], l.sum))
	}
	return out, nil
}

// served is one repository a listing serves, with its releases (newest
// first) and the checksum of its current version.
type served struct {
	repo repository
	rels []release
	sum  string
}

// listServed reads the repositories of the organizations and their
// releases, and returns those that serve an extension, with the
// precedence applied (see List).
func (b *Backend) listServed(ctx context.Context) ([]served, error) {
	var repos []repository
	for _, org := range b.orgs {
		rs, err := b.orgRepositories(ctx, org)
		if err != nil {
			return nil, err
		}
		repos = append(repos, rs...)
	}
	type found struct {
		rels []release
		sum  string
	}
	results := make([]found, len(repos))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.limit)
	for i, r := range repos {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			rels, err := b.releases(gctx, r)
			if err != nil || len(rels) == 0 {
				return err
			}
			results[i] = found{rels: rels, sum: b.checksum(gctx, r, rels[current(rels)])}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// A checksum read cut short by the deadline leaves a version without
	// its checksum: fail rather than return (and have cached) less.
	if err := ctx.Err(); err != nil {
		return nil, b.statusError(0, err, "the extensions of Gitea")
	}
	orgRank := map[string]int{}
	for i, o := range b.orgs {
		orgRank[o] = i
	}
	order := make([]int, 0, len(repos))
	for i := range repos {
		if len(results[i].rels) > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(x, y int) int {
		a, c := repos[x], repos[y]
		switch {
		case orgRank[a.org] != orgRank[c.org]:
			return orgRank[a.org] - orgRank[c.org]
		case registry.PreferRepository(a.name, c.name):
			return -1
		case registry.PreferRepository(c.name, a.name):
			return 1
		}
		return 0
	})
	winner := map[string]repository{}
	var out []served
	for _, i := range order {
		r := repos[i]
		key := string(r.typ) + "/" + r.ext
		if w, taken := winner[key]; taken {
			b.logShadow(r, w)
			continue
		}
		winner[key] = r
		b.cache.serve(r)
		out = append(out, served{repo: r, rels: results[i].rels, sum: results[i].sum})
	}
	return out, nil
}

// ListVersions implements registry.Indexer: every extension with all its
// versions from one listing, so that the index's read costs what List
// does (plus the checksum files not read before), not one Versions call —
// a repository and a release list more — per extension.
func (b *Backend) ListVersions(ctx context.Context) ([]registry.ExtensionVersions, error) {
	list, err := b.listServed(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]registry.ExtensionVersions, len(list))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.limit)
	for i, l := range list {
		g.Go(func() error {
			sums, err := b.checksums(gctx, l.repo, l.rels)
			if err != nil {
				return err
			}
			out[i] = registry.ExtensionVersions{
				Extension: b.extension(l.repo, l.rels[current(l.rels)], sums[current(l.rels)]),
				Versions:  b.versions(l.repo, l.rels, sums),
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, b.statusError(0, err, "the extensions of Gitea")
	}
	return out, nil
}

// logShadow logs, once per repository, that r is not served because w is
// the same extension.
func (b *Backend) logShadow(r, w repository) {
	id := r.owner + "/" + r.name
	b.shadowMu.Lock()
	done := b.shadowed[id]
	b.shadowed[id] = true
	b.shadowMu.Unlock()
	if !done {
		b.log.Warn("Gitea repository shadowed by another of the same extension", "extension", string(r.typ)+"/"+r.ext, "repository", id, "served", w.owner+"/"+w.name)
	}
}

// Get returns the extension (typ, name) by its current version.
func (b *Backend) Get(ctx context.Context, typ registry.Type, name string) (registry.Extension, error) {
	r, rels, err := b.findRepository(ctx, typ, name)
	if err != nil {
		return registry.Extension{}, err
	}
	rel := rels[current(rels)]
	e := b.extension(r, rel, b.checksum(ctx, r, rel))
	if err := ctx.Err(); err != nil {
		return registry.Extension{}, b.statusError(0, err, "Gitea repository %s/%s", r.owner, r.name)
	}
	return e, nil
}

// Versions returns every version of the extension (typ, name), newest
// first, each with its download URL, size and checksum.
func (b *Backend) Versions(ctx context.Context, typ registry.Type, name string) ([]registry.Version, error) {
	r, rels, err := b.findRepository(ctx, typ, name)
	if err != nil {
		return nil, err
	}
	sums, err := b.checksums(ctx, r, rels)
	if err != nil {
		return nil, err
	}
	return b.versions(r, rels, sums), nil
}

// versions describes the releases rels of r (newest first) as versions,
// sums[i] being the checksum of rels[i].
func (b *Backend) versions(r repository, rels []release, sums []string) []registry.Version {
	out := make([]registry.Version, len(rels))
	for i, rel := range rels {
		e := b.extension(r, rel, sums[i])
		out[i] = registry.Version{
			Version:     e.Version,
			PublishedAt: e.PublishedAt,
			DownloadURL: e.DownloadURL,
			Checksum:    e.Checksum,
			Size:        e.Size,
			Ref:         rel.tag,
			Prerelease:  rel.prerelease,
			FileName:    fileNameOf(r, rel),
		}
	}
	return out
}

// extension describes r by its release rel.
func (b *Backend) extension(r repository, rel release, checksum string) registry.Extension {
	e := registry.Extension{
		Name:        r.ext,
		Type:        r.typ,
		Version:     rel.version.String(),
		Description: r.desc,
		Author:      r.owner,
		Repository:  r.htmlURL,
		Source:      registry.SourceGitea,
		PublishedAt: rel.published.UTC(),
		Checksum:    checksum,
		Tags:        r.topics,
	}
	if rel.archive != nil {
		e.DownloadURL = rel.archive.DownloadURL
		e.Size = rel.archive.Size
	} else {
		e.DownloadURL = rel.tarURL
	}
	return e
}
