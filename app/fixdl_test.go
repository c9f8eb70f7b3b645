package app

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/client"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/httpapi"
	"github.com/provisioning-platform/extension-registry/internal/openapitest"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// sharedBlobServer starts a real registry holding one folder published as
// provider/hetzner 0.3.0 and taskserv/redis 1.0.0 (one layer digest, two
// titles), and the service over it with the blob cache on. It returns the
// service's base URL, the registry and the layer's hex digest.
func sharedBlobServer(t *testing.T) (string, *testserver.Registry, string, config.Config) {
	t.Helper()
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	cfg := ociConfig(t, reg)
	b, err := NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.k"), bytes.Repeat([]byte("schema Shared:\n    name: str\n"), 200), 0o644); err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, a := range []oci.Artifact{
		{Path: dir, Type: registry.Provider, Name: "hetzner", Version: "0.3.0"},
		{Path: dir, Type: registry.Taskserv, Name: "redis", Version: "1.0.0"},
	} {
		if _, err := b.Publish(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		arc, err := b.Open(t.Context(), a.Type, a.Name, registry.Version{Version: a.Version})
		if err != nil {
			t.Fatal(err)
		}
		arc.Body.Close()
		digests = append(digests, arc.Checksum)
	}
	if digests[0] != digests[1] {
		t.Fatalf("the two publications have layers %s and %s, want one digest", digests[0], digests[1])
	}
	return runForTest(t, cfg, slog.New(slog.DiscardHandler)), reg, digests[0][len("sha256:"):], cfg
}

// TestSharedBlobKeepsEachName: two extensions sharing one archive's bytes
// are each downloaded under their own name, before and after the blob
// cache holds the bytes (a hit used to get the name of the first fill).
func TestSharedBlobKeepsEachName(t *testing.T) {
	base, _, hex, cfg := sharedBlobServer(t)
	hetzner := base + "/api/v1/extensions/provider/hetzner/0.3.0"
	redis := base + "/api/v1/extensions/taskserv/redis/1.0.0"
	want := map[string]string{hetzner: "attachment; filename=hetzner_provider.tar.gz", redis: "attachment; filename=redis_taskserv.tar.gz"}

	resp, _ := httpGet(t, hetzner)
	if got := resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || got != want[hetzner] {
		t.Errorf("first download of hetzner: %d, Content-Disposition %q", resp.StatusCode, got)
	}
	blob := filepath.Join(cfg.DataDir, "blobs", "sha256", hex[:2], hex)
	waitUntil(t, func() bool { _, err := os.Stat(blob); return err == nil }, "the blob in "+blob)
	for _, u := range []string{redis, hetzner, redis} {
		resp, _ := httpGet(t, u)
		if got := resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || got != want[u] {
			t.Errorf("cached download of %s: %d, Content-Disposition %q, want %q", u, resp.StatusCode, got, want[u])
		}
	}
}

// publishSmall publishes provider/tiny 1.0.0, an archive smaller than the
// bytes a download holds back, through the OCI backend of cfg; it returns
// the archive's digest hex.
func publishSmall(t *testing.T, cfg config.Config) string {
	t.Helper()
	b, err := NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Repeat([]byte("tiny extension\n"), 300))
	zw.Close()
	path := filepath.Join(t.TempDir(), "tiny_provider.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Publish(t.Context(), oci.Artifact{Path: path, Type: registry.Provider, Name: "tiny", Version: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	return testserver.SHA256(buf.Bytes())
}

