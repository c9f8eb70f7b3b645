package blobcache

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// mustOpen opens a cache in a fresh directory (or dir when given).
func mustOpen(tb testing.TB, dir string, maxSize int64) *Cache {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	c, err := Open(dir, maxSize, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close) // before the directory's removal
	return c
}

func randomBlob(tb testing.TB, n int) []byte {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}

// backend serves one blob's bytes through an OpenFunc and counts the opens.
type backend struct {
	data  []byte
	opens atomic.Int32
}

func (b *backend) open(context.Context) (io.ReadCloser, error) {
	b.opens.Add(1)
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

// readAll streams a blob through c and returns what the reader gave.
func readAll(tb testing.TB, c *Cache, digest string, size int64, open OpenFunc) ([]byte, error) {
	tb.Helper()
	rc, err := c.Stream(context.Background(), digest, size, open)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// blobFiles lists the files under dir/sub.
func blobFiles(tb testing.TB, dir, sub string) []string {
	tb.Helper()
	var out []string
	_ = filepath.WalkDir(filepath.Join(dir, sub), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestStreamFillsOnceThenServesFromDisk(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir, 1<<20)
	data := randomBlob(t, 200_000)
	b := &backend{data: data}
	digest := testserver.Digest(data)

	got, err := readAll(t, c, digest, int64(len(data)), b.open)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("first download: %d bytes, %v; want the blob", len(got), err)
	}
	rc, err := c.Stream(context.Background(), digest, int64(len(data)), func(context.Context) (io.ReadCloser, error) {
		return nil, errors.New("backend down")
	})
	if err != nil {
		t.Fatalf("second download with the backend down: %v", err)
	}
	if _, ok := rc.(*os.File); !ok {
		t.Errorf("second download is a %T, want the cached *os.File", rc)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("second download differs from the blob")
	}
	if n := b.opens.Load(); n != 1 {
		t.Errorf("backend opened %d times, want 1", n)
	}
	if files := blobFiles(t, dir, "sha256"); len(files) != 1 || filepath.Base(files[0]) != digest[7:] {
		t.Errorf("blob files %v, want one named by the digest", files)
	}
	if s := c.Stats(); s.Entries != 1 || s.Bytes != int64(len(data)) || s.Hits != 1 || s.Misses != 1 || s.Fetches != 1 {
		t.Errorf("stats %+v", s)
	}
}

// corruptions are backends whose bytes do not match the expected blob.
func corruptions(data []byte) map[string][]byte {
	flipped := bytes.Clone(data)
	flipped[len(flipped)-1] ^= 0xff
	flippedFirst := bytes.Clone(data)
	flippedFirst[0] ^= 0xff
	return map[string][]byte{
		"last byte changed":  flipped,
		"first byte changed": flippedFirst,
		"truncated":          data[:len(data)-1],
		"one byte more":      append(bytes.Clone(data), 'x'),
		"empty":              {},
	}
}

func TestCorruptStreamIsNeitherServedNorKept(t *testing.T) {
	data := randomBlob(t, 100_000)
	digest := testserver.Digest(data)
	for name, bad := range corruptions(data) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := mustOpen(t, dir, 1<<20)
			b := &backend{data: bad}
			got, err := readAll(t, c, digest, int64(len(data)), b.open)
			if err == nil {
				t.Fatalf("a mismatching stream read to a clean end (%d bytes)", len(got))
			}
			if !errors.Is(err, ErrMismatch) {
				t.Errorf("error %v, want ErrMismatch", err)
			}
			if len(got) >= len(data) {
				t.Errorf("the reader handed out %d bytes of a %d-byte blob before failing", len(got), len(data))
			}
			if _, _, ok := c.Get(digest); ok {
				t.Error("the mismatching blob is cached")
			}
			if files := append(blobFiles(t, dir, "sha256"), blobFiles(t, dir, "tmp")...); len(files) != 0 {
				t.Errorf("files left behind: %v", files)
			}
			// The next request tries the backend again, and a good
			// stream then fills the cache.
			b.data = data
			if got, err := readAll(t, c, digest, int64(len(data)), b.open); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("retry: %d bytes, %v", len(got), err)
			}
			if n := b.opens.Load(); n != 2 {
				t.Errorf("backend opened %d times, want 2", n)
			}
			if s := c.Stats(); s.Failed != 1 || s.Entries != 1 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// gatedBackend sends the first half of a blob at once, the rest when
// release is closed; it records the context of its open.
type gatedBackend struct {
	data    []byte
	release chan struct{}
	opens   atomic.Int32
	ctx     atomic.Value // context.Context of the last open
}

func (g *gatedBackend) open(ctx context.Context) (io.ReadCloser, error) {
	g.opens.Add(1)
	g.ctx.Store(ctx)
	pr, pw := io.Pipe()
	go func() {
		half := len(g.data) / 2
		if _, err := pw.Write(g.data[:half]); err != nil {
			return
		}
		select {
		case <-g.release:
		case <-ctx.Done():
			pw.CloseWithError(ctx.Err())
			return
		}
		_, err := pw.Write(g.data[half:])
		pw.CloseWithError(err)
	}()
	return pr, nil
}

func TestFirstClientGetsBytesBeforeTheFillEnds(t *testing.T) {
	c := mustOpen(t, "", 1<<20)
	data := randomBlob(t, 300_000)
	g := &gatedBackend{data: data, release: make(chan struct{})}
	rc, err := c.Stream(context.Background(), testserver.Digest(data), int64(len(data)), g.open)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	first := make([]byte, len(data)/2)
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatalf("reading the first half while the backend holds the rest: %v", err)
	}
	if !bytes.Equal(first, data[:len(data)/2]) {
		t.Fatal("first half differs")
	}
	close(g.release)
	rest, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(append(first, rest...), data) {
		t.Fatalf("rest: %d bytes, %v", len(rest), err)
	}
}

func TestLastReaderLeavingCancelsTheFill(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir, 1<<20)
	data := randomBlob(t, 100_000)
	digest := testserver.Digest(data)
	g := &gatedBackend{data: data, release: make(chan struct{})}
	var readers []io.ReadCloser
	for range 2 {
		rc, err := c.Stream(context.Background(), digest, int64(len(data)), g.open)
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, rc)
	}
	ctx := g.ctx.Load().(context.Context)
	readers[0].Close()
	select {
	case <-ctx.Done():
		t.Fatal("the fill was cancelled while a reader remained")
	case <-time.After(50 * time.Millisecond):
	}
	readers[1].Close()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the fill goes on after its last reader left")
	}
	waitFor(t, func() bool { return len(blobFiles(t, dir, "tmp")) == 0 }, "the cancelled fill's temporary file to go")
	if _, _, ok := c.Get(digest); ok {
		t.Fatal("a cancelled fill is cached")
	}
	close(g.release)
	if got, err := readAll(t, c, digest, int64(len(data)), g.open); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after the cancel: %d bytes, %v", len(got), err)
	}
	if n := g.opens.Load(); n != 2 {
		t.Errorf("backend opened %d times, want 2 (one per fill)", n)
	}
}

