package blobcache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

func TestOpenKeepsTheArchiveAndItsFileName(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir, 1<<20)
	data := randomBlob(t, 50_000)
	digest := testserver.Digest(data)
	fetches := 0
	fetch := func(context.Context) (*registry.Archive, error) {
		fetches++
		return &registry.Archive{Body: io.NopCloser(bytes.NewReader(data)), Size: int64(len(data)), FileName: "aws_prov.tar.gz", Checksum: digest}, nil
	}
	read := func(c *Cache, fetch func(context.Context) (*registry.Archive, error)) *registry.Archive {
		t.Helper()
		a, err := c.Open(context.Background(), digest, int64(len(data)), fetch)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(a.Body)
		a.Body.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("archive: %d bytes, %v", len(got), err)
		}
		return a
	}
	first := read(c, fetch)
	if first.FileName != "aws_prov.tar.gz" || first.Checksum != digest || first.Size != int64(len(data)) {
		t.Errorf("first archive %+v", first)
	}
	down := func(context.Context) (*registry.Archive, error) { return nil, registry.ErrUnavailable }
	second := read(c, down)
	if _, ok := second.Body.(*os.File); !ok || second.FileName != "aws_prov.tar.gz" {
		t.Errorf("second archive: body %T, name %q", second.Body, second.FileName)
	}
	c.Close()
	c2 := mustOpen(t, dir, 1<<20)
	if third := read(c2, down); third.FileName != "aws_prov.tar.gz" {
		t.Errorf("after a restart the file name is %q", third.FileName)
	}
	if fetches != 1 {
		t.Errorf("%d fetches, want 1", fetches)
	}
	// A backend error comes back unchanged, before any byte.
	_, err := c2.Open(context.Background(), testserver.Digest([]byte("other")), 5, down)
	if !errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("error %v, want the backend's ErrUnavailable", err)
	}
	// Without a usable size or digest the backend's archive is returned as is.
	for _, tc := range []struct {
		digest string
		size   int64
	}{{digest, 0}, {digest, -1}, {"md5:x", int64(len(data))}} {
		a, err := c2.Open(context.Background(), tc.digest, tc.size, fetch)
		if err != nil {
			t.Fatal(err)
		}
		if _, isFile := a.Body.(*os.File); isFile {
			t.Errorf("digest %q size %d: served from the cache", tc.digest, tc.size)
		}
		a.Body.Close()
	}
}

func TestOrphanFileNamesAreRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	hex := testserver.SHA256([]byte("gone"))
	orphan := filepath.Join(dir, "sha256", hex[:2], hex+nameSuffix)
	mustWrite(t, orphan, []byte("gone.tar.gz"))
	mustOpen(t, dir, 1<<20)
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file name without its blob survived the start: %v", err)
	}
}