// TestSmallCorruptArchiveIsAnAnswer: a corrupted archive smaller than the
// held-back tail fails its verification before any byte is sent; both
// faces then answer 503 with their own error body saying so (it used to be
// no answer at all: curl "000", exit 52), and the Go client reports the
// server's message, not "cannot reach the registry".
func TestSmallCorruptArchiveIsAnAnswer(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	cfg := ociConfig(t, reg)
	cfg.Connectors.AllowedHosts = []string{"127.0.0.1"}
	hex := publishSmall(t, cfg)
	flipByte(t, reg.BlobPath(hex))
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))

	for _, tc := range []struct {
		face, url string
		h         http.Header
		check     func(rawAnswer) string
	}{
		{"v1", base + "/api/v1/extensions/provider/tiny/1.0.0", http.Header{}, checkV1Body},
		{"connector", base + "/connectors/oci/extensions/provider/tiny/1.0.0?namespace=" + cfg.OCI.Namespace, pluginHeaders("http://"+reg.Host, ""), checkStatusBody},
	} {
		for range 2 { // the second after the failed fill left nothing behind
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, tc.url, nil)
			req.Header = tc.h.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: no answer: %v", tc.face, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a := rawAnswer{status: resp.StatusCode, header: resp.Header, body: body}
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("%s: status %d, want 503; body %q", tc.face, resp.StatusCode, excerptOf(string(body)))
			}
			if problem := tc.check(a); problem != "" {
				t.Errorf("%s: %s", tc.face, problem)
			}
			if !strings.Contains(strings.ToLower(string(body)), "failed verification") {
				t.Logf("%s: %s", tc.face, body)
				t.Errorf("%s: body %q does not say the archive failed verification", tc.face, excerptOf(string(body)))
			}
			for _, h := range []string{"Content-Disposition", "X-Checksum", "ETag", "Accept-Ranges"} {
				if v := resp.Header.Get(h); v != "" {
					t.Errorf("%s: the error answer keeps the download's %s %q", tc.face, h, v)
				}
			}
		}
	}

	if curl, err := exec.LookPath("curl"); err == nil {
		// It used to be curl's "000", exit 52: an empty reply.
		out, err := exec.CommandContext(t.Context(), curl, "-sS", "-o", os.DevNull, "-w", "%{http_code}",
			base+"/api/v1/extensions/provider/tiny/1.0.0").CombinedOutput()
		if err != nil || string(out) != "503" {
			t.Errorf("curl: %q, %v; want 503 and exit 0", out, err)
		}
	}

	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Download(t.Context(), "provider", "tiny", "1.0.0", io.Discard, nil)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "failed verification") {
		t.Errorf("client Download = %v, want the 503 saying the archive failed verification", err)
	}
}

// TestCutDownloadIsIncompleteForTheClient: a large corrupted archive is cut
// mid-body by the server; the Go client says the download was cut, an
// incomplete transfer, not that it cannot reach the registry.
func TestCutDownloadIsIncompleteForTheClient(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	cfg := ociConfig(t, reg)
	hex := publishCorrupt(t, cfg)
	flipByte(t, reg.BlobPath(hex))
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Download(t.Context(), "provider", "broken", "1.0.0", io.Discard, nil)
	var ie *client.IncompleteError
	var ce *client.ConnError
	if !errors.As(err, &ie) || errors.As(err, &ce) || !strings.Contains(err.Error(), "cut") {
		t.Fatalf("client Download = %v, want an IncompleteError saying the download was cut", err)
	}
	if ie.Expected <= corruptSize || ie.Received >= ie.Expected {
		t.Errorf("IncompleteError %+v: want fewer bytes received than announced", ie)
	}
}

