package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

var digestRE = regexp.MustCompile(`\((sha256:[0-9a-f]{64})\)\n$`)

// publishedDigest returns the manifest digest `publish` printed.
func publishedDigest(t *testing.T, r result) string {
	t.Helper()
	m := digestRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("publish printed %q, want a line ending in (sha256:…)", r.stdout)
	}
	return m[1]
}

// sourceTree writes the same extension folder into dir, creating its
// files in the given order with the given modification time.
func sourceTree(t *testing.T, dir string, reverse bool, mtime time.Time) string {
	t.Helper()
	files := []struct {
		name, content string
		mode          os.FileMode
	}{
		{"manifest.yaml", "name: repro\nversion: 1.0.0\n", 0o644},
		{"kcl/repro.k", "schema Repro:\n    name: str\n", 0o644},
		{"kcl/lib/util.k", "x = 1\n", 0o644},
		{"scripts/install.sh", "#!/bin/sh\necho install\n", 0o755},
		{"README.md", "# repro\n", 0o644},
	}
	for i := range files {
		f := files[i]
		if reverse {
			f = files[len(files)-1-i]
		}
		writeFile(t, filepath.Join(dir, f.name), f.content, f.mode)
	}
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// layoutChecksum reads the checksum of an extension from the embedded
// store of dataDir.
func layoutChecksum(t *testing.T, dataDir string, typ registry.Type, name string) string {
	t.Helper()
	b, err := oci.NewLayout(oci.LayoutOptions{Root: app.LayoutRoot(dataDir)})
	if err != nil {
		t.Fatal(err)
	}
	e, err := b.Get(t.Context(), typ, name)
	if err != nil {
		t.Fatalf("%s/%s in %s: %v", typ, name, dataDir, err)
	}
	return e.Checksum
}

// TestPublishReproducible checks contract §6: a folder is packed into the
// same bytes whatever its timestamps or the order its files were created
// in, so publishing it twice gives the same digest.
func TestPublishReproducible(t *testing.T) {
	a := sourceTree(t, t.TempDir(), false, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	b := sourceTree(t, t.TempDir(), true, time.Now())
	args := func(src string, extra ...string) []string {
		return append([]string{"publish", src, "--type", "provider", "--name", "repro", "--version", "1.0.0"}, extra...)
	}
	created := "--created=2025-01-01T00:00:00Z"

	d1, d2 := t.TempDir(), t.TempDir()
	first := mustRun(t, t.TempDir(), environ("EXTENSION_REGISTRY_DATA_DIR="+d1), args(a, created)...)
	if !strings.HasPrefix(first.stdout, "published provider/repro 1.0.0 to the embedded store in ") {
		t.Errorf("publish printed %q", first.stdout)
	}
	second := mustRun(t, t.TempDir(), environ("EXTENSION_REGISTRY_DATA_DIR="+d2), args(b, created)...)
	again := mustRun(t, t.TempDir(), environ("EXTENSION_REGISTRY_DATA_DIR="+d1), args(a, created)...)
	if publishedDigest(t, first) != publishedDigest(t, second) || publishedDigest(t, first) != publishedDigest(t, again) {
		t.Errorf("digests differ: %s, %s (other timestamps and order), %s (again)",
			publishedDigest(t, first), publishedDigest(t, second), publishedDigest(t, again))
	}

	// Without --created the manifest records the time of publishing, but
	// the archive (the checksum clients verify) is the same.
	d3, d4 := t.TempDir(), t.TempDir()
	mustRun(t, t.TempDir(), environ("EXTENSION_REGISTRY_DATA_DIR="+d3), args(a)...)
	mustRun(t, t.TempDir(), environ("EXTENSION_REGISTRY_DATA_DIR="+d4), args(b)...)
	sums := []string{}
	for _, d := range []string{d1, d2, d3, d4} {
		sums = append(sums, layoutChecksum(t, d, registry.Provider, "repro"))
	}
	for _, s := range sums[1:] {
		if s != sums[0] {
			t.Errorf("archive checksums differ: %v", sums)
			break
		}
	}
}

var nsCounter atomic.Int64

// TestPublishToRegistryThenServe publishes a folder and an archive with
// `publish --to HOST/NAMESPACE --insecure` to a real registry, then serves
// that registry with `serve`: both are listed with their metadata and
// download as published. The folder's archive is the one the embedded store
// gets for the same folder.
func TestPublishToRegistryThenServe(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	ns := fmt.Sprintf("cmd%d/provisioning-extensions", nsCounter.Add(1))
	to := reg.Host + "/" + ns
	src := sourceTree(t, t.TempDir(), false, time.Now())
	archive := writeFile(t, filepath.Join(t.TempDir(), "tarball-2.0.0.tgz"), "", 0o644)
	if err := os.WriteFile(archive, gzipOf(t, "not really a tar, but gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := environ("EXTENSION_REGISTRY_DATA_DIR=" + t.TempDir())
	out := mustRun(t, t.TempDir(), env, "publish", src, "--type", "taskserv", "--name", "remote-k", "--version", "v1.2.0",
		"--description", "Remote K", "--author", "me", "--tag", "a", "--tag", "b,c", "--repository", "https://git.example.com/rk",
		"--created", "2025-05-05T05:05:05Z", "--to", to, "--insecure")
	if want := "published taskserv/remote-k v1.2.0 to " + to + " ("; !strings.HasPrefix(out.stdout, want) {
		t.Errorf("publish printed %q, want it to start with %q", out.stdout, want)
	}
	if out.stderr != "" {
		t.Errorf("a successful publish wrote to stderr: %q", out.stderr)
	}
	mustRun(t, t.TempDir(), env, "publish", archive, "--type", "provider", "--name", "tarball", "--version", "2.0.0", "--to", to, "--insecure")
	zipFile := filepath.Join(t.TempDir(), "zipped.zip")
	if err := os.WriteFile(zipFile, zipOf(t, "README", "zipped"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A repository list of the serving namespace has nothing to do with
	// where --to publishes.
	withList := append(env[:len(env):len(env)], "EXTENSION_REGISTRY_OCI_REPOSITORIES=provisioning-extensions/aws")
	mustRun(t, t.TempDir(), withList, "publish", zipFile, "--type", "cluster", "--name", "zipped", "--version", "0.1.0", "--to", to, "--insecure")

	// The same folder into the embedded store.
	local := t.TempDir()
	if r := mustRun(t, t.TempDir(), environ("EXTENSION_REGISTRY_DATA_DIR="+local), "publish", src, "--type", "taskserv", "--name", "remote-k", "--version", "1.2.0"); r.stderr != "" {
		t.Errorf("a successful publish into the embedded store wrote to stderr: %q", r.stderr)
	}
	localSum := layoutChecksum(t, local, registry.Taskserv, "remote-k")

	// The registry comes from a configuration file, the namespace from the
	// environment (which wins over the file) and the listen address from
	// the flag (which wins over both).
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfgFile := writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), fmt.Sprintf(
		"listen: %s\ndata_dir: %s\noci:\n  registry: %s\n  namespace: not-this-one\n  insecure: true\n",
		busy.Addr(), t.TempDir(), reg.Host), 0o644)
	s := startService(t, t.TempDir(), environ(
		"EXTENSION_REGISTRY_OCI_NAMESPACE="+ns,
		"EXTENSION_REGISTRY_LISTEN="+busy.Addr().String(),
	), "serve", "--config", cfgFile, "--listen", "127.0.0.1:0")

	code, body, _ := s.get(t, "/api/v1/extensions")
	var exts []map[string]any
	if err := json.Unmarshal(body, &exts); code != http.StatusOK || err != nil || len(exts) != 3 {
		t.Fatalf("list: %d %s", code, body)
	}
	rk := exts[0]
	for k, want := range map[string]any{
		"name": "remote-k", "type": "taskserv", "version": "1.2.0", "description": "Remote K", "author": "me",
		"repository": "https://git.example.com/rk", "source": "oci", "published_at": "2025-05-05T05:05:05Z",
		"tags": []any{"a", "b", "c"}, "checksum": localSum, "download_url": s.url + "/api/v1/extensions/taskserv/remote-k/1.2.0",
	} {
		if !reflect.DeepEqual(rk[k], want) {
			t.Errorf("remote-k %s = %v, want %v", k, rk[k], want)
		}
	}
	tb := exts[1]
	if tb["name"] != "tarball" || tb["type"] != "provider" || tb["checksum"] != sha256File(t, archive) {
		t.Errorf("tarball = %v, want the archive as it is (%s)", tb, sha256File(t, archive))
	}
	for _, c := range []struct{ path, file, sum string }{
		{"/api/v1/extensions/taskserv/remote-k/1.2.0", "remote-k_taskserv.tar.gz", localSum},
		{"/api/v1/extensions/provider/tarball/2.0.0", "tarball-2.0.0.tgz", sha256File(t, archive)},
		{"/api/v1/extensions/cluster/zipped/0.1.0", "zipped.zip", sha256File(t, zipFile)},
	} {
		code, body, h := s.get(t, c.path)
		_, p, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
		if code != http.StatusOK || p["filename"] != c.file || "sha256:"+sha256Hex(body) != c.sum {
			t.Errorf("%s: %d, file %q, %s; want %s with %s", c.path, code, p["filename"], "sha256:"+sha256Hex(body), c.file, c.sum)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}

// TestPublishWithCredentials publishes to a registry protected by
// htpasswd with the oci.* credentials of the environment; without them,
// publish fails with one line and no secret.
func TestPublishWithCredentials(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{Htpasswd: true})
	to := fmt.Sprintf("%s/cmd%d/provisioning-extensions", reg.Host, nsCounter.Add(1))
	src := sourceTree(t, t.TempDir(), false, time.Now())
	args := []string{"publish", src, "--type", "cluster", "--name", "secret", "--version", "1.0.0", "--to", to, "--insecure"}

	mustRun(t, t.TempDir(), environ("EXTENSION_REGISTRY_OCI_USERNAME="+reg.Username, "EXTENSION_REGISTRY_OCI_PASSWORD="+reg.Password), args...)

	const wrong = "wrong-password-2b7c"
	for _, env := range [][]string{
		environ(),
		environ("EXTENSION_REGISTRY_OCI_USERNAME="+reg.Username, "EXTENSION_REGISTRY_OCI_PASSWORD="+wrong),
	} {
		r := run(t, t.TempDir(), env, args...)
		line := strings.TrimSuffix(r.stderr, "\n")
		if r.code != 1 || strings.Contains(line, "\n") || !strings.Contains(line, "credentials") ||
			strings.Contains(r.stderr, wrong) || strings.Contains(r.stderr, reg.Password) {
			t.Errorf("publish without the right credentials: exit %d\n%s", r.code, r.stderr)
		}
	}
}

// gzipOf returns s compressed with gzip.
func gzipOf(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipOf returns a zip archive holding one file.
func zipOf(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, content); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
