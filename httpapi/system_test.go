package httpapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// health reads /health, which answers 200 whether healthy or degraded.
func (s *server) health(t *testing.T, c *http.Client) map[string]any {
	t.Helper()
	resp, err := c.Get(s.URL + "/api/v1/health")
	if err != nil {
		t.Fatalf("GET /health: %v", err)
	}
	defer resp.Body.Close()
	var h map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("/health: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("/health: %d %s, want 200 JSON", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := keysOf(h); !reflect.DeepEqual(got, []string{"backends", "status", "uptime", "version"}) {
		t.Errorf("/health keys %v", got)
	}
	if h["version"] != app.Version {
		t.Errorf("/health version %v, want %s", h["version"], app.Version)
	}
	if up, ok := h["uptime"].(float64); !ok || up < 0 || up != float64(int64(up)) {
		t.Errorf("/health uptime %v, want whole seconds", h["uptime"])
	}
	backends, _ := h["backends"].(map[string]any)
	if gitea := backends["gitea"]; !reflect.DeepEqual(gitea, map[string]any{"enabled": false, "healthy": false}) {
		t.Errorf("/health backends.gitea %v: want it reported, not enabled", gitea)
	}
	return h
}

// ociHealth returns /health's status and its backends.oci entry.
func (s *server) ociHealth(t *testing.T, c *http.Client) (string, map[string]any) {
	t.Helper()
	h := s.health(t, c)
	status, _ := h["status"].(string)
	oci, _ := h["backends"].(map[string]any)["oci"].(map[string]any)
	return status, oci
}

// TestHealth checks /health: healthy with a live registry or store,
// degraded with the backend's error when the registry refuses connections,
// never answers, or the store's folder is gone.
func TestHealth(t *testing.T) {
	for _, fl := range flavours() {
		t.Run("healthy "+fl.name, func(t *testing.T) {
			s := startServer(t, fl.config(t))
			status, oci := s.ociHealth(t, client)
			if status != "healthy" || !reflect.DeepEqual(oci, map[string]any{"enabled": true, "healthy": true}) {
				t.Errorf("status %q, oci %v; want healthy without an error key", status, oci)
			}
		})
	}

	t.Run("registry refusing connections", func(t *testing.T) {
		cfg := baseConfig(t)
		cfg.OCI.Registry = closedPort(t)
		cfg.OCI.Insecure = true
		s := startServer(t, cfg)
		status, oci := s.ociHealth(t, client)
		msg, _ := oci["error"].(string)
		if status != "degraded" || oci["enabled"] != true || oci["healthy"] != false ||
			!strings.Contains(msg, cfg.OCI.Registry) || !strings.Contains(msg, "unavailable") {
			t.Errorf("status %q, oci %v; want degraded with the registry's error", status, oci)
		}
		// The extension endpoints answer 503 with the API's error body.
		for _, path := range []string{
			"/api/v1/extensions",
			"/api/v1/extensions?type=provider",
			"/api/v1/extensions/provider/aws",
			"/api/v1/extensions/provider/aws/versions",
			"/api/v1/extensions/provider/aws/1.2.0",
			"/api/v1/extensions/search?q=aws",
		} {
			checkError(t, path, s.get(t, path), http.StatusServiceUnavailable, "service_unavailable", "unavailable", false)
		}
		// Failures are never cached; the system endpoints still answer.
		if st := s.cacheStats(t); st["total_entries"] != 0 {
			t.Errorf("cache stats after failures: %v", st)
		}
		s.scrape(t)
	})

	t.Run("registry that never answers: the probe is bounded", func(t *testing.T) {
		cfg := baseConfig(t)
		cfg.OCI.Registry = testserver.SilentAddr(t)
		cfg.OCI.Insecure = true
		s := startServer(t, cfg)
		// The client gives up after 20 s: far above the probe's timeout
		// (catalog.ProbeTimeout, 3 s), below the backends' transport
		// timeout (30 s) that an unbounded probe would wait for.
		impatient := &http.Client{Timeout: 20 * time.Second}
		status, oci := s.ociHealth(t, impatient)
		msg, _ := oci["error"].(string)
		if status != "degraded" || oci["healthy"] != false || !strings.Contains(msg, "did not answer in time") {
			t.Errorf("status %q, oci %v; want degraded with a timeout", status, oci)
		}
	})

	t.Run("embedded store whose folder is gone", func(t *testing.T) {
		cfg := baseConfig(t)
		s := startServer(t, cfg)
		if err := os.RemoveAll(app.LayoutRoot(cfg.DataDir)); err != nil {
			t.Fatal(err)
		}
		status, oci := s.ociHealth(t, client)
		if status != "degraded" || oci["healthy"] != false || oci["error"] == nil {
			t.Errorf("status %q, oci %v; want degraded with an error", status, oci)
		}
	})
}

