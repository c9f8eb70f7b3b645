package main

import (
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestServeDemo runs the README's first command, `serve --demo`, in a
// fresh folder holding the examples (on a free port rather than :8082):
// the embedded store is filled with what `publish` put there and with the
// examples, the API serves them, and SIGTERM stops the service gracefully —
// a download in flight completes, then the process exits 0.
func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(examples, filepath.Join(dir, "examples")); err != nil {
		t.Fatal(err)
	}
	env := environ()

	// A large archive published into the default data directory (./data)
	// before serving, so that a download is still streaming when the stop
	// signal arrives.
	big := bigArchive(t)
	mustRun(t, dir, env, "publish", big, "--type", "cluster", "--name", "big", "--version", "1.0.0")
	bigSum := sha256File(t, big)

	s := startService(t, dir, env, "serve", "--demo", "--listen", "127.0.0.1:0")
	if !strings.Contains(s.stderr.String(), "versions=8") {
		t.Errorf("the demo did not log publishing the 8 example versions:\n%s", s.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "oci", "provisioning-extensions", "kubernetes", "index.json")); err != nil {
		t.Errorf("the demo did not publish into ./data: %v", err)
	}

	code, body, _ := s.get(t, "/api/v1/extensions")
	var exts []map[string]any
	if err := json.Unmarshal(body, &exts); code != http.StatusOK || err != nil {
		t.Fatalf("list: %d %s", code, body)
	}
	var got []string
	for _, e := range exts {
		got = append(got, e["type"].(string)+"/"+e["name"].(string)+"@"+e["version"].(string))
	}
	want := []string{"provider/aws@1.2.0", "cluster/big@1.0.0", "cluster/buildkit@0.12.0", "taskserv/k3s@1.27.5",
		"taskserv/kubernetes@1.28.0", "provider/upcloud@2.1.3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("list = %v, want %v", got, want)
	}
	code, body, _ = s.get(t, "/api/v1/health")
	if code != http.StatusOK || !strings.Contains(string(body), `"status":"healthy"`) {
		t.Errorf("health: %d %s", code, body)
	}
	code, body, h := s.get(t, "/api/v1/extensions/taskserv/kubernetes/1.28.0")
	if _, p, _ := mime.ParseMediaType(h.Get("Content-Disposition")); code != http.StatusOK || p["filename"] != "kubernetes_taskserv.tar.gz" ||
		"sha256:"+sha256Hex(body) != h.Get("X-Checksum") {
		t.Errorf("kubernetes 1.28.0: %d, %v", code, h)
	}

	t.Run("SIGTERM lets a download in flight finish", func(t *testing.T) {
		resp, err := http.Get(s.url + "/api/v1/extensions/cluster/big/1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		hash := sha256.New()
		if _, err := io.CopyN(hash, resp.Body, 1<<20); err != nil {
			t.Fatal(err)
		}
		// 31 MiB are still to come: more than the sockets buffer, so the
		// service is still writing when it gets the signal.
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(hash, resp.Body)
		if err != nil {
			t.Fatalf("the download broke after the stop signal: %v (%d more bytes)", err, n)
		}
		if got := "sha256:" + hex.EncodeToString(hash.Sum(nil)); got != bigSum || n+1<<20 != resp.ContentLength {
			t.Errorf("downloaded %d bytes with %s, want %d with %s", n+1<<20, got, resp.ContentLength, bigSum)
		}
		if code := s.wait(t); code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0", code)
		}
		if !strings.Contains(s.stderr.String(), "shutting down") {
			t.Errorf("no shutdown in the log:\n%s", s.stderr)
		}
		if c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://")); err == nil {
			c.Close()
			t.Error("the port still accepts connections after the exit")
		}
	})
}

func sha256File(t *testing.T, path string) string { s, _ := testserver.FileDigest(t, path); return s }

func sha256Hex(b []byte) string { return testserver.SHA256(b) }

// bigArchive writes a 32 MiB gzip archive of random bytes (stored, not
// compressed), large enough to be still streaming when a test stops the
// service, and returns its path.
func bigArchive(t *testing.T) string {
	t.Helper()
	big := filepath.Join(t.TempDir(), "big.tar.gz")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.NoCompression)
	if _, err := io.CopyN(zw, rand.Reader, 32<<20); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return big
}
