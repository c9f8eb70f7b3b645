package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	registry "github.com/provisioning-platform/extension-registry"
)

// DefaultRevalidate is how long List trusts that an unchanged tag list
// means unchanged tags, before it checks the current version's digest
// again (see RemoteOptions.Revalidate).
const DefaultRevalidate = 10 * time.Minute

// List is called again and again (the index refreshes every interval), so
// it remembers, per repository, what the last call found, and re-reads only
// what changed. The cost of a List when nothing changed, per repository:
//
//   - remote registry: one tag listing, no manifest request, while the
//     repository's last check is younger than Revalidate; then one HEAD of
//     the current version's manifest (no GET while its digest is the same);
//   - layout store: one read of index.json, nothing else; index.json holds
//     every tag's digest, so a moved tag is seen at once.
//
// Plus the catalog (/v2/_catalog, one request per page) or the directory
// walk. A repository whose tags changed is read as on a first call, except
// that a manifest already read (same digest) is never fetched again.
//
// What a remote registry's tag list cannot show is a tag moved to a new
// manifest with the same set of tags (publishing a version again): List
// keeps serving the old manifest's description for at most Revalidate.

// refreshEntry is what List last found in one repository.
type refreshEntry struct {
	fingerprint string    // of the tags (remote) or of index.json (layout)
	exact       bool      // the fingerprint covers digests: no revalidation needed
	res         *resolved // nil: the repository holds no extension
	checked     time.Time // when res's current digest was last confirmed
}

// refreshCache holds the entries by repository path, bounded by the
// repositories of the last listing (see prune).
type refreshCache struct {
	mu      sync.Mutex
	entries map[string]*refreshEntry
}

func (c *refreshCache) get(path string) *refreshEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[path]
}

func (c *refreshCache) put(path string, e *refreshEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*refreshEntry{}
	}
	c.entries[path] = e
}

func (c *refreshCache) forget(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, path)
}

// prune drops the entries of repositories no longer listed.
func (c *refreshCache) prune(paths []string) {
	keep := make(map[string]bool, len(paths))
	for _, p := range paths {
		keep[p] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.entries {
		if !keep[p] {
			delete(c.entries, p)
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

// listRepo is resolveRepo(path, false) for List, re-using what the last
// List found when the repository did not change (see above).
func (b *Backend) listRepo(ctx context.Context, path string) (*resolved, error) {
	r, err := b.open(ctx, path)
	if err != nil {
		b.refresh.forget(path)
		return nil, err
	}
	vs, err := semverTags(ctx, r, path)
	if err != nil {
		b.refresh.forget(path)
		return nil, err
	}
	fp, exact := tagsFingerprint(vs), false
	if f, ok := r.(exactFingerprinter); ok {
		if sum, ok := f.fingerprint(); ok {
			fp, exact = sum, true
		}
	}
	now := b.now()
	if prev := b.refresh.get(path); prev != nil && prev.fingerprint == fp {
		switch {
		case exact, now.Sub(prev.checked) < b.revalidate:
			return prev.result()
		case prev.res != nil:
			// Revalidate: is the current tag still on the same manifest?
			desc, err := r.Resolve(ctx, prev.res.versions[0].Ref)
			if err == nil && desc.Digest.String() == prev.res.digest {
				b.refresh.put(path, &refreshEntry{fingerprint: fp, res: prev.res, checked: now})
				return prev.res, nil
			}
			if err != nil && !errors.Is(kindOf(err), registry.ErrNotFound) {
				return nil, wrap(err, "Resolving %s:%s", path, prev.res.versions[0].Ref)
			}
			if err == nil {
				// Moved: read it again below without a second HEAD.
				r = resolvedRepo{repo: r, ref: prev.res.versions[0].Ref, desc: desc}
			}
		}
	}
	res, err := b.resolveVersions(ctx, r, path, vs, false)
	switch {
	case errors.Is(err, errSkip):
		b.refresh.put(path, &refreshEntry{fingerprint: fp, exact: exact, checked: now})
	case err != nil:
		b.refresh.forget(path)
	default:
		b.refresh.put(path, &refreshEntry{fingerprint: fp, exact: exact, res: res, checked: now})
	}
	return res, err
}

// resolvedRepo answers Resolve of one reference with a descriptor already
// obtained.
type resolvedRepo struct {
	repo
	ref  string
	desc ocispec.Descriptor
}

func (r resolvedRepo) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	if reference == r.ref {
		return r.desc, nil
	}
	return r.repo.Resolve(ctx, reference)
}

// result returns the remembered answer: the extension, or errSkip.
func (e *refreshEntry) result() (*resolved, error) {
	if e.res == nil {
		return nil, errSkip
	}
	return e.res, nil
}
