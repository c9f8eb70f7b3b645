package blobcache

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// registryBlob is a layer pushed with oras into a real distribution
// registry, and an OpenFunc that downloads it from there, counting the
// downloads; corrupt, when set, changes the bytes on their way.
type registryBlob struct {
	host, repo string
	data       []byte
	digest     string
	gets       atomic.Int32
	corrupt    atomic.Bool
	gate       chan struct{} // when set, the body's first Read waits for it
}

func pushBlob(t testing.TB, reg *testserver.Registry, repo string, size int) *registryBlob {
	t.Helper()
	dir := t.TempDir()
	data := randomBlob(t, size)
	mustWrite(t, filepath.Join(dir, "ext.tar.gz"), data)
	testserver.OrasIn(t, dir, "push", "--plain-http", reg.Host+"/"+repo+":1.0.0",
		"ext.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip")
	return &registryBlob{host: reg.Host, repo: repo, data: data, digest: testserver.Digest(data)}
}

func (b *registryBlob) open(ctx context.Context) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("http://%s/v2/%s/blobs/%s", b.host, b.repo, b.digest), nil)
	if err != nil {
		return nil, err
	}
	b.gets.Add(1)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("registry: %s", resp.Status)
	}
	var body io.ReadCloser = resp.Body
	if b.corrupt.Load() {
		body = &flipLast{rc: body, left: int64(len(b.data))}
	}
	if b.gate != nil {
		body = &gated{rc: body, gate: b.gate}
	}
	return body, nil
}

// flipLast changes the last byte of a stream of left bytes.
type flipLast struct {
	rc   io.ReadCloser
	left int64
}

func (f *flipLast) Read(p []byte) (int, error) {
	n, err := f.rc.Read(p)
	if f.left -= int64(n); f.left == 0 && n > 0 {
		p[n-1] ^= 0xff
	}
	return n, err
}
func (f *flipLast) Close() error { return f.rc.Close() }

// gated holds its first Read until gate is closed.
type gated struct {
	rc   io.ReadCloser
	gate chan struct{}
	once sync.Once
}

func (g *gated) Read(p []byte) (int, error) {
	g.once.Do(func() { <-g.gate })
	return g.rc.Read(p)
}
func (g *gated) Close() error { return g.rc.Close() }

// downloadHandler serves one blob the way a download route does: from disk
// through ServeBlob when cached, else streamed from the fill, the response
// cut when the fill fails.
func downloadHandler(c *Cache, b *registryBlob) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc, err := c.Stream(r.Context(), b.digest, int64(len(b.data)), b.open)
		if err != nil {
			http.Error(w, "backend unavailable", http.StatusServiceUnavailable)
			return
		}
		defer rc.Close()
		if f, ok := rc.(*os.File); ok {
			ServeBlob(w, r, f, b.digest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b.data)))
		w.Header().Set("Content-Type", "application/octet-stream")
		if _, err := io.Copy(w, rc); err != nil {
			panic(http.ErrAbortHandler)
		}
		// As ServeArchive does: the tail now, before Close waits for the
		// blob to be in place.
		_ = http.NewResponseController(w).Flush()
	}
}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestRegistryBlobConcurrentFirstDownloadsFetchOnce(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	b := pushBlob(t, reg, "blobcache/concurrent", 4<<20)
	b.gate = make(chan struct{})
	c := mustOpen(t, "", 64<<20)
	srv := httptest.NewServer(downloadHandler(c, b))
	defer srv.Close()

	const clients = 16
	var started sync.WaitGroup
	var wg sync.WaitGroup
	started.Add(clients)
	for range clients {
		wg.Go(func() {
			started.Done()
			resp, body, err := get(t, srv.URL)
			if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, b.data) {
				t.Errorf("download: %v, %d bytes", err, len(body))
			}
		})
	}
	started.Wait()
	// Every client is in (or about to be in) the one fill, held by the gate.
	waitFor(t, func() bool { return c.Stats().Misses == clients }, "every client to join the fill")
	close(b.gate)
	wg.Wait()
	if n := b.gets.Load(); n != 1 {
		t.Errorf("%d concurrent first downloads made %d registry downloads, want 1", clients, n)
	}
	t.Logf("%d concurrent first downloads of %d MiB: %d registry download(s)", clients, len(b.data)>>20, b.gets.Load())
}

