package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/creack/pty"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// demoService runs `serve --demo` from an empty folder — the examples come
// from the binary — with EXTENSION_REGISTRY_URL set, which serve must
// ignore.
func demoService(t *testing.T) *service {
	t.Helper()
	dir := t.TempDir()
	s := startService(t, dir, environ("EXTENSION_REGISTRY_URL=http://127.0.0.1:1"), "serve", "--demo", "--listen", "127.0.0.1:0")
	if !strings.Contains(s.stderr.String(), `from="the built-in examples"`) {
		t.Errorf("the demo did not publish the built-in examples:\n%s", s.stderr)
	}
	return s
}

// cli runs a client command against url (through EXTENSION_REGISTRY_URL)
// in dir.
func cli(t *testing.T, url, dir string, args ...string) result {
	t.Helper()
	return run(t, dir, environ("EXTENSION_REGISTRY_URL="+url), args...)
}

// mustCLI is cli that requires exit code 0 and nothing on stderr.
func mustCLI(t *testing.T, url, dir string, args ...string) result {
	t.Helper()
	r := cli(t, url, dir, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("extension-registry %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// TestClientWorkflow is the README's client-side Complete Workflow against
// a real `serve --demo`, in table and in JSON form; the JSON is exactly
// the API's.
func TestClientWorkflow(t *testing.T) {
	s := demoService(t)
	dir := t.TempDir()

	r := mustCLI(t, s.url, dir, "search", "kubernetes")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "EXTENSION") ||
		!regexp.MustCompile(`^taskserv/kubernetes\s+1\.28\.0\s+oci\s+Kubernetes container orchestration platform$`).MatchString(lines[1]) ||
		!strings.HasPrefix(lines[2], "taskserv/k3s ") {
		t.Errorf("search kubernetes:\n%s", r.stdout)
	}

	r = mustCLI(t, s.url, dir, "info", "taskserv/kubernetes")
	for _, want := range []string{"extension:    taskserv/kubernetes\n", "version:      1.28.0\n", "checksum:     sha256:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("info lacks %q:\n%s", want, r.stdout)
		}
	}

	r = mustCLI(t, s.url, dir, "versions", "taskserv/kubernetes")
	var vs []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		vs = append(vs, strings.Fields(l)[0])
	}
	if strings.Join(vs, " ") != "1.28.0 1.27.5 1.27.4" {
		t.Errorf("versions: %v\n%s", vs, r.stdout)
	}

	// pull verifies for you: the file is the one the API describes.
	var versions []struct{ Version, Checksum string }
	_, body, _ := s.get(t, "/api/v1/extensions/taskserv/kubernetes/versions")
	if err := json.Unmarshal(body, &versions); err != nil {
		t.Fatal(err)
	}
	r = mustCLI(t, s.url, dir, "pull", "taskserv/kubernetes@1.28.0")
	if r.stdout != "kubernetes_taskserv.tar.gz\n" {
		t.Errorf("pull printed %q", r.stdout)
	}
	if got := sha256File(t, filepath.Join(dir, "kubernetes_taskserv.tar.gz")); got != versions[0].Checksum {
		t.Errorf("pulled file has %s, the API says %s", got, versions[0].Checksum)
	}

	t.Run("-o json is the API's JSON", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			path string
		}{
			{[]string{"list"}, "/api/v1/extensions"},
			{[]string{"list", "--type", "taskserv"}, "/api/v1/extensions?type=taskserv"},
			{[]string{"search", "kubernetes"}, "/api/v1/extensions/search?q=kubernetes"},
			{[]string{"search", "cloud", "--type", "provider", "--limit", "1"}, "/api/v1/extensions/search?q=cloud&type=provider&limit=1"},
			{[]string{"info", "provider/aws"}, "/api/v1/extensions/provider/aws"},
			{[]string{"versions", "provider/aws"}, "/api/v1/extensions/provider/aws/versions"},
		} {
			r := mustCLI(t, s.url, dir, append(c.args, "-o", "json")...)
			_, api, _ := s.get(t, c.path)
			var got, want any
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Errorf("%v -o json is not JSON: %v\n%s", c.args, err, r.stdout)
				continue
			}
			_ = json.Unmarshal(api, &want)
			if !bytes.Equal(bytes.TrimSpace([]byte(r.stdout)), bytes.TrimSpace(api)) {
				t.Errorf("%v -o json:\n%s\nthe API's %s:\n%s", c.args, r.stdout, c.path, api)
			}
		}

		pulled := t.TempDir()
		r := mustCLI(t, s.url, dir, "pull", "provider/aws", "-d", pulled, "-o", "json")
		var res map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res) != 3 {
			t.Fatalf("pull -o json = %q (%v), want {path, checksum, size}", r.stdout, err)
		}
		path, _ := res["path"].(string)
		sum, size := sha256File(t, path), fileSize(t, path)
		_, api, _ := s.get(t, "/api/v1/extensions/provider/aws")
		var aws struct {
			Version, Checksum string
			Size              float64
		}
		_ = json.Unmarshal(api, &aws)
		if path != filepath.Join(pulled, "aws_provider.tar.gz") || res["checksum"] != sum || res["size"] != float64(size) ||
			sum != aws.Checksum || float64(size) != aws.Size {
			t.Errorf("pull -o json = %v; file %s %d; the API says %s %v", res, sum, size, aws.Checksum, aws.Size)
		}
	})

	t.Run("shell completion", func(t *testing.T) {
		// (__complete reports its directive on stderr.)
		r := cli(t, s.url, dir, "__complete", "info", "taskserv/k")
		if !strings.HasPrefix(r.stdout, "taskserv/k3s\ntaskserv/kubernetes\n:") {
			t.Errorf("completion of taskserv/k:\n%s", r.stdout)
		}
		r = cli(t, s.url, dir, "__complete", "pull", "provider/aws@")
		if !strings.HasPrefix(r.stdout, "provider/aws@1.2.0\nprovider/aws@1.1.0\n:") {
			t.Errorf("completion of provider/aws@:\n%s", r.stdout)
		}
		r = cli(t, s.url, dir, "__complete", "versions", "")
		if !strings.HasPrefix(r.stdout, "provider/\ntaskserv/\ncluster/\n:") {
			t.Errorf("completion of the type:\n%s", r.stdout)
		}
		r = mustCLI(t, s.url, dir, "completion", "bash")
		if !strings.Contains(r.stdout, "__start_extension-registry") {
			t.Error("completion bash prints no bash completion script")
		}
	})

	t.Run("server errors", func(t *testing.T) {
		r := cli(t, s.url, dir, "info", "taskserv/nonexistent")
		if r.code != 1 || r.stderr != "extension-registry: Extension taskserv/nonexistent not found\n" || r.stdout != "" {
			t.Errorf("info of an unknown extension: exit %d, stderr %q", r.code, r.stderr)
		}
		before := entries(t, dir)
		r = cli(t, s.url, dir, "pull", "taskserv/kubernetes@9.9.9")
		if r.code != 1 || !strings.Contains(r.stderr, "not found") || len(entries(t, dir)) != len(before) {
			t.Errorf("pull of an unknown version: exit %d, %q, files %v", r.code, r.stderr, entries(t, dir))
		}
	})
}

