package blobcache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/provisioning-platform/extension-registry/internal/upstream"
)

// acquire returns the verified blob when the cache holds it; else a reader
// attached to the fill of the blob, starting that fill (which calls open)
// when none is in flight. It returns ErrNotCacheable when the blob cannot be
// cached: unknown size, larger than the cache, or no room beside the fills
// in flight.
func (c *Cache) acquire(ctx context.Context, hex string, size int64, open openNamed) (*os.File, *fillReader, error) {
	for {
		file, r, wait, err := c.acquireOnce(ctx, hex, size, open)
		if wait == nil {
			return file, r, err
		}
		// The blob is verified and about to be in place (made durable,
		// renamed): a request arriving now gets it from disk, with Range
		// and ETag, as one arriving a moment later would.
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// acquireOnce is one attempt of acquire; wait is set when the blob's fill is
// settling, to be waited on before trying again.
func (c *Cache) acquireOnce(ctx context.Context, hex string, size int64, open openNamed) (_ *os.File, _ *fillReader, wait <-chan struct{}, _ error) {
	touch := false
	defer func() { // after the unlock below: no disk write under the lock
		if touch {
			c.touch(hex)
		}
	}()
	c.mu.Lock()
	defer c.mu.Unlock()
	if file, _, ok, renew := c.openLocked(hex); ok {
		c.stats.Hits++
		touch = renew
		return file, nil, nil, nil
	}
	if f := c.flights[hex]; f != nil {
		if wait := f.settling(); wait != nil {
			return nil, nil, wait, nil
		}
		r, err := c.attachLocked(ctx, f)
		if err == nil {
			c.stats.Misses++
		}
		return nil, r, nil, err
	}
	if size < 0 || size > c.maxSize || c.closed {
		return nil, nil, nil, ErrNotCacheable
	}
	c.evictLocked(size)
	if c.total+c.reserved+size > c.maxSize {
		return nil, nil, nil, ErrNotCacheable
	}
	writer, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), hex+"-*")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("blobcache: create temporary file: %w", err)
	}
	// The fill outlives its first reader, but its retries respect that
	// reader's deadline (a Retry-After past it comes back as the 429).
	fctx, cancel := context.WithCancel(upstream.WithRetryDeadline(context.WithoutCancel(ctx), ctx))
	f := &flight{
		hex: hex, size: size, tmpPath: writer.Name(), writer: writer,
		ctx: fctx, cancel: cancel, opened: make(chan struct{}), changed: make(chan struct{}),
	}
	r, err := c.attachLocked(ctx, f)
	if err != nil {
		cancel()
		writer.Close()
		os.Remove(f.tmpPath)
		return nil, nil, nil, err
	}
	c.flights[hex] = f
	c.reserved += size
	c.stats.Misses++
	c.stats.Fetches++
	c.fills.Add(1)
	go func() {
		defer c.fills.Done()
		c.fill(f, open)
	}()
	return nil, r, nil, nil
}

// attachLocked opens a reader of the fill's temporary file. c.mu is held,
// which keeps the fill from renaming the file meanwhile.
func (c *Cache) attachLocked(ctx context.Context, f *flight) (*fillReader, error) {
	file, err := os.Open(f.tmpPath)
	if err != nil {
		return nil, fmt.Errorf("blobcache: open fill: %w", err)
	}
	f.n++
	return &fillReader{c: c, f: f, file: file, ctx: ctx}, nil
}

// detach uncounts a reader; the last one to leave a fill that has not ended
// cancels it, and forgets it so that the next request starts afresh.
func (c *Cache) detach(f *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.n--
	if f.n > 0 {
		return
	}
	f.mu.Lock()
	verified := f.verified
	f.mu.Unlock()
	if verified {
		return // nothing left to download: let it move into place
	}
	f.cancel()
	if c.flights[f.hex] == f {
		delete(c.flights, f.hex)
	}
}
