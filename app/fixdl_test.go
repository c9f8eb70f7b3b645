package app

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/config"
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
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Sources = []string{"oci"}
	cfg.OCI.Registry, cfg.OCI.Insecure = reg.Host, true
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
