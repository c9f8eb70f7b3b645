package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// TestMain runs the tests, then fails the run if a credential of any
// configuration a test served shows in a log line or an answer body.
func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopSharedRegistries()
	if leaks := findLeaks(); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: secret values leaked into logs or answers:\n  %s\n", strings.Join(leaks, "\n  "))
		code = 1
	}
	os.Exit(code)
}

// server is one registry process (app.New + Run) on a loopback port.
type server struct {
	// URL is http://127.0.0.1:port, without a trailing slash.
	URL  string
	logs *logBuffer
}

// startServer runs the registry of cfg (its listen address replaced by a
// free loopback port) until the test ends. Run must return without error
// when the test stops it.
func startServer(t *testing.T, cfg config.Config) *server {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	logs := &logBuffer{}
	watchConfig(cfg, logs)
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(cfg, logger)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if t.Failed() {
			t.Logf("registry service log:\n%s", logs)
		}
	})
	return &server{URL: "http://" + a.Addr(), logs: logs}
}

// baseConfig is the default configuration with its own data directory.
func baseConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	return cfg
}

// registryConfig points cfg at host with a namespace of its own.
func registryConfig(t *testing.T, host string) config.Config {
	cfg := baseConfig(t)
	cfg.OCI.Registry = host
	cfg.OCI.Namespace = uniqueNamespace(t)
	cfg.OCI.Insecure = true
	return cfg
}

// publisher returns the OCI backend of cfg, which `extension-registry
// publish` uses to push, for the test to publish with.
func publisher(t *testing.T, cfg config.Config) *oci.Backend {
	t.Helper()
	b, err := app.NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewOCI: %v", err)
	}
	return b
}

// flavour is one kind of OCI backend the registry serves.
type flavour struct {
	name string
	// config returns a configuration of an empty backend of this flavour.
	config func(t *testing.T) config.Config
}

// flavours are the remote registry and the embedded store.
func flavours() []flavour {
	return []flavour{
		{"registry", func(t *testing.T) config.Config {
			return registryConfig(t, testserver.SharedRegistry(t, testserver.RegistryOptions{}).Host)
		}},
		{"embedded store", baseConfig},
	}
}

var nsCounter atomic.Int64

// uniqueNamespace returns an OCI namespace no other test of the run uses,
// so that tests can share one registry.
func uniqueNamespace(t *testing.T) string {
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	name = strings.Trim(name, "-")
	if len(name) > 40 {
		name = strings.Trim(name[len(name)-40:], "-")
	}
	return fmt.Sprintf("api%d-%s/provisioning-extensions", nsCounter.Add(1), name)
}

// testContext ends with the test or after two minutes.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// mustPublish publishes a and fails the test on error.
func mustPublish(t *testing.T, b *oci.Backend, a oci.Artifact) {
	t.Helper()
	if _, err := b.Publish(testContext(t), a); err != nil {
		t.Fatalf("publish %s/%s %s: %v", a.Type, a.Name, a.Version, err)
	}
}

// mustTarGz writes a .tar.gz holding files (name → content) into dir/name.
func mustTarGz(t *testing.T, dir, name string, files map[string]string) string {
	t.Helper()
	return mustWrite(t, filepath.Join(dir, name), testserver.TarGz(t, files))
}

func mustWrite(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileSum returns "sha256:<hex>" and the size of the file at path.
func fileSum(t *testing.T, path string) (string, int64) { return testserver.FileDigest(t, path) }

func bytesSum(b []byte) string { return testserver.Digest(b) }

// response is an answer of the service, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

var client = &http.Client{Timeout: time.Minute}

// do sends one request to the service and reads the whole answer.
func (s *server) do(t *testing.T, method, path string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return doRequest(t, req)
}

func doRequest(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	if resp.StatusCode >= 400 || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		watchBody(req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// get sends GET path.
func (s *server) get(t *testing.T, path string) response {
	t.Helper()
	return s.do(t, http.MethodGet, path)
}

// getJSON sends GET path, requires a 200 JSON answer and decodes it into v.
func (s *server) getJSON(t *testing.T, path string, v any) response {
	t.Helper()
	r := s.get(t, path)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, r.body)
	}
	return r
}

// objects decodes a JSON array of objects.
func (s *server) objects(t *testing.T, path string) ([]map[string]any, response) {
	t.Helper()
	var out []map[string]any
	r := s.getJSON(t, path, &out)
	if out == nil {
		t.Errorf("GET %s: body %s, want a JSON array (never null)", path, r.body)
	}
	return out, r
}

// names returns "type/name@version" of each listed extension.
func names(exts []map[string]any) []string {
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = fmt.Sprintf("%v/%v@%v", e["type"], e["name"], e["version"])
	}
	return out
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkError checks that r is an error answer of the API: the status, the
// body {"error","message"[,"details"]} as JSON, the error type, and a
// message containing want (or equal to it when exact).
func checkError(t *testing.T, what string, r response, status int, typ, want string, exact bool) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d (body %s)", what, r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Errorf("%s: body is not JSON: %s", what, r.body)
		return
	}
	for k, v := range body {
		switch k {
		case "error", "message", "details":
			if s, ok := v.(string); !ok || s == "" {
				t.Errorf("%s: %q is %#v, want a non-empty string", what, k, v)
			}
		default:
			t.Errorf("%s: unexpected key %q in the error body %s", what, k, r.body)
		}
	}
	if body["error"] != typ {
		t.Errorf("%s: error %v, want %q", what, body["error"], typ)
	}
	msg, _ := body["message"].(string)
	if exact && msg != want || !exact && !strings.Contains(msg, want) {
		t.Errorf("%s: message %q, want %s %q", what, msg, map[bool]string{true: "exactly", false: "containing"}[exact], want)
	}
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cacheStats returns the answer of /cache/stats.
func (s *server) cacheStats(t *testing.T) map[string]float64 {
	t.Helper()
	var st map[string]float64
	s.getJSON(t, "/api/v1/cache/stats", &st)
	return st
}

// waitWarm waits until the service's initial listing is cached.
func (s *server) waitWarm(t *testing.T) {
	t.Helper()
	waitFor(t, "the initial listing to be cached", func() bool { return s.cacheStats(t)["list_entries"] >= 1 })
}

// logBuffer collects log output across goroutines.
type logBuffer = testserver.LogBuffer

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string { return testserver.ClosedAddr(t) }
