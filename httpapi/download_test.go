package httpapi_test

import (
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/oci"
)

// checkDownload checks a download answer: 200, application/octet-stream,
// Content-Length, a Content-Disposition naming file, X-Checksum, and a body
// of size bytes whose sha256 is checksum.
func checkDownload(t *testing.T, what string, r response, file, checksum string, size int64) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Errorf("%s: status %d (%s)", what, r.status, r.body)
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("%s: Content-Type %q, want application/octet-stream", what, ct)
	}
	if cl := r.header.Get("Content-Length"); cl != strconv.FormatInt(size, 10) {
		t.Errorf("%s: Content-Length %q, want %d", what, cl, size)
	}
	disp, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != file {
		t.Errorf("%s: Content-Disposition %q, want an attachment named %q", what, r.header.Get("Content-Disposition"), file)
	}
	if got := r.header.Get("X-Checksum"); got != checksum {
		t.Errorf("%s: X-Checksum %q, want %q", what, got, checksum)
	}
	if int64(len(r.body)) != size || bytesSum(r.body) != checksum {
		t.Errorf("%s: body of %d bytes with %s, want %d bytes with %s", what, len(r.body), bytesSum(r.body), size, checksum)
	}
}

// curlOJ runs `curl -sOJ url` in an empty folder, as the API document
// shows, and checks that it saved exactly one file, named file, whose
// sha256 is checksum. It returns the saved file's path.
func curlOJ(t *testing.T, url, file, checksum string) string {
	t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(testContext(t), curl, "-sS", "--fail", "-OJ", url)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("curl -OJ %s: %v\n%s", url, err, out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != file {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Fatalf("curl -OJ saved %v, want [%s]", got, file)
	}
	path := filepath.Join(dir, file)
	if got, _ := fileSum(t, path); got != checksum {
		t.Errorf("curl -OJ saved %s with %s, want %s", file, got, checksum)
	}
	return path
}

// TestDownloadStreams downloads a 64 MiB archive from each flavour and
// checks that the process allocates far less than the archive's size while
// doing so: the archive is streamed, never held in memory.
func TestDownloadStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes a 64 MiB archive")
	}
	const size = 64 << 20
	path := filepath.Join(t.TempDir(), "big_cluster.tar.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.NoCompression) // random bytes: no point compressing
	if _, err := io.CopyN(zw, rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want, wantSize := fileSum(t, path)

	for _, fl := range flavours() {
		t.Run(fl.name, func(t *testing.T) {
			cfg := fl.config(t)
			mustPublish(t, publisher(t, cfg), oci.Artifact{Path: path, Type: registry.Cluster, Name: "big", Version: "1.0.0"})
			s := startServer(t, cfg)
			s.waitWarm(t)
			var vs []map[string]any
			s.getJSON(t, "/api/v1/extensions/cluster/big/versions", &vs) // cached: the download below is the only work
			if len(vs) != 1 || vs[0]["checksum"] != want || vs[0]["size"] != float64(wantSize) {
				t.Fatalf("versions %v, want one of %d bytes with %s", vs, wantSize, want)
			}

			req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, s.URL+"/api/v1/extensions/cluster/big/1.0.0", nil)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			n, err := io.Copy(h, resp.Body)
			resp.Body.Close()
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatalf("download: %v after %d bytes", err, n)
			}
			got := "sha256:" + hex.EncodeToString(h.Sum(nil))
			if resp.StatusCode != http.StatusOK || n != wantSize || resp.ContentLength != wantSize || got != want {
				t.Fatalf("download: %d, %d bytes (Content-Length %d) with %s; want %d bytes with %s",
					resp.StatusCode, n, resp.ContentLength, got, wantSize, want)
			}
			// Client and server share this process: everything both allocated
			// while the archive passed through. Buffering it would cost at
			// least its size.
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %.1f MiB while streaming %d MiB", float64(alloc)/(1<<20), size>>20)
			if alloc > size/4 {
				t.Errorf("allocated %d bytes while streaming a %d-byte archive: the download is buffered", alloc, wantSize)
			}
		})
	}
}
