package gitea

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	sdk "code.gitea.io/sdk/gitea"
	"github.com/Masterminds/semver/v3"
	"golang.org/x/sync/errgroup"

	registry "github.com/provisioning-platform/extension-registry"
)

// pageSize is the page size asked for. The server answers with at most its
// MAX_RESPONSE_ITEMS; paging follows the Link header, so either is fine.
const pageSize = 50

// maxPages bounds paging, against a server whose Link header never ends.
const maxPages = 10000

// concurrency bounds the repositories (List) and checksum files (Versions)
// read at once.
const concurrency = 8

// suffixes lists the repository suffixes of each type, in the order they
// win when one organization holds both ("aws_prov" before "aws_provider").
var suffixes = map[registry.Type][]string{
	registry.Provider: {"_prov", "_provider"},
	registry.Taskserv: {"_taskserv"},
	registry.Cluster:  {"_cluster"},
}

// repository is an extension repository: where it is, and the metadata the
// API shows for it.
type repository struct {
	org     string // the configured organization it was found in
	owner   string // the owner's login, as Gitea spells it
	name    string // the repository name, e.g. "aws_prov"
	ext     string // the extension name, e.g. "aws"
	typ     registry.Type
	rank    int // the suffix's position in suffixes[typ]
	desc    string
	htmlURL string
	topics  []string
	// hasReleases is false when the repository's releases are turned off
	// (or a Gitea too old to say).
	hasReleases bool
}

// release is one version of an extension repository.
type release struct {
	version    *semver.Version
	tag        string
	prerelease bool // a semver pre-release, or marked so in Gitea
	published  time.Time
	archive    *sdk.Attachment // nil: the tag's source archive
	sums       []*sdk.Attachment
	tarURL     string
}

// repoOf returns the extension repository of a Gitea repository, or false
// when its name follows none of the conventions.
func repoOf(org string, r *sdk.Repository) (repository, bool) {
	ext, typ, ok := registry.TypeFromRepositoryName(r.Name)
	if !ok {
		return repository{}, false
	}
	rank := 0
	for i, s := range suffixes[typ] {
		if strings.HasSuffix(r.Name, s) {
			rank = i
		}
	}
	owner := org
	if r.Owner != nil && r.Owner.UserName != "" {
		owner = r.Owner.UserName
	}
	return repository{
		org:         org,
		owner:       owner,
		name:        r.Name,
		ext:         ext,
		typ:         typ,
		rank:        rank,
		desc:        r.Description,
		htmlURL:     r.HTMLURL,
		topics:      r.Topics,
		hasReleases: r.HasReleases,
	}, true
}

// orgRepositories returns the extension repositories of org, every page.
//
// Gitea lists no repository, successfully, for an organization the
// credentials cannot see, so the organization itself is read first: one
// that does not exist, or is invisible to the credentials, fails the
// listing with ErrNotFound naming it, instead of silently serving nothing.
// (The v1 API answers such a list failure with 503: the list exists, its
// configured source does not; the ConnectorClass API, whose organization
// is a request parameter, with 404.)
func (b *Backend) orgRepositories(ctx context.Context, c *sdk.Client, org string) ([]repository, error) {
	if _, resp, err := c.GetOrg(org); err != nil {
		err = b.apiError(resp, err, "Gitea organization %q", org)
		var re *registry.Error
		if errors.As(err, &re) && re.Kind == registry.ErrNotFound {
			re.Message = fmt.Sprintf("Gitea organization %q not found, or not visible with the credentials", org)
		}
		return nil, err
	}
	var out []repository
	for page := 1; page <= maxPages; page++ {
		repos, resp, err := c.ListOrgRepos(org, sdk.ListOrgReposOptions{ListOptions: sdk.ListOptions{Page: page, PageSize: pageSize}})
		if err != nil {
			return nil, b.apiError(resp, err, "the repositories of Gitea organization %q", org)
		}
		for _, r := range repos {
			if rp, ok := repoOf(org, r); ok {
				out = append(out, rp)
			}
		}
		if resp == nil || resp.NextPage <= page || len(repos) == 0 {
			break
		}
	}
	return out, nil
}