func waitFor(tb testing.TB, cond func() bool, what string) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFetchWaitsForTheVerifiedFile(t *testing.T) {
	c := mustOpen(t, "", 1<<20)
	data := randomBlob(t, 50_000)
	b := &backend{data: data}
	digest := testserver.Digest(data)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			f, size, err := c.Fetch(context.Background(), digest, int64(len(data)), b.open)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			got, _ := io.ReadAll(f)
			if size != int64(len(data)) || !bytes.Equal(got, data) {
				t.Errorf("Fetch gave %d bytes (size %d)", len(got), size)
			}
		})
	}
	wg.Wait()
	if n := b.opens.Load(); n > 8 || n < 1 {
		t.Errorf("opens %d", n)
	}
	if _, _, err := c.Fetch(context.Background(), "sha256:nothex", 1, b.open); !errors.Is(err, ErrInvalidDigest) {
		t.Errorf("Fetch of a bad digest: %v", err)
	}
}

func TestNotCacheableStreamsFromTheBackend(t *testing.T) {
	data := randomBlob(t, 10_000)
	digest := testserver.Digest(data)
	cases := map[string]struct {
		c      *Cache
		digest string
		size   int64
	}{
		"cache off":        {c: mustOpen(t, "", 0), digest: digest, size: int64(len(data))},
		"unknown size":     {c: mustOpen(t, "", 1<<20), digest: digest, size: -1},
		"larger than all":  {c: mustOpen(t, "", 1000), digest: digest, size: int64(len(data))},
		"not a sha256":     {c: mustOpen(t, "", 1<<20), digest: "md5:abc", size: int64(len(data))},
		"upper-case hex":   {c: mustOpen(t, "", 1<<20), digest: "sha256:" + string(bytes.ToUpper([]byte(digest[7:]))), size: int64(len(data))},
		"path in a digest": {c: mustOpen(t, "", 1<<20), digest: "sha256:../../../../etc/passwd", size: int64(len(data))},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := &backend{data: data}
			for range 2 {
				got, err := readAll(t, tc.c, tc.digest, tc.size, b.open)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%d bytes, %v", len(got), err)
				}
			}
			if n := b.opens.Load(); n != 2 {
				t.Errorf("backend opened %d times, want 2 (nothing cached)", n)
			}
			if s := tc.c.Stats(); s.Entries != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestOpenErrorIsReturnedBeforeAnyByte(t *testing.T) {
	c := mustOpen(t, "", 1<<20)
	want := errors.New("backend refused")
	_, err := c.Stream(context.Background(), testserver.Digest([]byte("x")), 1, func(context.Context) (io.ReadCloser, error) {
		return nil, want
	})
	if !errors.Is(err, want) {
		t.Fatalf("Stream: %v, want the backend's error", err)
	}
	// The fill ends (and counts itself failed) just after Stream returned.
	waitFor(t, func() bool { return c.Stats().Failed == 1 }, "the fill to count as failed")
	if s := c.Stats(); s.Entries != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestStalledBackendFailsTheFill(t *testing.T) {
	old := idleTimeout
	idleTimeout = 100 * time.Millisecond
	defer func() { idleTimeout = old }()
	c := mustOpen(t, "", 1<<20)
	data := randomBlob(t, 10_000)
	g := &gatedBackend{data: data, release: make(chan struct{})} // never released
	_, err := readAll(t, c, testserver.Digest(data), int64(len(data)), g.open)
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("error %v, want ErrStalled", err)
	}
}

// TestTailWaitsForVerification: a backend that has sent every byte (the
// last one wrong) but not yet its end: the reader has all but the last byte,
// and fails once the end shows the mismatch.
func TestTailWaitsForVerification(t *testing.T) {
	c := mustOpen(t, "", 1<<20)
	data := randomBlob(t, 100_000)
	bad := bytes.Clone(data)
	bad[len(bad)-1] ^= 1
	release := make(chan struct{})
	open := func(ctx context.Context) (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			if _, err := pw.Write(bad); err != nil {
				return
			}
			select {
			case <-release:
				pw.Close()
			case <-ctx.Done():
				pw.CloseWithError(ctx.Err())
			}
		}()
		return pr, nil
	}
	rc, err := c.Stream(context.Background(), testserver.Digest(data), int64(len(data)), open)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got atomic.Int64
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := rc.Read(buf)
			got.Add(int64(n))
			if err != nil {
				done <- err
				return
			}
		}
	}()
	waitFor(t, func() bool { return got.Load() >= int64(len(data))-1 }, "all but the last byte")
	time.Sleep(100 * time.Millisecond)
	if n := got.Load(); n != int64(len(data))-1 {
		t.Fatalf("the reader got %d bytes of %d before the blob was verified", n, len(data))
	}
	close(release)
	select {
	case err := <-done:
		if !errors.Is(err, ErrMismatch) {
			t.Fatalf("error %v, want ErrMismatch", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the reader did not fail after the mismatch")
	}
	if n := got.Load(); n != int64(len(data))-1 {
		t.Errorf("the reader got %d bytes of a mismatching %d-byte blob", n, len(data))
	}
}