func TestRegistryBlobServedFromDiskWhileTheRegistryIsDown(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	b := pushBlob(t, reg, "blobcache/outage", 1<<20)
	c := mustOpen(t, "", 64<<20)
	srv := httptest.NewServer(downloadHandler(c, b))
	defer srv.Close()

	resp, body, err := get(t, srv.URL)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, b.data) {
		t.Fatalf("first download: %v, %d bytes", err, len(body))
	}
	waitFor(t, func() bool { return cached(t, c, b.digest) }, "the download to be cached")
	reg.Close()

	etag := `"` + b.digest + `"`
	resp, body, err = get(t, srv.URL)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, b.data) {
		t.Fatalf("download with the registry down: %v, %d bytes", err, len(body))
	}
	if got := resp.Header.Get("ETag"); got != etag {
		t.Errorf("ETag %q, want %q", got, etag)
	}
	if got := resp.Header.Get("Accept-Ranges"); got != "bytes" {
		t.Errorf("Accept-Ranges %q", got)
	}

	resp, body, err = get(t, srv.URL, "Range", "bytes=1000-1999")
	if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, b.data[1000:2000]) {
		t.Fatalf("range: %v, status %d, %d bytes", err, resp.StatusCode, len(body))
	}
	if got, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes 1000-1999/%d", len(b.data)); got != want {
		t.Errorf("Content-Range %q, want %q", got, want)
	}
	resp, body, _ = get(t, srv.URL, "Range", "bytes=-10")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, b.data[len(b.data)-10:]) {
		t.Errorf("suffix range: status %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, _, _ = get(t, srv.URL, "Range", fmt.Sprintf("bytes=%d-", len(b.data)+10))
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("range past the end: status %d, want 416", resp.StatusCode)
	}
	resp, body, _ = get(t, srv.URL, "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, body, _ = get(t, srv.URL, "Range", "bytes=0-9", "If-Range", `"sha256:other"`)
	if resp.StatusCode != http.StatusOK || len(body) != len(b.data) {
		t.Errorf("If-Range with another ETag: status %d, %d bytes, want the whole blob", resp.StatusCode, len(body))
	}
	if n := b.gets.Load(); n != 1 {
		t.Errorf("registry downloads %d, want 1", n)
	}
}

func TestRegistryBlobCorruptedOnTheWayIsCutNotCached(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	b := pushBlob(t, reg, "blobcache/corrupt", 1<<20)
	b.corrupt.Store(true)
	dir := t.TempDir()
	c := mustOpen(t, dir, 64<<20)
	srv := httptest.NewServer(downloadHandler(c, b))
	defer srv.Close()

	_, body, err := get(t, srv.URL)
	if err == nil {
		t.Fatalf("a corrupted download read to a clean end (%d bytes)", len(body))
	}
	if len(body) >= len(b.data) {
		t.Errorf("the client received %d bytes of a %d-byte blob", len(body), len(b.data))
	}
	if files := append(blobFiles(t, dir, "sha256"), blobFiles(t, dir, "tmp")...); len(files) != 0 {
		t.Errorf("files left behind: %v", files)
	}
	b.corrupt.Store(false)
	resp, body, err := get(t, srv.URL)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, b.data) {
		t.Fatalf("download after the corruption: %v, %d bytes", err, len(body))
	}
	// The client has its bytes once they are verified; the blob is in
	// place a moment later (synced and renamed).
	waitFor(t, func() bool { return cached(t, c, b.digest) }, "the good download to be cached")
}

func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopSharedRegistries()
	os.Exit(code)
}