// TestMetrics checks /metrics after a known set of requests: the metric
// names of the API document plus the backend counters, every request
// counted under its route pattern (never the raw path), and the extension
// gauge per type and source.
func TestMetrics(t *testing.T) {
	cfg := registryConfig(t, testserver.SharedRegistry(t, testserver.RegistryOptions{}).Host)
	publishFixture(t, publisher(t, cfg))
	s := startServer(t, cfg)
	s.waitWarm(t)
	m0 := s.scrape(t) // waitWarm's requests are counted too

	requests := []struct {
		path string
		want int
	}{
		{"/api/v1/extensions", 200},
		{"/api/v1/extensions?type=provider&limit=1", 200},
		{"/api/v1/extensions/provider/aws", 200},
		{"/api/v1/extensions/provider/aws", 200},
		{"/api/v1/extensions/taskserv/kubernetes", 200},
		{"/api/v1/extensions/provider/nonexistent", 404},
		{"/api/v1/extensions/provider/aws/versions", 200},
		{"/api/v1/extensions/provider/aws/2.0.0", 200},
		{"/api/v1/extensions/provider/aws/9.9.9", 404},
		{"/api/v1/extensions/search?q=kubernetes", 200},
		{"/api/v1/extensions/search", 400},
		{"/api/v1/health", 200},
		{"/api/v1/cache/stats", 200},
		{"/api/v1/no/such/route", 404},
		{"/elsewhere", 404},
	}
	for _, r := range requests {
		if got := s.get(t, r.path); got.status != r.want {
			t.Fatalf("GET %s: %d, want %d", r.path, got.status, r.want)
		}
	}
	if r := s.do(t, http.MethodDelete, "/api/v1/extensions/provider/aws"); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE: %d", r.status)
	}
	m := s.scrape(t)

	for _, typ := range []string{
		"# TYPE http_requests_total counter",
		"# TYPE http_request_duration_seconds histogram",
		"# TYPE cache_hits_total counter",
		"# TYPE cache_misses_total counter",
		"# TYPE extensions_total gauge",
		"# TYPE backend_requests_total counter",
	} {
		if !strings.Contains(m.text, typ+"\n") {
			t.Errorf("/metrics lacks %q", typ)
		}
	}

	reqs := func(route, method, code string) float64 {
		labels := map[string]string{"route": route, "method": method, "code": code}
		return m.sum("http_requests_total", labels) - m0.sum("http_requests_total", labels)
	}
	for _, c := range []struct {
		route, method, code string
		want                float64
	}{
		{"/api/v1/extensions", "GET", "200", 2},
		{"/api/v1/extensions/{type}/{name}", "GET", "200", 3},
		{"/api/v1/extensions/{type}/{name}", "GET", "404", 1},
		{"/api/v1/extensions/{type}/{name}", "DELETE", "405", 1},
		{"/api/v1/extensions/{type}/{name}/versions", "GET", "200", 1},
		{"/api/v1/extensions/{type}/{name}/{version}", "GET", "200", 1},
		{"/api/v1/extensions/{type}/{name}/{version}", "GET", "404", 1},
		{"/api/v1/extensions/search", "GET", "200", 1},
		{"/api/v1/extensions/search", "GET", "400", 1},
		{"/api/v1/health", "GET", "200", 1},
		{"/api/v1/cache/stats", "GET", "200", 1},
		{"unmatched", "GET", "404", 2},
	} {
		if got := reqs(c.route, c.method, c.code); got != c.want {
			t.Errorf("http_requests_total{route=%q,method=%q,code=%q} = %v, want %v", c.route, c.method, c.code, got, c.want)
		}
	}
	patterns := map[string]bool{"unmatched": true}
	for _, p := range []string{"/extensions", "/extensions/search", "/extensions/{type}/{name}", "/extensions/{type}/{name}/versions",
		"/extensions/{type}/{name}/{version}", "/health", "/metrics", "/cache/stats"} {
		patterns["/api/v1"+p] = true
	}
	for _, smp := range m.samples {
		if !strings.HasPrefix(smp.name, "http_request") {
			continue
		}
		if route := smp.labels["route"]; !patterns[route] {
			t.Errorf("%s has route label %q: want a route pattern, never a raw path", smp.name, route)
		}
	}
	if got := m.sum("http_request_duration_seconds_count", map[string]string{"route": "/api/v1/extensions/{type}/{name}", "method": "GET"}); got != 4 {
		t.Errorf("http_request_duration_seconds_count{route=/api/v1/extensions/{type}/{name}} = %v, want 4", got)
	}
	if !m.has("http_request_duration_seconds_bucket", map[string]string{"route": "/api/v1/extensions", "le": "+Inf"}) {
		t.Error("no http_request_duration_seconds_bucket series")
	}

	kind := func(k string) map[string]string { return map[string]string{"kind": k} }
	// Answers come from the index: hits; every kind's counters exist.
	if m.sum("cache_hits_total", kind("metadata")) < 1 || !m.has("cache_misses_total", kind("metadata")) ||
		m.sum("cache_hits_total", kind("list")) < 1 || m.sum("cache_hits_total", kind("versions")) < 1 ||
		!m.has("cache_misses_total", kind("versions")) {
		t.Errorf("cache counters by kind missing:\n%s", grep(m.text, "cache_"))
	}
	for typ, want := range map[string]float64{"provider": 2, "taskserv": 2, "cluster": 1} {
		if got := m.sum("extensions_total", map[string]string{"type": typ, "source": "oci"}); got != want {
			t.Errorf("extensions_total{type=%q,source=\"oci\"} = %v, want %v", typ, got, want)
		}
	}
	if got := m.sum("backend_requests_total", map[string]string{"backend": "oci", "code": "200"}); got < 1 {
		t.Errorf("backend_requests_total{backend=\"oci\",code=\"200\"} = %v, want the registry requests counted:\n%s", got, grep(m.text, "backend_"))
	}
	for _, raw := range []string{"aws", "kubernetes", "nonexistent", "9.9.9"} {
		if strings.Contains(m.text, raw) {
			t.Errorf("/metrics mentions %q: labels must be bounded:\n%s", raw, grep(m.text, raw))
		}
	}
}

// grep returns the lines of text containing s.
func grep(text, s string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