// findRepository returns the repository of the extension (typ, name): the
// first organization that has one with releases wins, and within it
// "_prov" before "_provider". It also returns its releases, newest first.
func (b *Backend) findRepository(ctx context.Context, c *sdk.Client, typ registry.Type, name string) (repository, []release, error) {
	if _, err := registry.ParseType(string(typ)); err != nil {
		return repository{}, nil, err
	}
	if validName(name) {
		for _, org := range b.orgs {
			for _, suffix := range suffixes[typ] {
				r, resp, err := c.GetRepo(org, name+suffix)
				if err != nil {
					if resp != nil && resp.StatusCode == 404 {
						continue
					}
					return repository{}, nil, b.apiError(resp, err, "Gitea repository %s/%s", org, name+suffix)
				}
				// Gitea finds repositories case-insensitively; an
				// extension's name is exactly the one List shows.
				rp, ok := repoOf(org, r)
				if !ok || rp.ext != name || rp.typ != typ {
					continue
				}
				rels, err := b.releases(ctx, c, rp)
				if err != nil {
					return repository{}, nil, err
				}
				if len(rels) > 0 {
					return rp, rels, nil
				}
			}
		}
	}
	return repository{}, nil, registry.Errorf(registry.ErrNotFound, "Extension %s/%s not found", typ, name)
}

// releases returns the versions of a repository, newest first: its
// releases that are not drafts and whose tag is a semantic version. When
// two tags name one version ("v1.2.0" and "1.2.0"), the newer release wins.
func (b *Backend) releases(ctx context.Context, c *sdk.Client, r repository) ([]release, error) {
	if !r.hasReleases {
		// Releases are turned off: the repository has no version, even
		// for an administrator whom Gitea still shows the old ones.
		b.log.Debug("Gitea repository skipped: its releases are turned off", "repository", r.owner+"/"+r.name)
		return nil, nil
	}
	var out []release
	seen := map[string]int{}
	for page := 1; page <= maxPages; page++ {
		rels, resp, err := c.ListReleases(r.owner, r.name, sdk.ListReleasesOptions{ListOptions: sdk.ListOptions{Page: page, PageSize: pageSize}})
		if err != nil {
			// Releases are on: a refusal is the credentials' (a token
			// without the read:repository scope) and fails the call.
			return nil, b.apiError(resp, err, "the releases of Gitea repository %s/%s", r.owner, r.name)
		}
		for _, rel := range rels {
			if rel.IsDraft {
				continue
			}
			sv, err := registry.ParseVersion(rel.TagName)
			if err != nil {
				b.log.Debug("Gitea release skipped: its tag is not a semantic version", "repository", r.owner+"/"+r.name, "tag", rel.TagName)
				continue
			}
			next := release{
				version:    sv,
				tag:        rel.TagName,
				prerelease: rel.IsPrerelease || sv.Prerelease() != "",
				published:  rel.PublishedAt,
				tarURL:     rel.TarURL,
			}
			if next.published.IsZero() {
				next.published = rel.CreatedAt
			}
			next.archive, next.sums = chooseAssets(r.name, rel.Attachments)
			key := sv.String()
			if i, dup := seen[key]; dup {
				if next.published.After(out[i].published) {
					out[i] = next
				}
				continue
			}
			seen[key] = len(out)
			out = append(out, next)
		}
		if resp == nil || resp.NextPage <= page || len(rels) == 0 {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].version.GreaterThan(out[j].version) })
	return out, nil
}

// current returns the index of the version an extension shows: the highest
// stable one, else the highest pre-release. rels is sorted newest first.
func current(rels []release) int {
	for i, r := range rels {
		if !r.prerelease {
			return i
		}
	}
	return 0
}

