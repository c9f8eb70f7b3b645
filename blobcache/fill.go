package blobcache

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// idleTimeout is how long a fill waits for the next bytes from the backend
// before it gives up (ErrStalled). A variable so that tests can shorten it.
var idleTimeout = 60 * time.Second

// copyBuffer is the size of the reads from the backend and of the writes
// to a client that follows a fill.
const copyBuffer = 256 << 10

// OpenFunc opens the blob's bytes at the backend. It is called at most once
// per fill, with a context that ends when the last client waiting for the
// fill has gone.
type OpenFunc func(ctx context.Context) (io.ReadCloser, error)

// openNamed is an OpenFunc that also names the file the blob is saved
// under (the backend's file name, kept beside the blob), or "".
type openNamed func(ctx context.Context) (io.ReadCloser, string, error)

// unnamed turns an OpenFunc into an openNamed without a name.
func unnamed(open OpenFunc) openNamed {
	return func(ctx context.Context) (io.ReadCloser, string, error) {
		rc, err := open(ctx)
		return rc, "", err
	}
}

// flight is one fill in progress: a backend download written into a
// temporary file that every client asking for the blob meanwhile reads as
// it grows.
type flight struct {
	hex     string
	size    int64
	tmpPath string
	writer  *os.File
	ctx     context.Context
	cancel  context.CancelFunc
	opened  chan struct{} // closed once the backend answered the open
	name    string        // the backend's file name; set before opened is closed
	n       int           // readers attached; guarded by Cache.mu

	mu      sync.Mutex
	written int64
	done    bool
	// verified is set once every byte has been written and matched the
	// digest and size, possibly before done.
	verified bool
	err      error         // why the fill failed; nil while running or on success
	changed  chan struct{} // closed and replaced at every change
}

// state returns what a reader needs to know, under the flight's lock.
func (f *flight) state() (written int64, done bool, err error, changed <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written, f.done, f.err, f.changed
}

// readable returns how many bytes readers may have: all of them once the
// blob is verified, else all but its last byte. complete is set once every
// byte has been written and verified: a reader may end there, while the
// fill makes the blob durable and moves it into place (which does not
// change the bytes a reader got, whether it succeeds or not). err is why
// the fill failed before verifying.
func (f *flight) readable() (limit int64, complete bool, err error, changed <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.verified {
		return f.written, true, nil, f.changed
	}
	if f.err != nil {
		return 0, false, f.err, f.changed
	}
	return min(f.written, f.size-1), false, nil, f.changed
}

// settling returns a channel to wait on when the fill has verified the
// blob but not yet moved it into place, else nil.
func (f *flight) settling() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.verified && !f.done {
		return f.changed
	}
	return nil
}

// settled waits until a verified fill has ended (the blob made durable and
// in place, or given up), or ctx ends.
func (f *flight) settled(ctx context.Context) {
	for {
		wait := f.settling()
		if wait == nil {
			return
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return
		}
	}
}

// update records progress or the end and wakes every waiting reader.
func (f *flight) update(fn func()) {
	f.mu.Lock()
	fn()
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

// fill downloads the blob into the flight's temporary file, verifying its
// size and digest, and moves it into place when they match.
func (c *Cache) fill(f *flight, open openNamed) {
	err := c.download(f, open)
	if err == nil {
		// Verified: readers may have the tail now, while the blob is
		// made durable and moved into place.
		f.update(func() { f.verified = true })
		err = f.writer.Sync()
	}
	if cerr := f.writer.Close(); err == nil && cerr != nil {
		err = cerr
	}
	final := c.blobPath(f.hex)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(final), 0o750)
	}
	if err == nil && f.name != "" {
		// In place before the blob is, so that every hit has it.
		err = c.writeName(f.hex, f.name)
	}
	c.mu.Lock()
	if err == nil {
		// Under the lock: no reader can be attaching to the old path.
		err = os.Rename(f.tmpPath, final)
	}
	c.reserved -= f.size
	if c.flights[f.hex] == f {
		delete(c.flights, f.hex)
	}
	if err == nil {
		c.lru.Add(f.hex, &entry{size: f.size, touched: time.Now()})
		c.total += f.size
		c.evictLocked(0)
	} else {
		c.stats.Failed++
	}
	c.mu.Unlock()
	if err == nil {
		syncDir(filepath.Dir(final))
	} else {
		os.Remove(f.tmpPath)
		if !errors.Is(err, context.Canceled) {
			c.log.Warn("blob cache: fill failed", "digest", "sha256:"+f.hex, "error", err)
		}
	}
	f.update(func() { f.done, f.err = true, err })
	f.cancel()
}

// download opens the backend stream and copies it into the temporary file,
// publishing progress, and checks the size and digest at the end.
func (c *Cache) download(f *flight, open openNamed) error {
	body, name, err := open(f.ctx)
	if err != nil {
		f.update(func() { f.err = err })
		close(f.opened)
		return err
	}
	f.name = name
	close(f.opened)
	defer body.Close()
	var src io.Reader = body
	if dc, ok := body.(DigestChecked); ok {
		// The cache checks the same digest and size below: once is enough.
		if raw, ok := dc.WithoutCheck("sha256:"+f.hex, f.size); ok {
			src = raw
		}
	}
	var stalled atomic.Bool
	timer := time.AfterFunc(idleTimeout, func() { stalled.Store(true); body.Close() })
	defer timer.Stop()
	h := newHasher()
	defer h.stop()
	// Two buffers: the backend fills one while the other is hashed (and
	// written to disk, side by side with its hashing).
	bufs := [2][]byte{make([]byte, copyBuffer), make([]byte, copyBuffer)}
	cur := 0
	var n int64
	for {
		m, rerr := src.Read(bufs[cur])
		timer.Reset(idleTimeout)
		if m > 0 {
			if n+int64(m) > f.size {
				return fmt.Errorf("%w: more than the expected %d bytes", ErrMismatch, f.size)
			}
			h.wait() // the other buffer's chunk: hashed, free again
			h.start(bufs[cur][:m])
			if _, werr := f.writer.Write(bufs[cur][:m]); werr != nil {
				return fmt.Errorf("blobcache: write: %w", werr)
			}
			n += int64(m)
			f.update(func() { f.written = n })
			cur ^= 1
		}
		if stalled.Load() {
			return ErrStalled
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			if ctxErr := f.ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return fmt.Errorf("blobcache: read from backend: %w", rerr)
		}
	}
	if n != f.size {
		return fmt.Errorf("%w: %d bytes, expected %d", ErrMismatch, n, f.size)
	}
	h.wait()
	if got := hex.EncodeToString(h.h.Sum(nil)); got != f.hex {
		return fmt.Errorf("%w: got sha256:%s", ErrMismatch, got)
	}
	return nil
}

// DigestChecked is implemented by a backend stream that checks a digest
// and size itself as it is read (the OCI backend's archive body). A fill,
// which checks the blob's sha256 digest and size itself, asks it for the
// stream without that check, so that the bytes are hashed once; the body
// gives it only when digest and size are exactly those it would check.
type DigestChecked interface {
	WithoutCheck(digest string, size int64) (io.ReadCloser, bool)
}

// syncDir makes a rename into dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
