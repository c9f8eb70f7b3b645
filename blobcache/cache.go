// Package blobcache keeps downloaded archives on local disk, addressed by
// their sha256 digest, so that later downloads are served from disk (with
// Range and ETag through http.ServeContent) and keep working while the
// backend is down.
//
// A blob is filled once from the backend, by one fetch shared by every
// client that asks for it meanwhile; it is written to a temporary file,
// verified against its digest and size as it is filled, synced, and only then
// renamed into place, so a partly written or mismatching blob is never served
// nor kept. Blobs are evicted least recently used beyond a total size. The
// cache survives a restart: Open rebuilds the LRU from the directory (oldest
// modification time first) and deletes leftovers of interrupted fills.
//
// Layout under the directory:
//
//	sha256/<first two hex digits>/<64 hex digits>        verified blobs
//	sha256/<first two hex digits>/<64 hex digits>.name   the file name a backend gave it
//	tmp/                                                 fills in progress
package blobcache

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	registry "github.com/provisioning-platform/extension-registry"
)

// Errors returned by the cache. They wrap no backend kind: a caller that gets
// ErrNotCacheable streams from the backend as it would without a cache.
var (
	// ErrInvalidDigest: the digest is not "sha256:" and 64 lower-case hex digits.
	ErrInvalidDigest = errors.New("blobcache: not a sha256 digest")
	// ErrNotCacheable: the cache is off, the size is unknown, or the blob is
	// larger than the cache.
	ErrNotCacheable = errors.New("blobcache: blob not cacheable")
	// ErrMismatch: the backend's bytes do not have the expected digest or size.
	ErrMismatch = fmt.Errorf("blobcache: %w", registry.ErrChecksumMismatch)
	// ErrStalled: the backend sent nothing for too long while filling.
	ErrStalled = errors.New("blobcache: the backend sent nothing for too long")
)

// touchEvery is how stale a blob's modification time may grow before a hit
// renews it. The time orders the LRU again after a restart; renewing it at
// most this often keeps hits free of a write per request.
const touchEvery = time.Minute

// Cache is a size-bounded, content-addressed cache of blobs on disk. It is
// safe for concurrent use. A nil *Cache is a cache that is off: Get always
// misses, Fetch and Stream return ErrNotCacheable.
type Cache struct {
	dir     string
	maxSize int64
	log     *slog.Logger

	mu       sync.Mutex
	lru      *simplelru.LRU[string, *entry] // verified blobs by hex digest
	total    int64                          // bytes of the blobs in lru
	reserved int64                          // bytes promised to fills in flight
	flights  map[string]*flight             // fills in flight by hex digest
	stats    Stats
	closed   bool
	fills    sync.WaitGroup // fill goroutines running
}

// entry is one verified blob.
type entry struct {
	size    int64
	touched time.Time // last modification time set on disk
}

// Stats counts what the cache did since it was opened, and what it holds.
type Stats struct {
	// Entries and Bytes are the verified blobs held; MaxBytes the bound.
	Entries  int   `json:"entries"`
	Bytes    int64 `json:"bytes"`
	MaxBytes int64 `json:"max_bytes"`
	// Hits are requests served from disk, Misses requests that needed a
	// fill (joining one already in flight counts as a miss too).
	Hits   int64 `json:"hits"`
	Misses int64 `json:"misses"`
	// Fetches counts the fills started (backend downloads); Failed the
	// fills that did not end in a verified blob (mismatch, broken stream,
	// cancelled); Evictions the blobs removed to make room.
	Fetches   int64 `json:"fetches"`
	Failed    int64 `json:"failed"`
	Evictions int64 `json:"evictions"`
}

// Open opens (creating it when missing) the cache directory dir, bounded to
// maxSize bytes. maxSize 0 or less returns a nil *Cache, which is off. Blobs
// already in dir are indexed, oldest first by modification time, and evicted
// when they exceed maxSize; temporary files of interrupted fills and files
// that are not blobs are deleted. log may be nil.
func Open(dir string, maxSize int64, log *slog.Logger) (*Cache, error) {
	if maxSize <= 0 {
		return nil, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.RemoveAll(filepath.Join(dir, "tmp")); err != nil {
		return nil, fmt.Errorf("blobcache: remove temporary files: %w", err)
	}
	for _, d := range []string{filepath.Join(dir, "tmp"), filepath.Join(dir, "sha256")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("blobcache: create %s: %w", d, err)
		}
	}
	lru, err := simplelru.NewLRU[string, *entry](math.MaxInt, nil)
	if err != nil {
		return nil, fmt.Errorf("blobcache: %w", err)
	}
	c := &Cache{dir: dir, maxSize: maxSize, log: log, lru: lru, flights: map[string]*flight{}}
	if err := c.load(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.evictLocked(0)
	c.mu.Unlock()
	return c, nil
}

// Close cancels the fills in flight (their readers fail, their partial
// blobs are deleted) and waits for them to end. Verified blobs stay on disk
// for the next Open. Afterwards Stream and Fetch no longer fill: Stream
// streams from the backend, Fetch returns ErrNotCacheable. Close on a nil
// Cache does nothing.
func (c *Cache) Close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.closed = true
	for _, f := range c.flights {
		f.cancel()
	}
	c.mu.Unlock()
	c.fills.Wait()
}