// TestHeadDoesNotDownload: a HEAD of a download the blob cache does not
// hold yet answers the headers from the resolved version without fetching
// the blob from the registry (it used to fetch it whole); the first GET
// then fills, with the same ETag and Accept-Ranges a cached answer has.
func TestHeadDoesNotDownload(t *testing.T) {
	base, reg, hex, _ := sharedBlobServer(t)
	url := base + "/api/v1/extensions/taskserv/redis/1.0.0"
	before := blobGets(t, reg, hex) // the publications' own checks

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	head := resp.Header
	if n := blobGets(t, reg, hex) - before; n != 0 {
		t.Errorf("a HEAD made %d registry blob downloads, want 0", n)
	}
	want := map[string]string{
		"Content-Disposition": "attachment; filename=redis_taskserv.tar.gz",
		"X-Checksum":          "sha256:" + hex, "ETag": `"sha256:` + hex + `"`, "Accept-Ranges": "bytes",
		"Content-Type": "application/octet-stream",
	}
	if resp.StatusCode != 200 || resp.ContentLength <= 0 {
		t.Errorf("HEAD: status %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
	}
	for h, v := range want {
		if got := head.Get(h); got != v {
			t.Errorf("HEAD: %s %q, want %q", h, got, v)
		}
	}
	for i, what := range []string{"first GET (filling)", "cached GET"} {
		resp, body := httpGet(t, url)
		if resp.StatusCode != 200 || int64(len(body)) != resp.ContentLength || resp.Header.Get("Content-Length") != head.Get("Content-Length") {
			t.Errorf("%s: status %d, %d bytes, Content-Length %s (HEAD said %s)", what, resp.StatusCode, len(body), resp.Header.Get("Content-Length"), head.Get("Content-Length"))
		}
		for h, v := range want {
			if got := resp.Header.Get(h); got != v {
				t.Errorf("%s: %s %q, want %q", what, h, got, v)
			}
		}
		if n := blobGets(t, reg, hex) - before; n != 1 {
			t.Errorf("after the %s: %d registry blob downloads, want 1", what, n)
		}
		if i == 0 {
			waitUntil(t, func() bool { return cachedBlobs(t, base) == 1 }, "the blob in the cache")
		}
	}
}

// cachedBlobs is the blob_cache_blobs gauge of the service at base.
func cachedBlobs(t *testing.T, base string) int {
	_, body := httpGet(t, base+"/api/v1/metrics")
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "blob_cache_blobs "); ok {
			return int(v[0] - '0')
		}
	}
	return -1
}

// TestBadRangeIsTheV1Error: a Range a cached archive cannot satisfy is a
// 416 with the v1 error body (invalid_parameter) and Content-Range, without
// the download's Content-Disposition (it used to be ServeContent's plain
// text, "invalid range: failed to overlap").
func TestBadRangeIsTheV1Error(t *testing.T) {
	doc := openapitest.Load(t, httpapi.OpenAPI())
	base, _, _, _ := sharedBlobServer(t)
	url := base + "/api/v1/extensions/taskserv/redis/1.0.0"
	resp, data := httpGet(t, url)
	if resp.StatusCode != 200 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	waitUntil(t, func() bool { return cachedBlobs(t, base) == 1 }, "the blob in the cache")
	resp, body := httpGet(t, url, "Range", "bytes=10-29")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[10:30]) {
		t.Errorf("a good Range: status %d, %d bytes", resp.StatusCode, len(body))
	}
	for _, rng := range []string{"bytes=999999-", "bytes=abc", "bytes=" + strings.Repeat("9", 200) + "-"} {
		resp, body := httpGet(t, url, "Range", rng)
		a := rawAnswer{status: resp.StatusCode, header: resp.Header, body: body}
		if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("Range %.20s: status %d, want 416", rng, resp.StatusCode)
		}
		if problem := checkV1Body(a); problem != "" {
			t.Errorf("Range %.20s: %s", rng, problem)
		}
		if !strings.Contains(string(body), `"invalid_parameter"`) || len(body) > 400 {
			t.Errorf("Range %.20s: body %q, want a short invalid_parameter", rng, excerptOf(string(body)))
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != "" {
			t.Errorf("Range %.20s: the 416 keeps Content-Disposition %q", rng, cd)
		}
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Range", rng)
		if err := openapitest.Validate(doc, req, resp.StatusCode, resp.Header, body); err != nil {
			t.Errorf("Range %.20s: the 416 does not fit httpapi/openapi.json: %v", rng, err)
		}
		if cr, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes */%d", len(data)); rng == "bytes=999999-" && cr != want {
			t.Errorf("Range %.20s: Content-Range %q, want %q", rng, cr, want)
		}
	}
}