// chooseAssets picks the archive of a release, {repo}.tar.gz, else the
// first .tar.gz, .tgz or .zip asset, and the assets that may hold its
// checksum: {archive}.sha256, SHA256SUMS, checksums.txt, in that order
// (names compared without regard to case, except {repo}.tar.gz).
//
// "First" is the order of upload (Gitea's attachment IDs). Gitea lists a
// release's assets sorted by name in the collation of its database, which
// differs between SQLite, PostgreSQL and MySQL; the upload order is the
// same on every server and is the publisher's own.
//
// A release with no archive asset returns nil: its download is the tag's
// source archive, generated by Gitea (see Open).
func chooseAssets(repoName string, assets []*sdk.Attachment) (*sdk.Attachment, []*sdk.Attachment) {
	assets = slices.Clone(assets)
	slices.SortStableFunc(assets, func(a, b *sdk.Attachment) int { return cmp.Compare(a.ID, b.ID) })
	var archive *sdk.Attachment
	for _, a := range assets {
		if a.Name == repoName+".tar.gz" {
			archive = a
			break
		}
	}
	if archive == nil {
		for _, a := range assets {
			n := strings.ToLower(a.Name)
			if strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".tgz") || strings.HasSuffix(n, ".zip") {
				archive = a
				break
			}
		}
	}
	if archive == nil {
		return nil, nil
	}
	var sums []*sdk.Attachment
	for _, want := range []string{archive.Name + ".sha256", "SHA256SUMS", "checksums.txt"} {
		for _, a := range assets {
			if strings.EqualFold(a.Name, want) {
				sums = append(sums, a)
				break
			}
		}
	}
	return archive, sums
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

// List returns every extension of the configured organizations, each by
// its current version. A repository without a release that is a version is
// left out; when two repositories are the same extension, the first
// organization wins, then "_prov" over "_provider", and the other is logged
// once. A configured organization that does not exist, or that the
// credentials cannot see, fails the listing with ErrUnavailable (Gitea
// itself would list it as empty).
func (b *Backend) List(ctx context.Context) ([]registry.Extension, error) {
	c, err := b.client(ctx)
	if err != nil {
		return nil, err
	}
	var repos []repository
	for _, org := range b.orgs {
		rs, err := b.orgRepositories(ctx, c, org)
		if err != nil {
			return nil, err
		}
		repos = append(repos, rs...)
	}
	// Read the releases of every candidate at once, bounded.
	type found struct {
		rels []release
		sum  string
	}
	results := make([]found, len(repos))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for i, r := range repos {
		g.Go(func() error {
			rels, err := b.releases(gctx, c, r)
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
	sort.SliceStable(order, func(x, y int) bool {
		a, c := repos[order[x]], repos[order[y]]
		if orgRank[a.org] != orgRank[c.org] {
			return orgRank[a.org] < orgRank[c.org]
		}
		return a.rank < c.rank
	})
	winner := map[string]repository{}
	var out []registry.Extension
	for _, i := range order {
		r := repos[i]
		key := string(r.typ) + "/" + r.ext
		if w, taken := winner[key]; taken {
			b.logShadow(r, w)
			continue
		}
		winner[key] = r
		rels := results[i].rels
		out = append(out, b.extension(r, rels[current(rels)], results[i].sum))
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
	c, err := b.client(ctx)
	if err != nil {
		return registry.Extension{}, err
	}
	r, rels, err := b.findRepository(ctx, c, typ, name)
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
	c, err := b.client(ctx)
	if err != nil {
		return nil, err
	}
	r, rels, err := b.findRepository(ctx, c, typ, name)
	if err != nil {
		return nil, err
	}
	out := make([]registry.Version, len(rels))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for i, rel := range rels {
		g.Go(func() error {
			e := b.extension(r, rel, b.checksum(gctx, r, rel))
			out[i] = registry.Version{
				Version:     e.Version,
				PublishedAt: e.PublishedAt,
				DownloadURL: e.DownloadURL,
				Checksum:    e.Checksum,
				Size:        e.Size,
				Ref:         rel.tag,
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, b.statusError(0, err, "the releases of Gitea repository %s/%s", r.owner, r.name)
	}
	return out, nil
}
