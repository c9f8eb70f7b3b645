package app

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/blobcache"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

var _ catalog.BlobCache = (*blobcache.Cache)(nil)

// blobGets counts the registry's answered GETs of the blob hex, from its log.
func blobGets(t *testing.T, reg *testserver.Registry, hex string) int {
	t.Helper()
	b, err := os.ReadFile(reg.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `"GET /v2/`) && strings.Contains(line, "/blobs/sha256:"+hex+" HTTP") {
			n++
		}
	}
	return n
}

func httpGet(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp, body
}

// TestDownloadsFromTheBlobCache: against a real registry, concurrent first
// downloads of an archive cost the registry one blob download; later ones
// come from the blob cache with Range, ETag and If-None-Match, also once the
// registry is stopped.
func TestDownloadsFromTheBlobCache(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	cfg := ociConfig(t, reg)
	b, err := NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	path, data := randomArchive(t, t.TempDir(), "cached_prov.tar.gz")
	if _, err := b.Publish(t.Context(), oci.Artifact{Path: path, Type: registry.Provider, Name: "cached", Version: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	hex := testserver.SHA256(data)
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	url := base + "/api/v1/extensions/provider/cached/1.0.0"

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp, body := httpGet(t, url)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
				t.Errorf("first download: status %d, %d bytes", resp.StatusCode, len(body))
			}
		})
	}
	wg.Wait()
	if n := blobGets(t, reg, hex); n != 1 {
		t.Errorf("8 concurrent first downloads made %d registry blob downloads, want 1", n)
	}
	blob := filepath.Join(cfg.DataDir, "blobs", "sha256", hex[:2], hex)
	waitUntil(t, func() bool { _, err := os.Stat(blob); return err == nil }, "the blob in "+blob)

	reg.Close()
	etag := `"sha256:` + hex + `"`
	resp, body := httpGet(t, url)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("download with the registry stopped: status %d, %d bytes", resp.StatusCode, len(body))
	}
	for h, want := range map[string]string{
		"ETag": etag, "X-Checksum": "sha256:" + hex, "Accept-Ranges": "bytes",
		"Content-Disposition": "attachment; filename=cached_prov.tar.gz",
		"Content-Length":      fmt.Sprint(len(data)), "Content-Type": "application/octet-stream",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("cached download: %s %q, want %q", h, got, want)
		}
	}
	resp, body = httpGet(t, url, "Range", "bytes=100-199")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100:200]) {
		t.Errorf("Range: status %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, body = httpGet(t, url, "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", resp.StatusCode, len(body))
	}
	_, body = httpGet(t, base+"/api/v1/metrics")
	// One fill; the 8 first downloads were misses (joining the fill) or,
	// arriving after it, hits; the 3 later ones hits.
	values := map[string]int{}
	for _, line := range strings.Split(string(body), "\n") {
		var v int
		if name, val, ok := strings.Cut(line, " "); ok && strings.HasPrefix(name, "blob_cache_") {
			if _, err := fmt.Sscan(val, &v); err == nil {
				values[name] = v
			}
		}
	}
	if values["blob_cache_fetches_total"] != 1 || values["blob_cache_blobs"] != 1 ||
		values["blob_cache_hits_total"]+values["blob_cache_misses_total"] != 11 || values["blob_cache_hits_total"] < 3 {
		t.Errorf("blob cache metrics %v", values)
	}
}

func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
