package app

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sdk "code.gitea.io/sdk/gitea"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// corruptSize is the size of the archives the corruption tests serve:
// several read buffers, so that most of the archive goes out before its
// end is reached.
const corruptSize = 1 << 20

// randomArchive writes a gzip stream of corruptSize random bytes to dir/name and returns
// the path and the bytes.
func randomArchive(t *testing.T, dir, name string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression) // random bytes: no point compressing
	if _, err := io.CopyN(zw, rand.Reader, corruptSize); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// flipByte changes one byte in the middle of the file at path, keeping its
// size: a blob corrupted in the backend's storage.
func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the blob to corrupt: %v", err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// publishCorrupt publishes provider/broken 1.0.0 with a random archive
// through the OCI backend of cfg and returns the archive's digest hex.
func publishCorrupt(t *testing.T, cfg config.Config) string {
	t.Helper()
	b, err := NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	path, data := randomArchive(t, t.TempDir(), "broken_prov.tar.gz")
	if _, err := b.Publish(t.Context(), oci.Artifact{Path: path, Type: registry.Provider, Name: "broken", Version: "1.0.0"}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	return testserver.SHA256(data)
}

// expectFailedTransfer downloads url (with headers h) with a Go client and
// with curl, and fails the test unless both see a failed transfer: an
// error while reading the body, never a complete body presented as the
// archive. A second, good download on the same client (keep-alive) must
// still work: good is a URL that serves a sound archive, or "".
func expectFailedTransfer(t *testing.T, what, url string, h http.Header, good string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	req.Header = h.Clone()
	resp, err := client.Do(req)
	if err == nil {
		n, rerr := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if rerr == nil && resp.StatusCode == http.StatusOK {
			t.Errorf("%s: Go client read %d bytes (Content-Length %d) of a corrupted archive without an error", what, n, resp.ContentLength)
		} else {
			t.Logf("%s: Go client: status %d, %d of %d bytes, then %v", what, resp.StatusCode, n, resp.ContentLength, rerr)
		}
	} else {
		t.Logf("%s: Go client: %v", what, err)
	}
	if good != "" {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, good, nil)
		req.Header = h.Clone()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: the next download on the same client: %v", what, err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || n != resp.ContentLength {
			t.Errorf("%s: the next, sound download: status %d, %d of %d bytes, %v", what, resp.StatusCode, n, resp.ContentLength, err)
		}
	}

	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Log("curl is not installed: only the Go client was tried")
		return
	}
	args := []string{"-sS", "--fail", "-o", filepath.Join(t.TempDir(), "out")}
	for k, vs := range h {
		for _, v := range vs {
			args = append(args, "-H", k+": "+v)
		}
	}
	out, err := exec.CommandContext(t.Context(), curl, append(args, url)...).CombinedOutput()
	if err == nil {
		t.Errorf("%s: curl exited 0 for a corrupted archive", what)
	} else {
		t.Logf("%s: curl: %v: %s", what, err, strings.TrimSpace(string(out)))
	}
}

// pluginHeaders are the gateway headers of a Connector at baseURL; with a
// token, an Opaque Secret holding it.
func pluginHeaders(baseURL, token string) http.Header {
	h := http.Header{}
	meta, _ := json.Marshal(map[string]string{"baseURL": baseURL})
	h.Set("X-Plugin-Meta", base64.StdEncoding.EncodeToString(meta))
	if token != "" {
		data, _ := json.Marshal(map[string]string{"token": base64.StdEncoding.EncodeToString([]byte(token))})
		h.Set("X-Plugin-Auth", base64.StdEncoding.EncodeToString([]byte("Opaque")))
		h.Set("X-Plugin-Secret", base64.StdEncoding.EncodeToString(data))
	}
	return h
}

// TestCorruptedBlobIsAFailedDownload flips one byte of a published
// archive in a real distribution registry's filesystem storage and checks
// that neither face delivers it as a complete download: the Go client
// sees an error reading the body and curl exits non-zero.
func TestCorruptedBlobIsAFailedDownload(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	cfg := ociConfig(t, reg)
	cfg.Connectors.AllowedHosts = []string{"127.0.0.1"}
	hex := publishCorrupt(t, cfg)
	// A sound archive beside it, for the keep-alive check.
	b, _ := NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	goodPath, _ := randomArchive(t, t.TempDir(), "sound_prov.tar.gz")
	if _, err := b.Publish(t.Context(), oci.Artifact{Path: goodPath, Type: registry.Provider, Name: "sound", Version: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	flipByte(t, reg.BlobPath(hex))

	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	expectFailedTransfer(t, "v1, registry", base+"/api/v1/extensions/provider/broken/1.0.0", http.Header{},
		base+"/api/v1/extensions/provider/sound/1.0.0")
	conn := base + "/connectors/oci/extensions/provider/%s/1.0.0?namespace=" + cfg.OCI.Namespace
	expectFailedTransfer(t, "connector, registry", strings.Replace(conn, "%s", "broken", 1), pluginHeaders("http://"+reg.Host, ""),
		strings.Replace(conn, "%s", "sound", 1))
}

// TestCorruptedLayoutBlobIsAFailedDownload is the same for the embedded
// OCI layout store under the data directory.
func TestCorruptedLayoutBlobIsAFailedDownload(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Sources = []string{"oci"}
	hex := publishCorrupt(t, cfg)
	// One OCI layout per repository: {root}/{namespace}/{repository}.
	blobs, _ := filepath.Glob(filepath.Join(LayoutRoot(cfg.DataDir), "*", "*", "blobs", "sha256", hex))
	if len(blobs) != 1 {
		t.Fatalf("want the archive's one blob in the store, found %v", blobs)
	}
	flipByte(t, blobs[0])

	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	expectFailedTransfer(t, "v1, embedded store", base+"/api/v1/extensions/provider/broken/1.0.0", http.Header{}, "")
}

// TestWrongGiteaChecksumIsAFailedDownload publishes a Gitea release whose
// SHA256SUMS names another digest than its archive's and checks that
// neither face delivers the archive as a complete download.
func TestWrongGiteaChecksumIsAFailedDownload(t *testing.T) {
	g := testserver.StartGitea(t, testserver.GiteaOptions{})
	s := g.Seed(t)
	org := testserver.UniqueName("corrupt")
	s.Org(org, sdk.VisibleTypePublic)
	s.Repo(org, "broken_prov", "an archive whose checksum is wrong")
	_, data := randomArchive(t, t.TempDir(), "broken_prov.tar.gz")
	wrong := append([]byte(nil), data...)
	wrong[0] ^= 0xff
	s.Release(org, "broken_prov", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{
		{Name: "broken_prov.tar.gz", Data: data},
		{Name: "SHA256SUMS", Data: []byte(testserver.SHA256(wrong) + "  broken_prov.tar.gz\n")},
	}})

	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Sources = []string{"gitea"}
	cfg.Gitea = config.Gitea{URL: g.URL, Organizations: []string{org}}
	cfg.Connectors.AllowedHosts = []string{"127.0.0.1"}
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	expectFailedTransfer(t, "v1, gitea", base+"/api/v1/extensions/provider/broken/1.0.0", http.Header{}, "")
	expectFailedTransfer(t, "connector, gitea", base+"/connectors/gitea/extensions/provider/broken/1.0.0?organization="+org,
		pluginHeaders(g.URL, ""), "")
}
