package blobcache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Stream returns the blob of digest (size bytes) for reading, without
// waiting for the whole blob:
//
//   - when the cache holds it, the verified file (an *os.File, so that the
//     caller can serve it with ServeBlob: Range, ETag, sendfile), without
//     calling open;
//   - else a reader that follows the fill of the blob as it is written: the
//     first request starts one fill (one backend download through open),
//     every request for the blob meanwhile reads the same fill. The reader
//     never hands out the blob's last byte before the whole blob has been
//     verified: when the digest or size does not match, or the backend
//     stream breaks, Read returns an error (ErrMismatch, ErrStalled, or the
//     backend's error) and the caller must cut its response, so that its
//     client never holds a complete-looking wrong file;
//   - when the blob cannot be cached (the cache is off, the digest is not
//     a sha256, the size is unknown or larger than the cache), the stream
//     open returns, unverified by the cache, as it would be without one.
//
// Stream returns once the backend has answered the open: an error of open
// (for a fill this request started or joined) is returned here, before the
// caller has sent anything. ctx bounds the reads of this caller only; the
// fill goes on while any reader remains, and is cancelled (its partial blob
// deleted) when the last one is closed before it ended. The caller closes
// the returned reader.
func (c *Cache) Stream(ctx context.Context, digest string, size int64, open OpenFunc) (io.ReadCloser, error) {
	if c == nil {
		return open(ctx)
	}
	hex, err := parseDigest(digest)
	if err != nil {
		return open(ctx)
	}
	file, r, err := c.acquire(ctx, hex, size, unnamed(open))
	switch {
	case errors.Is(err, ErrNotCacheable):
		return open(ctx)
	case err != nil:
		return nil, err
	case file != nil:
		return file, nil
	}
	select {
	case <-r.f.opened:
	case <-ctx.Done():
		r.Close()
		return nil, ctx.Err()
	}
	if _, _, ferr, _ := r.f.state(); ferr != nil {
		r.Close()
		return nil, ferr
	}
	return r, nil
}

// Fetch returns the verified file of the blob of digest, filling the cache
// from open first when it does not hold it (one backend download for all
// concurrent callers). It waits for the whole blob. Unlike Stream it never
// falls back to the backend's stream: a blob the cache cannot hold returns
// ErrNotCacheable or ErrInvalidDigest. The caller closes the file.
func (c *Cache) Fetch(ctx context.Context, digest string, size int64, open OpenFunc) (*os.File, int64, error) {
	if c == nil {
		return nil, 0, ErrNotCacheable
	}
	hex, err := parseDigest(digest)
	if err != nil {
		return nil, 0, err
	}
	file, r, err := c.acquire(ctx, hex, size, unnamed(open))
	if err != nil {
		return nil, 0, err
	}
	if file != nil {
		st, err := file.Stat()
		if err != nil {
			file.Close()
			return nil, 0, fmt.Errorf("blobcache: %w", err)
		}
		return file, st.Size(), nil
	}
	for {
		_, complete, ferr, changed := r.f.readable()
		if ferr != nil {
			r.Close()
			return nil, 0, ferr
		}
		if complete {
			// In place before Fetch returns, as its callers expect.
			r.f.settled(ctx)
			// The reader's descriptor is the verified blob's, whatever
			// has been evicted since.
			file := r.file
			r.file = nil
			r.Close()
			return file, r.f.size, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			r.Close()
			return nil, 0, ctx.Err()
		}
	}
}

// fillReader reads a blob as its fill writes it.
type fillReader struct {
	c      *Cache
	f      *flight
	file   *os.File // the temporary file, opened for reading
	ctx    context.Context
	pos    int64
	ended  bool // Read returned io.EOF: every byte was verified
	closed bool
}

// Read returns the bytes written so far past the reader's position,
// waiting for more when it has read them all, except the last byte of the
// blob, which it returns only once the fill has verified the whole blob.
func (r *fillReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, os.ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		limit, complete, err, changed := r.f.readable()
		if err != nil {
			return 0, err
		}
		if r.pos < limit {
			n := min(int64(len(p)), limit-r.pos)
			m, rerr := r.file.ReadAt(p[:n], r.pos)
			r.pos += int64(m)
			if rerr != nil && !errors.Is(rerr, io.EOF) {
				return m, fmt.Errorf("blobcache: read fill: %w", rerr)
			}
			if m > 0 {
				return m, nil
			}
		}
		if complete && r.pos >= limit {
			r.ended = true
			return 0, io.EOF
		}
		select {
		case <-changed:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
}

// WriteTo copies the rest of the blob to w as the fill writes it, in large
// writes; io.Copy uses it. It fails like Read.
func (r *fillReader) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, copyBuffer)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Close releases the reader; the last reader of an unfinished fill cancels
// it. A reader that read the whole blob returned its end as soon as the
// blob was verified, before the fill made it durable and moved it into
// place; Close waits for that (bounded by the disk, not by the backend), so
// that once a client's download is over, the next request is a hit.
func (r *fillReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.ended {
		r.f.settled(context.WithoutCancel(r.ctx))
	}
	if r.file != nil {
		r.file.Close()
	}
	r.c.detach(r.f)
	return nil
}
