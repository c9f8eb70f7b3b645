package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"0": 0, "1048576": 1 << 20, "512MiB": 512 << 20, "10GiB": 10 << 30, "10gib": 10 << 30,
		" 2 TiB ": 2 << 40, "4KiB": 4096, "1GB": 1e9, "500MB": 5e8, "3kB": 3000, "7B": 7,
	}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1GiB", "+5", "1.5GiB", "ten", "10 GiBs", "9999999999TiB", "0x10"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestBlobsKeys(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Blobs.MaxSize != 10<<30 || c.BlobsDir() != filepath.Join("data", "blobs") {
		t.Errorf("defaults: max_size %d, dir %q", c.Blobs.MaxSize, c.BlobsDir())
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte("data_dir: /srv/reg\nblobs:\n  max_size: 512MiB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Blobs.MaxSize != 512<<20 || c.BlobsDir() != "/srv/reg/blobs" {
		t.Errorf("file: max_size %d, dir %q", c.Blobs.MaxSize, c.BlobsDir())
	}
	c, err = Load(file, []string{"EXTENSION_REGISTRY_BLOBS_MAX_SIZE=0", "EXTENSION_REGISTRY_BLOBS_DIR=/cache"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Blobs.MaxSize != 0 || c.BlobsDir() != "/cache" {
		t.Errorf("env: max_size %d, dir %q", c.Blobs.MaxSize, c.BlobsDir())
	}
	_, err = Load("", []string{"EXTENSION_REGISTRY_BLOBS_MAX_SIZE=10 gigs"})
	if err == nil || !strings.Contains(err.Error(), "blobs.max_size (EXTENSION_REGISTRY_BLOBS_MAX_SIZE): invalid size") {
		t.Errorf("bad size: %v", err)
	}
}

func TestWebhooksKeys(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hook-secret")
	if err := os.WriteFile(file, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("", []string{"EXTENSION_REGISTRY_WEBHOOKS_GITEA_SECRET_FILE=" + file, "EXTENSION_REGISTRY_WEBHOOKS_REGISTRY_TOKEN=tok"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Webhooks.GiteaSecret.Reveal() != "s3cret-from-file" || c.Webhooks.RegistryToken.Reveal() != "tok" {
		t.Errorf("webhooks: %q %q", c.Webhooks.GiteaSecret.Reveal(), c.Webhooks.RegistryToken.Reveal())
	}
	_, err = Load("", []string{"EXTENSION_REGISTRY_WEBHOOKS_GITEA_SECRET_FILE=" + file, "EXTENSION_REGISTRY_WEBHOOKS_GITEA_SECRET=x"})
	if err == nil || !strings.Contains(err.Error(), "use one of them") {
		t.Errorf("secret and its file together: %v", err)
	}
}
