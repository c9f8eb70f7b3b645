package oci

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

func TestMain(m *testing.M) {
	if os.Getenv(publishChildEnv) != "" {
		os.Exit(publishChild()) // a publish process of TestConcurrentPublishProcesses
	}
	code := m.Run()
	testserver.StopSharedRegistries()
	os.Exit(code)
}

var nsCounter atomic.Int64

// uniqueNamespace returns a namespace no other test of this run uses, so
// that tests can share one registry.
func uniqueNamespace(tb testing.TB) string {
	tb.Helper()
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, tb.Name())
	name = strings.Trim(name, "-")
	for strings.Contains(name, "--") {
		name = strings.ReplaceAll(name, "--", "-")
	}
	if len(name) > 40 {
		name = strings.Trim(name[len(name)-40:], "-")
	}
	return fmt.Sprintf("t%d-%s/provisioning-extensions", nsCounter.Add(1), name)
}

// mustRemote returns a Backend over the registry at host with a fresh
// namespace unless opts sets one.
func mustRemote(tb testing.TB, opts RemoteOptions) *Backend {
	tb.Helper()
	if opts.Namespace == "" {
		opts.Namespace = uniqueNamespace(tb)
	}
	opts.Insecure = true
	b, err := NewRemote(opts)
	if err != nil {
		tb.Fatalf("NewRemote: %v", err)
	}
	return b
}

// mustLayout returns a Backend over a fresh layout store.
func mustLayout(tb testing.TB, root string) *Backend {
	tb.Helper()
	if root == "" {
		root = tb.TempDir()
	}
	b, err := NewLayout(LayoutOptions{Root: root})
	if err != nil {
		tb.Fatalf("NewLayout: %v", err)
	}
	return b
}

// mustTarGz writes a .tar.gz holding files into dir/name and returns its
// path.
func mustTarGz(tb testing.TB, dir, name string, files map[string]string) string {
	tb.Helper()
	return mustWrite(tb, filepath.Join(dir, name), testserver.TarGz(tb, files))
}

// mustZip writes a .zip holding files into dir/name and returns its path.
func mustZip(tb testing.TB, dir, name string, files map[string]string) string {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, body := range files {
		w, err := zw.Create(n)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return mustWrite(tb, filepath.Join(dir, name), buf.Bytes())
}

func mustWrite(tb testing.TB, path string, data []byte) string {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// fileSum returns "sha256:<hex>" and the size of the file at path.
func fileSum(tb testing.TB, path string) (string, int64) { return testserver.FileDigest(tb, path) }

// mustPublish publishes a and fails the test on error.
func mustPublish(tb testing.TB, b *Backend, a Artifact) ocispec.Descriptor {
	tb.Helper()
	desc, err := b.Publish(testContext(tb), a)
	if err != nil {
		tb.Fatalf("Publish %s %s %s: %v", a.Type, a.Name, a.Version, err)
	}
	return desc
}

// mustTag adds the tag to to the manifest tagged from in the repository
// {namespace}/{name} (a Tag call through oras-go, as `oras tag` does).
func mustTag(tb testing.TB, b *Backend, name, from, to string) {
	tb.Helper()
	ctx := testContext(tb)
	target, err := b.store.target(ctx, b.namespace+"/"+name)
	if err != nil {
		tb.Fatal(err)
	}
	desc, err := target.Resolve(ctx, from)
	if err != nil {
		tb.Fatalf("resolve %s:%s: %v", name, from, err)
	}
	if err := target.Tag(ctx, desc, to); err != nil {
		tb.Fatalf("tag %s:%s as %s: %v", name, from, to, err)
	}
}

// mustOpenSum opens a version and returns the sha256 of the streamed bytes
// and the archive's description.
func mustOpenSum(tb testing.TB, b *Backend, typ registry.Type, name string, v registry.Version) (string, int64, *registry.Archive) {
	tb.Helper()
	a, err := b.Open(testContext(tb), typ, name, v)
	if err != nil {
		tb.Fatalf("Open %s/%s %s: %v", typ, name, v.Version, err)
	}
	defer a.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, a.Body)
	if err != nil {
		tb.Fatalf("reading %s/%s %s: %v", typ, name, v.Version, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, a
}

// testContext returns a context that ends with the test or after a minute.
func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(tb.Context(), time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// logBuffer collects log output safely across goroutines.
type logBuffer = testserver.LogBuffer

// newLogger returns a logger writing text records into a logBuffer.
func newLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})), buf
}
