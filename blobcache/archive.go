package blobcache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	registry "github.com/provisioning-platform/extension-registry"
)

// nameSuffix ends the file beside a blob that holds its file name.
const nameSuffix = ".name"

// maxNameLen bounds a stored file name.
const maxNameLen = 1024

// Open returns the archive of checksum (size bytes) as the catalog's
// BlobCache seam asks for it: from disk when the cache holds it (Body is
// the verified *os.File, FileName the one the backend gave when the blob
// was filled), else through one shared fill of the archive fetch opens
// (see Stream: Body fails rather than end a mismatching archive). A
// checksum that is not a sha256 digest, an unknown size (0 or less), a blob
// too large for the cache, or a nil (off) cache: the archive fetch returns,
// as it is. Errors of fetch are returned unchanged, so that their kinds
// (registry.ErrNotFound, ErrUnavailable, ...) reach the face.
//
// The file name is kept per blob, as the name of the latest fill: the
// catalog replaces it with the name of the version it serves when the
// version has one (two extensions may share one blob's bytes).
func (c *Cache) Open(ctx context.Context, checksum string, size int64, fetch func(context.Context) (*registry.Archive, error)) (*registry.Archive, error) {
	hex, err := parseDigest(checksum)
	if c == nil || err != nil || size <= 0 {
		return fetch(ctx)
	}
	open := func(ctx context.Context) (io.ReadCloser, string, error) {
		a, err := fetch(ctx)
		if err != nil {
			return nil, "", err
		}
		return a.Body, a.FileName, nil
	}
	file, r, err := c.acquire(ctx, hex, size, open)
	switch {
	case errors.Is(err, ErrNotCacheable):
		return fetch(ctx)
	case err != nil:
		return nil, err
	case file != nil:
		return &registry.Archive{Body: file, Size: size, FileName: c.readName(hex), Checksum: checksum, Ranged: true}, nil
	}
	select {
	case <-r.f.opened:
	case <-ctx.Done():
		r.Close()
		return nil, ctx.Err()
	}
	if _, _, ferr, _ := r.f.readable(); ferr != nil {
		r.Close()
		return nil, ferr
	}
	// Ranged: this first download streams the fill, the next ones are
	// served from the file, with ranges.
	return &registry.Archive{Body: r, Size: size, FileName: r.f.name, Checksum: checksum, Ranged: true}, nil
}

// Cacheable reports whether Open would keep the archive of checksum (size
// bytes): the cache is on and open, the checksum a sha256 digest, the size
// known and at most the cache's. The catalog answers a HEAD with it
// (Accept-Ranges) without opening the archive.
func (c *Cache) Cacheable(checksum string, size int64) bool {
	if _, err := parseDigest(checksum); c == nil || err != nil || size <= 0 || size > c.maxSize {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closed
}

// writeName stores the file name of a blob beside it, atomically.
func (c *Cache) writeName(hex, name string) error {
	if len(name) > maxNameLen {
		name = name[:maxNameLen]
	}
	tmp, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), hex+"-*.name")
	if err != nil {
		return fmt.Errorf("blobcache: store file name: %w", err)
	}
	_, werr := tmp.WriteString(name)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), c.blobPath(hex)+nameSuffix)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("blobcache: store file name: %w", werr)
	}
	return nil
}

// readName returns the stored file name of a blob, or "".
func (c *Cache) readName(hex string) string {
	f, err := os.Open(c.blobPath(hex) + nameSuffix)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, maxNameLen))
	return string(b)
}