// TestClientBadInput: a mistake on the command line is a usage error
// naming the argument, exit 2, and no request reaches the server.
func TestClientBadInput(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "no request expected", http.StatusTeapot)
	}))
	defer srv.Close()
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"info", "plugin/aws"}, `"plugin/aws"`},
		{[]string{"info", "aws"}, `"aws"`},
		{[]string{"info", "provider/"}, `"provider/"`},
		{[]string{"versions", "provider/a/b"}, `"provider/a/b"`},
		{[]string{"pull", "provider/aws@latest"}, `"provider/aws@latest"`},
		{[]string{"pull", "cluster"}, `"cluster"`},
		{[]string{"info"}, "TYPE/NAME"},
		{[]string{"info", "provider/aws", "provider/upcloud"}, "TYPE/NAME"},
		{[]string{"list", "--type", "plugin"}, "--type"},
		{[]string{"list", "--source", "s3"}, "--source"},
		{[]string{"search", "x", "--type", "plugin"}, "--type"},
		{[]string{"search", " "}, "QUERY"},
		{[]string{"search"}, "QUERY"},
		{[]string{"search", "x", "--limit", "many"}, "--limit"},
		{[]string{"list", "-o", "yaml"}, "-o"},
		{[]string{"list", "--bogus"}, "--bogus"},
		{[]string{"list", "--server", "localhost:8082"}, "--server"},
		{[]string{"pull", "provider/aws", "-d", filepath.Join(dir, "missing")}, "--dir"},
		{[]string{"nosuchcommand"}, "nosuchcommand"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := cli(t, srv.URL, dir, c.args...)
			line := strings.TrimSuffix(r.stderr, "\n")
			if r.code != 2 || strings.Contains(line, "\n") || !strings.HasPrefix(line, "extension-registry: ") || !strings.Contains(line, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line naming %s", r.code, r.stderr, c.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}

	t.Run("server unreachable", func(t *testing.T) {
		addr := "http://" + testserver.ClosedAddr(t)
		for _, args := range [][]string{{"list"}, {"search", "x"}, {"info", "provider/aws"}, {"pull", "provider/aws"}} {
			r := cli(t, addr, dir, args...)
			line := strings.TrimSuffix(r.stderr, "\n")
			if r.code != 1 || strings.Contains(line, "\n") || !strings.Contains(line, addr) {
				t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line naming %s", args, r.code, r.stderr, addr)
			}
		}
		if es := entries(t, dir); len(es) != 0 {
			t.Errorf("files left: %v", es)
		}
	})
}

// TestPullTampered: bytes changed in flight by a proxy between the client
// and a real `serve --demo` fail the pull with both digests named, exit
// 1, and leave no file — neither the archive nor a temporary one.
func TestPullTampered(t *testing.T) {
	s := demoService(t)
	target, _ := url.Parse(s.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Header.Get("Content-Type") != "application/octet-stream" {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		b[len(b)-1] ^= 0x01
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	srv := httptest.NewServer(proxy)
	defer srv.Close()

	var versions []struct{ Version, Checksum string }
	_, body, _ := s.get(t, "/api/v1/extensions/taskserv/kubernetes/versions")
	if err := json.Unmarshal(body, &versions); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"taskserv/kubernetes@1.28.0", "taskserv/kubernetes"} {
		dir := t.TempDir()
		r := cli(t, srv.URL, dir, "pull", ref, "-o", "json")
		line := strings.TrimSuffix(r.stderr, "\n")
		if r.code != 1 || strings.Contains(line, "\n") || !strings.Contains(line, "checksum mismatch") ||
			!strings.Contains(line, versions[0].Checksum) || !regexp.MustCompile(`got sha256:[0-9a-f]{64}`).MatchString(line) ||
			!strings.Contains(line, "no file was written") {
			t.Errorf("pull %s through a tampering proxy: exit %d, stderr %q", ref, r.code, r.stderr)
		}
		if es := entries(t, dir); len(es) != 0 || r.stdout != "" {
			t.Errorf("pull %s left %v, printed %q", ref, es, r.stdout)
		}
	}
}

// TestPullProgressBar: a progress bar on stderr when it is a terminal (a
// pseudo-terminal here), nothing at all when it is not.
func TestPullProgressBar(t *testing.T) {
	s := demoService(t)

	dir := t.TempDir()
	r := mustCLI(t, s.url, dir, "pull", "taskserv/kubernetes@1.28.0")
	if r.stderr != "" {
		t.Errorf("stderr is not a terminal, but the pull wrote %q", r.stderr)
	}

	dir = t.TempDir()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	cmd := exec.Command(binary, "pull", "taskserv/kubernetes@1.28.0")
	cmd.Dir, cmd.Env = dir, environ("EXTENSION_REGISTRY_URL="+s.url)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	screen, _ := io.ReadAll(ptmx) // ends with EIO once the command exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("pull on a terminal: %v\n%s", err, screen)
	}
	if !bytes.Contains(screen, []byte("taskserv/kubernetes@1.28.0")) || !bytes.Contains(screen, []byte("100%")) || !bytes.Contains(screen, []byte("█")) {
		t.Errorf("no progress bar of taskserv/kubernetes@1.28.0 reaching 100%% on the terminal:\n%q", screen)
	}
	if stdout.String() != "kubernetes_taskserv.tar.gz\n" {
		t.Errorf("stdout %q: the bar must not go to stdout", stdout.String())
	}
}

// TestClientAgainstRegistry runs the client against serve over a real
// distribution registry holding the examples.
func TestClientAgainstRegistry(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	ns := "client" + strings.ToLower(regexp.MustCompile(`\W`).ReplaceAllString(t.Name(), "")) + "/provisioning-extensions"
	work := t.TempDir()
	examples, _ := filepath.Abs("../../examples")
	var awsArchive string
	var awsSize int64
	// Publish every example version with the command line, as a user would.
	for _, v := range []struct{ typ, name, version string }{
		{"provider", "aws", "1.2.0"}, {"taskserv", "kubernetes", "1.28.0"}, {"taskserv", "kubernetes", "1.27.5"},
	} {
		src := filepath.Join(examples, v.typ, v.name, v.version)
		r := mustRun(t, work, environ(), "publish", src, "--type", v.typ, "--name", v.name, "--version", v.version,
			"--to", reg.Host+"/"+ns, "--plain-http", "-o", "json")
		var out struct {
			Type, Name, Version, To string
			ManifestDigest          string `json:"manifest_digest"`
			ArchiveDigest           string `json:"archive_digest"`
			Size                    int64
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || strings.Count(r.stdout, "\n") != 1 ||
			out.Version != v.version || !strings.HasPrefix(out.ManifestDigest, "sha256:") || !strings.HasPrefix(out.ArchiveDigest, "sha256:") {
			t.Fatalf("publish -o json = %q (%v)", r.stdout, err)
		}
		if r.stderr != "" {
			t.Errorf("publish -o json wrote to stderr: %q", r.stderr)
		}
		if v.name == "aws" {
			awsArchive, awsSize = out.ArchiveDigest, out.Size
		}
	}
	s := startService(t, work, environ("EXTENSION_REGISTRY_OCI_REGISTRY="+reg.Host, "EXTENSION_REGISTRY_OCI_NAMESPACE="+ns,
		"EXTENSION_REGISTRY_OCI_INSECURE=true"), "serve", "--listen", "127.0.0.1:0")
	r := mustCLI(t, s.url, work, "list", "-o", "json")
	var exts []struct{ Type, Name, Version string }
	if err := json.Unmarshal([]byte(r.stdout), &exts); err != nil || len(exts) != 2 {
		t.Fatalf("list -o json = %s (%v)", r.stdout, err)
	}
	r = mustCLI(t, s.url, work, "search", "kubernetes")
	if !regexp.MustCompile(`(?m)^taskserv/kubernetes\s+1\.28\.0\s+oci\s`).MatchString(r.stdout) {
		t.Errorf("search kubernetes:\n%s", r.stdout)
	}
	r = mustCLI(t, s.url, work, "info", "provider/aws")
	if !regexp.MustCompile(`(?m)^version:\s+1\.2\.0$`).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^checksum:\s+sha256:[0-9a-f]{64}$`).MatchString(r.stdout) {
		t.Errorf("info provider/aws:\n%s", r.stdout)
	}
	// publish -o json reports the archive: its digest is the checksum the
	// API shows, its size the download's.
	if !strings.Contains(r.stdout, awsArchive) {
		t.Errorf("publish reported archive %s, info shows:\n%s", awsArchive, r.stdout)
	}
	if resp, err := http.Get(s.url + "/api/v1/extensions/provider/aws/1.2.0"); err != nil {
		t.Error(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if int64(len(body)) != awsSize {
			t.Errorf("publish reported an archive of %d bytes, the download has %d", awsSize, len(body))
		}
	}
	r = mustCLI(t, s.url, work, "versions", "taskserv/kubernetes", "-o", "json")
	if !strings.Contains(r.stdout, `"version":"1.28.0"`) || !strings.Contains(r.stdout, `"version":"1.27.5"`) {
		t.Errorf("versions: %s", r.stdout)
	}
	dir := t.TempDir()
	r = mustCLI(t, s.url, work, "pull", "taskserv/kubernetes@v1.27.5", "-d", dir)
	if r.stdout != filepath.Join(dir, "kubernetes_taskserv.tar.gz")+"\n" {
		t.Errorf("pull printed %q", r.stdout)
	}
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestPullUnverified: a version whose source publishes no checksum (a
// Gitea release without one) is saved, with a warning saying it was not
// verified. (A fake server: the edge case needs no real backend.)
func TestPullUnverified(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/extensions/provider/plain/versions":
			io.WriteString(w, `[{"version":"1.0.0","published_at":"2025-01-01T00:00:00Z"}]`)
		case "/api/v1/extensions/provider/plain/1.0.0":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", `attachment; filename="plain-1.0.0.tar.gz"`)
			io.WriteString(w, "archive bytes")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	r := cli(t, srv.URL, dir, "pull", "provider/plain@1.0.0")
	if r.code != 0 || r.stdout != "plain-1.0.0.tar.gz\n" || !strings.Contains(r.stderr, "no checksum") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if es := entries(t, dir); len(es) != 1 || es[0] != "plain-1.0.0.tar.gz" {
		t.Errorf("files %v", es)
	}
}
