package gitea

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	sdk "code.gitea.io/sdk/gitea"
	lru "github.com/hashicorp/golang-lru/v2"

	registry "github.com/provisioning-platform/extension-registry"
)

// Change detection: what the backend keeps between calls, and what proves
// it unchanged.
//
// Gitea 1.26 offers no conditional request on its release API (no ETag,
// no Last-Modified, no If-None-Match on /repos/{o}/{r}/releases), and a
// repository's updated_at moves with git pushes, not with releases made
// through the API or assets uploaded to them, so it proves nothing about
// releases. What the release list does say cheaply is its first page
// (newest first by creation) and the total count (X-Total-Count). So:
//
//   - Per repository (keyed by owner/name and Gitea's repository ID), the
//     versions read from its release list are kept with a signature of the
//     first page (each release's ID, tag, draft and pre-release flags,
//     dates, and its assets' IDs, names and sizes; not the download
//     counts, which move with every download) and the total count. A call
//     that reads the same first page and count reuses them without reading
//     the further pages; a repository whose releases fit on one page is
//     thus always exact.
//   - Checksums are kept per (repository, tag, archive asset, checksum
//     assets): a Gitea asset cannot change its bytes without becoming a new
//     asset with a new ID, so a checksum file is downloaded once.
//
// A refresh of an unchanged organization therefore costs one request for
// the organization, one per page of its repositories, and one release list
// request per extension repository with releases turned on; no further
// release page and no checksum download.
//
// What it can miss: on a repository with more releases than one page
// (Gitea's MAX_RESPONSE_ITEMS, 50 by default), a change confined to a
// release beyond the first page that leaves the count unchanged (an asset
// added, removed or renamed, the pre-release flag toggled, or, for
// credentials that see drafts, a draft published under an existing tag).
// Such a change is picked up at the latest fullRereadAfter after the
// pages were last read in full.

// fullRereadAfter bounds how long the further pages of a release list are
// reused without being read.
const fullRereadAfter = 10 * time.Minute

// Bounds on what the caches hold.
const (
	maxCachedRepositories = 10000
	maxCachedChecksums    = 50000
)

// releaseCache holds what the backend knows of repositories between calls.
// It is safe for concurrent use; the slices it returns are never modified.
type releaseCache struct {
	repos   *lru.Cache[string, repoEntry]
	servers *lru.Cache[string, repository] // "type/name" → the repository that served it last
	sums    *lru.Cache[string, string]
	now     func() time.Time
}

// repoEntry is what one repository's release list said.
type repoEntry struct {
	id   int64
	sig  string
	rels []release
	full time.Time // when every page was last read
}

func newReleaseCache() *releaseCache {
	repos, _ := lru.New[string, repoEntry](maxCachedRepositories)
	sums, _ := lru.New[string, string](maxCachedChecksums)
	servers, _ := lru.New[string, repository](maxCachedRepositories)
	return &releaseCache{repos: repos, servers: servers, sums: sums, now: time.Now}
}

func repoKey(r repository) string { return strings.ToLower(r.owner + "/" + r.name) }

// releases returns the versions kept for r when its release list's first
// page still has signature sig. With more pages, they are reused only
// within fullRereadAfter of their last full read.
func (c *releaseCache) releases(r repository, sig string, more bool) ([]release, bool) {
	e, ok := c.repos.Get(repoKey(r))
	if !ok || e.id != r.id || e.sig != sig {
		return nil, false
	}
	if more && c.now().Sub(e.full) >= fullRereadAfter {
		return nil, false
	}
	return e.rels, true
}

// known returns the versions last read for r, whatever the age.
func (c *releaseCache) known(r repository) ([]release, bool) {
	e, ok := c.repos.Get(repoKey(r))
	if !ok || e.id != r.id {
		return nil, false
	}
	return e.rels, true
}

// serve records that r serves its extension.
func (c *releaseCache) serve(r repository) {
	c.servers.Add(string(r.typ)+"/"+r.ext, r)
}

// server returns the repository that served the extension (typ, name)
// last.
func (c *releaseCache) server(typ registry.Type, name string) (repository, bool) {
	return c.servers.Get(string(typ) + "/" + name)
}

// storeReleases keeps the versions of r read in full with signature sig.
func (c *releaseCache) storeReleases(r repository, sig string, rels []release) {
	c.repos.Add(repoKey(r), repoEntry{id: r.id, sig: sig, rels: rels, full: c.now()})
}

// checksum returns the checksum kept for rel of r.
func (c *releaseCache) checksum(r repository, rel release) (string, bool) {
	return c.sums.Get(sumKey(r, rel))
}

// storeChecksum keeps the checksum read for rel of r.
func (c *releaseCache) storeChecksum(r repository, rel release, sum string) {
	c.sums.Add(sumKey(r, rel), sum)
}

// sumKey identifies what a checksum is read from: the repository, the tag,
// the archive asset and the checksum assets, by their Gitea IDs.
func sumKey(r repository, rel release) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d|%s|%d", r.id, rel.tag, rel.archive.ID)
	for _, a := range rel.sums {
		fmt.Fprintf(&sb, "|%d:%s", a.ID, a.Name)
	}
	return sb.String()
}

// signature digests what the first page of a release list says about the
// releases, and the total count Gitea announces.
func signature(resp *sdk.Response, page []*sdk.Release) string {
	h := sha256.New()
	if resp != nil && resp.Response != nil {
		fmt.Fprintf(h, "total=%s next=%d\n", resp.Header.Get("X-Total-Count"), resp.NextPage)
	}
	for _, r := range page {
		fmt.Fprintf(h, "%d|%q|%t|%t|%d|%d|%q\n", r.ID, r.TagName, r.IsDraft, r.IsPrerelease, r.PublishedAt.UnixNano(), r.CreatedAt.UnixNano(), r.TarURL)
		for _, a := range r.Attachments {
			fmt.Fprintf(h, "\t%d|%q|%d|%q\n", a.ID, a.Name, a.Size, a.DownloadURL)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
