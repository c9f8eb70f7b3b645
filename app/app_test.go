package app

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// e2eDemo is a registry started as `serve --demo` starts it: the examples
// published into the embedded store of a fresh data directory, then the
// service on a loopback port.
type e2eDemo struct {
	url string
	cfg config.Config
}

func e2eStartDemo(t *testing.T) *e2eDemo {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	log := slog.New(slog.DiscardHandler)
	b, err := NewOCI(cfg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	n, err := PublishExamples(t.Context(), b, "../examples")
	if err != nil {
		t.Fatalf("PublishExamples: %v", err)
	}
	if n != 8 {
		t.Errorf("published %d example versions, want 8", n)
	}
	return &e2eDemo{url: runForTest(t, cfg, log), cfg: cfg}
}

// e2eGet sends GET url and decodes its 200 JSON answer into v.
func e2eGet(t *testing.T, url string, v any) http.Header {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
	return resp.Header
}

// e2eSum is the sha256 of the file at path as "sha256:<hex>".
func e2eSum(t *testing.T, path string) string { s, _ := testserver.FileDigest(t, path); return s }

// e2eDownloadOJ saves url into dir as `curl -OJ` does: with curl when it
// is installed, else with the file name of the Content-Disposition header.
func e2eDownloadOJ(t *testing.T, dir, url string) {
	t.Helper()
	if curl, err := exec.LookPath("curl"); err == nil {
		cmd := exec.Command(curl, "-sS", "--fail", "-OJ", url)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("curl -OJ %s: %v\n%s", url, err, out)
		}
		return
	}
	t.Log("curl is not installed: saving under the Content-Disposition file name instead")
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] == "" {
		t.Fatalf("no file name in Content-Disposition %q", resp.Header.Get("Content-Disposition"))
	}
	f, err := os.Create(filepath.Join(dir, filepath.Base(params["filename"])))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
}

// TestCompleteWorkflow runs the "Complete Workflow" of the API document,
// step by step, against the registry as `serve --demo` starts it.
func TestCompleteWorkflow(t *testing.T) {
	d := e2eStartDemo(t)
	api := d.url + "/api/v1"

	// 1. Search for Kubernetes extensions
	var found []map[string]any
	e2eGet(t, api+"/extensions/search?q=kubernetes", &found)
	var hits []string
	for _, e := range found {
		hits = append(hits, e["type"].(string)+"/"+e["name"].(string)+"@"+e["version"].(string))
	}
	if want := []string{"taskserv/kubernetes@1.28.0", "taskserv/k3s@1.27.5"}; !reflect.DeepEqual(hits, want) {
		t.Errorf("1. search = %v, want %v", hits, want)
	}

	// 2. Get extension metadata
	var ext map[string]any
	e2eGet(t, api+"/extensions/taskserv/kubernetes", &ext)
	for k, want := range map[string]any{
		"name": "kubernetes", "type": "taskserv", "version": "1.28.0",
		"description": "Kubernetes container orchestration platform", "author": "provisioning-team",
		"repository": "https://gitea.example.com/provisioning/kubernetes_taskserv", "source": "oci",
		"published_at": "2025-10-06T12:00:00Z", "download_url": api + "/extensions/taskserv/kubernetes/1.28.0",
		"tags": []any{"kubernetes", "containers", "orchestration"},
	} {
		if !reflect.DeepEqual(ext[k], want) {
			t.Errorf("2. %s = %v, want %v", k, ext[k], want)
		}
	}

	// 3. List available versions
	var versions []map[string]any
	e2eGet(t, api+"/extensions/taskserv/kubernetes/versions", &versions)
	var got []string
	for _, v := range versions {
		got = append(got, v["version"].(string)+" "+v["published_at"].(string))
		if v["checksum"] == nil || v["size"] == nil || v["download_url"] != api+"/extensions/taskserv/kubernetes/"+v["version"].(string) {
			t.Errorf("3. version %v lacks its download fields", v)
		}
	}
	want := []string{"1.28.0 2025-10-06T12:00:00Z", "1.27.5 2025-09-15T10:30:00Z", "1.27.4 2025-08-20T08:15:00Z"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("3. versions = %v, want %v", got, want)
	}
	checksum := versions[0]["checksum"].(string)
	if ext["checksum"] != checksum || ext["size"] != versions[0]["size"] {
		t.Errorf("2. and 3. disagree on 1.28.0: %v %v vs %v %v", ext["checksum"], ext["size"], checksum, versions[0]["size"])
	}

	// 4. Download specific version
	dir := t.TempDir()
	e2eDownloadOJ(t, dir, api+"/extensions/taskserv/kubernetes/1.28.0")

	// 5. Verify checksum (if provided)
	file := filepath.Join(dir, "kubernetes_taskserv.tar.gz")
	if sum := e2eSum(t, file); sum != checksum {
		t.Errorf("5. sha256sum kubernetes_taskserv.tar.gz = %s, want the checksum %s", sum, checksum)
	}
	if st, err := os.Stat(file); err != nil || float64(st.Size()) != versions[0]["size"] {
		t.Errorf("5. the saved file: %v, %v; want %v bytes", st, err, versions[0]["size"])
	}
	// The archive holds the example's files.
	e2eCheckArchive(t, file, "../examples/taskserv/kubernetes/1.28.0")
}