// found is a blob met while loading the directory.
type found struct {
	hex     string
	size    int64
	modTime time.Time
}

// load indexes the blobs under sha256/, deleting anything else found there.
func (c *Cache) load() error {
	root := filepath.Join(c.dir, "sha256")
	var blobs []found
	var names []string // blobs' file names, kept only beside their blob
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if len(rel) != 2 || !isHex(rel) {
				c.log.Warn("blob cache: removing unexpected directory", "path", path)
				_ = os.RemoveAll(path)
				return filepath.SkipDir
			}
			return nil
		}
		name := filepath.Base(path)
		if hexName, ok := strings.CutSuffix(name, nameSuffix); ok && len(hexName) == 64 && isHex(hexName) && d.Type().IsRegular() {
			names = append(names, hexName)
			return nil
		}
		info, ierr := d.Info()
		if !d.Type().IsRegular() || ierr != nil || len(name) != 64 || !isHex(name) || filepath.Dir(rel) != name[:2] {
			c.log.Warn("blob cache: removing unexpected file", "path", path)
			_ = os.Remove(path)
			return nil
		}
		blobs = append(blobs, found{hex: name, size: info.Size(), modTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("blobcache: read %s: %w", root, err)
	}
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].modTime.Before(blobs[j].modTime) })
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range blobs {
		c.lru.Add(b.hex, &entry{size: b.size, touched: b.modTime})
		c.total += b.size
	}
	for _, hex := range names {
		if !c.lru.Contains(hex) {
			_ = os.Remove(c.blobPath(hex) + nameSuffix)
		}
	}
	if len(blobs) > 0 {
		c.log.Info("blob cache loaded", "dir", c.dir, "blobs", len(blobs), "bytes", c.total)
	}
	return nil
}

// Get opens the verified blob of digest when the cache holds it, and marks
// it recently used. The caller closes the file; it stays readable even if
// the blob is evicted meanwhile.
func (c *Cache) Get(digest string) (*os.File, int64, bool) {
	if c == nil {
		return nil, 0, false
	}
	hex, err := parseDigest(digest)
	if err != nil {
		return nil, 0, false
	}
	f, size, ok := c.open(hex)
	c.mu.Lock()
	if ok {
		c.stats.Hits++
	}
	c.mu.Unlock()
	return f, size, ok
}

// open opens a verified blob without counting a hit or a miss.
func (c *Cache) open(hex string) (*os.File, int64, bool) {
	c.mu.Lock()
	f, size, ok, touch := c.openLocked(hex)
	c.mu.Unlock()
	if touch {
		c.touch(hex)
	}
	return f, size, ok
}

// openLocked opens a verified blob; c.mu is held, so an eviction cannot
// remove the file first. A blob whose file vanished behind the cache's back
// is forgotten. touch says the caller should renew the blob's modification
// time (c.touch, without the lock).
func (c *Cache) openLocked(hex string) (f *os.File, size int64, ok, touch bool) {
	e, found := c.lru.Get(hex)
	if !found {
		return nil, 0, false, false
	}
	f, err := os.Open(c.blobPath(hex))
	if err != nil {
		c.lru.Remove(hex)
		c.total -= e.size
		c.log.Warn("blob cache: blob vanished", "digest", "sha256:"+hex, "error", err)
		return nil, 0, false, false
	}
	if time.Since(e.touched) > touchEvery {
		e.touched = time.Now()
		touch = true
	}
	return f, e.size, true, touch
}

// touch renews a blob's modification time, which orders the LRU again
// after a restart.
func (c *Cache) touch(hex string) {
	now := time.Now()
	_ = os.Chtimes(c.blobPath(hex), now, now)
}

// Stats returns the counters and the current contents' size.
func (c *Cache) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries, s.Bytes, s.MaxBytes = c.lru.Len(), c.total, c.maxSize
	return s
}

// evictLocked removes least recently used blobs until need more bytes fit
// beside the blobs held and the fills in flight. c.mu is held.
func (c *Cache) evictLocked(need int64) {
	for c.total+c.reserved+need > c.maxSize {
		hex, e, ok := c.lru.RemoveOldest()
		if !ok {
			return
		}
		c.total -= e.size
		c.stats.Evictions++
		if err := os.Remove(c.blobPath(hex)); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("blob cache: cannot remove evicted blob", "digest", "sha256:"+hex, "error", err)
		}
		_ = os.Remove(c.blobPath(hex) + nameSuffix)
	}
}

// blobPath is where the verified blob of a hex digest lives.
func (c *Cache) blobPath(hex string) string {
	return filepath.Join(c.dir, "sha256", hex[:2], hex)
}

// parseDigest returns the hex part of "sha256:<64 lower-case hex digits>".
func parseDigest(digest string) (string, error) {
	const prefix = "sha256:"
	if len(digest) != len(prefix)+64 || digest[:len(prefix)] != prefix || !isHex(digest[len(prefix):]) {
		return "", ErrInvalidDigest
	}
	return digest[len(prefix):], nil
}

// isHex reports whether s holds only lower-case hex digits.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}
