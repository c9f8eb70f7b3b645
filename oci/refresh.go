package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// DefaultRevalidate is how long List and ListVersions trust that an
// unchanged tag list means unchanged tags, before they read the repository
// again (see RemoteOptions.Revalidate).
const DefaultRevalidate = 10 * time.Minute

// List and ListVersions are called again and again (the index refreshes
// every interval), so they remember, per repository, what the last call
// found, and re-read only what changed. The cost of a call when nothing
// changed, per repository:
//
//   - remote registry: one tag listing, no manifest request, while the
//     repository was read less than Revalidate ago (less a random part of
//     up to a quarter, spreading the re-reads over several refreshes); then
//     the repository is read again: one HEAD per version described (List: the current one;
//     ListVersions: all), no GET while the digests are the same;
//   - layout store: one read of index.json, nothing else; index.json holds
//     every tag's digest, so a moved tag is seen at once.
//
// Plus the catalog (/v2/_catalog, one request per page) or the directory
// walk. A repository whose tags changed is read as on a first call, except
// that a manifest already read (same digest) is never fetched again.
//
// What a remote registry's tag list cannot show is a tag moved to a new
// manifest with the same set of tags (publishing a version again): the old
// manifest's description is served for at most Revalidate. docs/oci.md
// gives the measured figures.

// refreshKey names one remembered answer: a repository read with all its
// versions (ListVersions) or only the current one (List).
type refreshKey struct {
	path string
	all  bool
}

// refreshEntry is what List or ListVersions last found in one repository.
type refreshEntry struct {
	fingerprint string    // of the tags (remote) or of index.json (layout)
	res         *resolved // nil: the repository holds no extension
	due         time.Time // when the repository must be read in full again
}

// refreshCache holds the entries, bounded by the repositories of the last
// listing (see prune).
type refreshCache struct {
	mu      sync.Mutex
	entries map[refreshKey]*refreshEntry
	// owners maps "type/name" to the repository the last complete listing
	// served the extension from, for Open to go straight to it.
	owners map[string]string
}

// setOwners replaces the owners with those of a complete listing.
func (c *refreshCache) setOwners(found map[string]*resolved) {
	owners := make(map[string]string, len(found))
	for key, res := range found {
		owners[key] = res.path
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.owners = owners
}

// owner returns the repository that held (typ, name) at the last listing.
func (c *refreshCache) owner(typ registry.Type, name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.owners[string(typ)+"/"+name]
	return p, ok
}

func (c *refreshCache) get(k refreshKey) *refreshEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[k]
}

func (c *refreshCache) put(k refreshKey, e *refreshEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[refreshKey]*refreshEntry{}
	}
	c.entries[k] = e
}

func (c *refreshCache) forget(k refreshKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}

// forgetRepository drops both answers of the repository at path.
func (c *refreshCache) forgetRepository(path string) {
	c.forget(refreshKey{path: path, all: false})
	c.forget(refreshKey{path: path, all: true})
}

// reconcile drops what List or ListVersions remember of the repository at
// path when a fresh read of it (by Get, Versions or Publish) found, under
// the same tags, other manifests than remembered: a moved tag that a direct
// read has shown (after a webhook, say) is never hidden again by the
// memory until Revalidate.
func (c *refreshCache) reconcile(path, fingerprint string, fresh *resolved, all bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range []refreshKey{{path, false}, {path, true}} {
		e := c.entries[k]
		if e == nil || e.res == nil || e.fingerprint != fingerprint {
			continue // nothing remembered, or the tags differ anyway
		}
		if e.res.digest != fresh.digest || (all && k.all && !sameVersions(e.res.versions, fresh.versions)) {
			delete(c.entries, k)
		}
	}
}

// sameVersions reports whether two version lists name the same versions
// with the same archives.
func sameVersions(a, b []registry.Version) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Version != b[i].Version || a[i].Checksum != b[i].Checksum {
			return false
		}
	}
	return true
}

// prune drops the entries of repositories no longer listed.
func (c *refreshCache) prune(paths []string) {
	keep := make(map[string]bool, len(paths))
	for _, p := range paths {
		keep[p] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if !keep[k.path] {
			delete(c.entries, k)
		}
	}
}

// exactFingerprinter is implemented by repositories that can name their
// whole state, digests included, without a request (the layout store's
// index.json checksum).
type exactFingerprinter interface {
	fingerprint() (string, bool)
}

// tagsFingerprint names a repository's versions and their tags.
func tagsFingerprint(vs []registry.Version) string {
	h := sha256.New()
	for _, v := range vs {
		h.Write([]byte(v.Version + "\x00" + v.Ref + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// listRepo is resolveRepo(path, all) for List and ListVersions, re-using
// what the last call found when the repository did not change (see above).
// Revalidating is reading the repository again: a HEAD of each version it
// describes, and a GET only of a manifest whose digest was never read.
func (b *Backend) listRepo(ctx context.Context, path string, all bool) (*resolved, error) {
	key := refreshKey{path: path, all: all}
	r, err := b.open(ctx, path)
	if err != nil {
		b.refresh.forget(key)
		return nil, err
	}
	vs, err := semverTags(ctx, r, path)
	if err != nil {
		b.refresh.forget(key)
		return nil, err
	}
	fp, exact := tagsFingerprint(vs), false
	if f, ok := r.(exactFingerprinter); ok {
		if sum, ok := f.fingerprint(); ok {
			fp, exact = sum, true
		}
	}
	now := b.now()
	if prev := b.refresh.get(key); prev != nil && prev.fingerprint == fp && (exact || now.Before(prev.due)) {
		return prev.result()
	}
	rctx := ctx
	if b.refresh.get(refreshKey{path: path, all: true}) == nil && b.refresh.get(refreshKey{path: path, all: false}) == nil {
		// No manifest of this repository read yet: no HEAD could spare
		// a GET.
		rctx = withFirstRead(ctx)
	}
	res, err := b.resolveVersions(rctx, r, path, vs, all)
	switch {
	case errors.Is(err, errSkip):
		b.refresh.put(key, &refreshEntry{fingerprint: fp, due: b.revalidateAt(now)})
	case err != nil:
		b.refresh.forget(key)
	default:
		b.refresh.put(key, &refreshEntry{fingerprint: fp, res: res, due: b.revalidateAt(now)})
	}
	return res, err
}

// revalidateAt returns when a repository read at now is read again while
// its tags stay the same: after Revalidate less up to a quarter of it, at
// random, so that the repositories of one first read do not all come due
// in the same refresh.
func (b *Backend) revalidateAt(now time.Time) time.Time {
	return now.Add(b.revalidate - rand.N(b.revalidate/4+1))
}

// result returns the remembered answer: the extension, or errSkip.
func (e *refreshEntry) result() (*resolved, error) {
	if e.res == nil {
		return nil, errSkip
	}
	return e.res, nil
}