// e2eCheckArchive checks that the tar.gz at path holds exactly the files
// of the folder src, with their contents.
func e2eCheckArchive(t *testing.T, path, src string) {
	t.Helper()
	want := map[string]string{}
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(src, p)
		want[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tr := tar.NewReader(zr)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			got[strings.TrimPrefix(h.Name, "./")] = string(b)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the archive holds %v, want the files of %s", e2eKeys(got), src)
	}
}

func e2eKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestDemoSpecExamples runs the API document's Pagination and Filtering
// examples against the demo, and checks that publishing the examples again
// (running the demo again) changes nothing.
func TestDemoSpecExamples(t *testing.T) {
	d := e2eStartDemo(t)
	api := d.url + "/api/v1"
	list := func(query string) []string {
		t.Helper()
		var exts []map[string]any
		e2eGet(t, api+"/extensions?"+query, &exts)
		out := []string{}
		for _, e := range exts {
			out = append(out, e["type"].(string)+"/"+e["name"].(string))
		}
		return out
	}
	all := []string{"provider/aws", "cluster/buildkit", "taskserv/k3s", "taskserv/kubernetes", "provider/upcloud"}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"limit=10&offset=0", all},
		{"limit=10&offset=10", []string{}},
		{"limit=10&offset=20", []string{}},
		{"type=provider&source=gitea", []string{}},
		{"type=taskserv&source=oci", []string{"taskserv/k3s", "taskserv/kubernetes"}},
		{"type=cluster", []string{"cluster/buildkit"}},
		{"type=provider&limit=10", []string{"provider/aws", "provider/upcloud"}},
	} {
		if got := list(c.query); !reflect.DeepEqual(got, c.want) {
			t.Errorf("?%s = %v, want %v", c.query, got, c.want)
		}
	}
	var aws map[string]any
	e2eGet(t, api+"/extensions/provider/aws", &aws)
	if aws["version"] != "1.2.0" {
		t.Errorf("aws version %v, want 1.2.0", aws["version"])
	}

	// Publishing the examples again gives the same artifacts.
	var before []map[string]any
	e2eGet(t, api+"/extensions/taskserv/kubernetes/versions", &before)
	b, err := NewOCI(d.cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PublishExamples(t.Context(), b, "../examples"); err != nil {
		t.Fatal(err)
	}
	direct, err := b.Versions(t.Context(), "taskserv", "kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	if len(direct) != len(before) {
		t.Fatalf("versions after publishing again: %v, before %v", direct, before)
	}
	for i, v := range direct {
		if v.Version != before[i]["version"] || v.Checksum != before[i]["checksum"] ||
			v.PublishedAt.Format(time.RFC3339) != before[i]["published_at"] {
			t.Errorf("publishing the demo again changed %s: %+v, before %v", v.Version, v, before[i])
		}
	}
}
