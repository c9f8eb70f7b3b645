package oci

import (
	"compress/gzip"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// TestOpenLargeArchive publishes a 20 MiB archive and streams it back through
// io.Copy into a hash, on both flavours.
func TestOpenLargeArchive(t *testing.T) {
	if testing.Short() {
		t.Skip("20 MiB archive")
	}
	path := filepath.Join(t.TempDir(), "big.tar.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.NoCompression)
	if _, err := io.CopyN(zw, rand.Reader, 20<<20); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want, size := fileSum(t, path)

	for _, fl := range flavours() {
		t.Run(fl.name, func(t *testing.T) {
			b := fl.new(t)
			mustPublish(t, b, Artifact{Path: path, Type: registry.Cluster, Name: "big", Version: "1.0.0"})
			got, n, a := mustOpenSum(t, b, registry.Cluster, "big", registry.Version{Version: "1.0.0"})
			if got != want || n != size || a.Size != size || a.Checksum != want || a.FileName != "big.tar.gz" {
				t.Errorf("streamed %s (%d bytes), archive %+v; want %s (%d bytes)", got, n, a, want, size)
			}
		})
	}
}

// TestOpenDetectsCorruption alters a blob of the layout store: the body
// fails at its end instead of passing the corrupt bytes as complete.
func TestOpenDetectsCorruption(t *testing.T) {
	root := t.TempDir()
	b := mustLayout(t, root)
	ctx := testContext(t)
	file := mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"})
	mustPublish(t, b, Artifact{Path: file, Type: registry.Cluster, Name: "c", Version: "1.0.0"})
	sum, _ := fileSum(t, file)
	blob := filepath.Join(root, DefaultNamespace, "c", "blobs", "sha256", sum[len("sha256:"):])
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	if err := os.Chmod(blob, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, data, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := b.Open(ctx, registry.Cluster, "c", registry.Version{Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Body.Close()
	if _, err := io.Copy(io.Discard, a.Body); err == nil {
		t.Error("a corrupt archive was streamed without error")
	}
}
