package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// TestETagAndCacheHeaders: every JSON answer carries an ETag and a
// matching If-None-Match gets 304 without a body; answers from the index
// say X-Cache-Hit: true with the seconds until the next refresh.
func TestETagAndCacheHeaders(t *testing.T) {
	cfg := baseConfig(t)
	publishFixture(t, publisher(t, cfg))
	s := startServer(t, cfg)
	s.waitWarm(t)
	for _, path := range []string{
		"/api/v1/extensions?limit=100",
		"/api/v1/extensions?type=provider",
		"/api/v1/extensions/taskserv/kubernetes",
		"/api/v1/extensions/taskserv/kubernetes/versions",
		"/api/v1/extensions/search?q=kube",
		"/api/v1/health",
		"/api/v1/cache/stats",
	} {
		t.Run(path, func(t *testing.T) {
			first := s.get(t, path)
			etag := first.header.Get("ETag")
			if first.status != http.StatusOK || !strings.HasPrefix(etag, `"`) {
				t.Fatalf("%d, ETag %q", first.status, etag)
			}
			fromIndex := !strings.Contains(path, "/health") && !strings.Contains(path, "/cache/stats")
			wantHit := map[bool]string{true: "true", false: "false"}[fromIndex]
			if got := first.header.Get("X-Cache-Hit"); got != wantHit {
				t.Errorf("X-Cache-Hit %q, want %q", got, wantHit)
			}
			if fromIndex {
				ttl, err := strconv.Atoi(first.header.Get("X-Cache-TTL"))
				if err != nil || ttl < 0 || ttl > 60 {
					t.Errorf("X-Cache-TTL %d, want the seconds until the next read (≤ 60)", ttl)
				}
				again := s.get(t, path)
				if again.header.Get("ETag") != etag || string(again.body) != string(first.body) {
					t.Errorf("the same answer changed: %q %s → %q %s", etag, first.body, again.header.Get("ETag"), again.body)
				}
			}
			req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, s.URL+path, nil)
			req.Header.Set("If-None-Match", `"nope", `+etag)
			if r := doRequest(t, req); fromIndex && (r.status != http.StatusNotModified || len(r.body) != 0) {
				t.Errorf("If-None-Match with the ETag: %d with %d bytes, want 304 and none", r.status, len(r.body))
			}
			req, _ = http.NewRequestWithContext(testContext(t), http.MethodGet, s.URL+path, nil)
			req.Header.Set("If-None-Match", `"other"`)
			if r := doRequest(t, req); r.status != http.StatusOK || len(r.body) == 0 {
				t.Errorf("If-None-Match with another ETag: %d", r.status)
			}
		})
	}
	// Another host name gives other download URLs, so another ETag.
	req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, s.URL+"/api/v1/extensions/taskserv/kubernetes", nil)
	req.Host = "registry.example"
	other := doRequest(t, req)
	if mine := s.get(t, "/api/v1/extensions/taskserv/kubernetes"); other.header.Get("ETag") == mine.header.Get("ETag") ||
		!strings.Contains(string(other.body), "http://registry.example/api/v1/") {
		t.Errorf("answers for two hosts share ETag %q: %s", mine.header.Get("ETag"), other.body)
	}
}

// TestStaleOnErrorThenMaxStale stops a real registry: the index goes on
// serving its last good read past cache.ttl (stale-on-error) while
// /health says degraded with the cause, then, past index.max_stale,
// answers 503 service_unavailable for what needs the source.
func TestStaleOnErrorThenMaxStale(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	cfg := registryConfig(t, reg.Host)
	cfg.Cache.TTL = 50 * time.Millisecond
	cfg.Index.Interval = 100 * time.Millisecond
	cfg.Index.MaxStale = 3 * time.Second
	dir := t.TempDir()
	mustPublish(t, publisher(t, cfg), oci.Artifact{
		Path: mustTarGz(t, dir, "aws.tar.gz", map[string]string{"v": "1"}), Type: registry.Provider, Name: "aws", Version: "1.0.0",
	})
	s := startServer(t, cfg)
	s.waitWarm(t)
	reg.Close()
	degraded := func() (bool, string) {
		var h struct {
			Status   string `json:"status"`
			Backends map[string]struct {
				Error string `json:"error"`
			} `json:"backends"`
		}
		s.getJSON(t, "/api/v1/health", &h)
		return h.Status == "degraded", h.Backends["oci"].Error
	}
	waitFor(t, "/health degraded with the failed index read as the cause", func() bool {
		d, cause := degraded()
		return d && strings.Contains(cause, "index read failed")
	})
	stopped := time.Now()
	time.Sleep(300 * time.Millisecond) // several failed reads, past cache.ttl
	for _, path := range []string{"/api/v1/extensions", "/api/v1/extensions?source=oci", "/api/v1/extensions/provider/aws", "/api/v1/extensions/provider/aws/versions"} {
		r := s.get(t, path)
		if time.Since(stopped) > 2*time.Second {
			t.Skip("the machine is too slow to check the stale answers before max_stale")
		}
		if r.status != http.StatusOK || !strings.Contains(string(r.body), "aws") || r.header.Get("X-Cache-Hit") != "true" {
			t.Errorf("GET %s with the registry stopped: %d %s (X-Cache-Hit %q), want the stale answer", path, r.status, r.body, r.header.Get("X-Cache-Hit"))
		}
	}
	if r := s.get(t, "/api/v1/extensions/provider/nope"); r.status != http.StatusNotFound {
		t.Errorf("unknown name with the registry stopped: %d, want 404 from the index", r.status)
	}
	waitFor(t, "503 past max_stale", func() bool {
		return s.get(t, "/api/v1/extensions/provider/aws").status == http.StatusServiceUnavailable
	})
	for _, path := range []string{"/api/v1/extensions", "/api/v1/extensions?source=oci", "/api/v1/extensions/provider/aws/versions", "/api/v1/extensions/search?q=aws"} {
		r := s.get(t, path)
		var body struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(r.body, &body)
		if r.status != http.StatusServiceUnavailable || body.Error != "service_unavailable" {
			t.Errorf("GET %s past max_stale: %d %s, want 503 service_unavailable", path, r.status, r.body)
		}
	}
}
