package app

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestFaults puts a fault proxy between the registry and a real
// distribution registry and checks, for each fault, that every request
// ends by its bound with an honest answer: success only with the right
// bytes, otherwise the v1 error body.
func TestFaults(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	// One version per fault, each downloaded for the first time under its
	// fault, so that neither the index nor the blob cache answers for the
	// backend.
	archives := map[string][]byte{}
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"} {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = io.CopyN(zw, rand.Reader, 256<<10)
		_ = zw.Close()
		archives[v] = gz.Bytes()
		pushOCI(t, reg.Host, "provisioning-extensions/aws", v, "provider", archives[v])
	}
	archive := archives["1.0.0"]
	proxy := startFaultProxy(t, reg.Host)

	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.OCI.Registry = proxy.addr
	cfg.OCI.Insecure = true
	cfg.Sources = []string{"oci"}
	cfg.Cache.TTL = 50 * time.Millisecond // every request after a pause reaches the backend
	cfg.Server.RequestTimeout = 2 * time.Second
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	addr := strings.TrimPrefix(base, "http://")
	const bound = 2*time.Second + 1500*time.Millisecond

	get := func(t testing.TB, path string) (rawAnswer, time.Duration) {
		t.Helper()
		time.Sleep(60 * time.Millisecond) // past the cache TTL
		start := time.Now()
		a := sendRaw(t, addr, "GET", path, nil, 20*time.Second)
		return a, time.Since(start)
	}
	download := "/api/v1/extensions/provider/aws/1.0.0"
	downloadOf := func(v string) string { return "/api/v1/extensions/provider/aws/" + v }

	t.Run("delay", func(t *testing.T) {
		proxy.set(delayed)
		defer proxy.set(passThrough)
		a, d := get(t, download)
		if a.status != http.StatusOK || !bytes.Equal(a.body, archive) {
			t.Errorf("download through a slow registry: %d, %d bytes after %s", a.status, len(a.body), d)
		}
	})
	t.Run("corrupt blob", func(tt *testing.T) {
		t := gapAware(tt, needsFix["corrupt blob"])
		proxy.set(corrupted)
		defer proxy.set(passThrough)
		time.Sleep(60 * time.Millisecond)
		resp, err := http.Get(base + downloadOf("1.1.0")) // never downloaded before: nothing cached
		if err != nil {
			return // refused: not delivered as a success
		}
		defer resp.Body.Close()
		body, rerr := io.ReadAll(resp.Body)
		// The original bytes (a verified copy) are a sound answer;
		// anything else must not arrive as complete.
		if resp.StatusCode == http.StatusOK && rerr == nil && !bytes.Equal(body, archives["1.1.0"]) {
			t.Errorf("a corrupted blob was delivered as a complete download (%d bytes)", len(body))
		}
	})
	t.Run("registry stopped and restarted", func(t *testing.T) {
		proxy.stop()
		a, d := get(t, "/api/v1/extensions")
		if d > bound || (a.status != http.StatusOK && (a.status != http.StatusServiceUnavailable || checkV1Body(a) != "")) {
			t.Errorf("list while the registry is down: %d after %s: %s", a.status, d, excerptOf(string(a.body)))
		}
		t.Logf("list while the registry is down: %d", a.status)
		if a.status != http.StatusOK {
			t.Errorf("list while the registry is down: %d, want 200 from the index", a.status)
		}
		h, _ := get(t, "/api/v1/health")
		var health struct{ Status string }
		_ = json.Unmarshal(h.body, &health)
		if h.status != http.StatusOK || health.Status != "degraded" {
			t.Errorf("health while the registry is down: %d %s", h.status, h.body)
		}
		proxy.start(t)
		deadline := time.Now().Add(15 * time.Second)
		for {
			a, _ = get(t, "/api/v1/extensions")
			h, _ = get(t, "/api/v1/health")
			_ = json.Unmarshal(h.body, &health)
			if a.status == http.StatusOK && health.Status == "healthy" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not back after the restart: list %d, health %s", a.status, h.body)
			}
			time.Sleep(200 * time.Millisecond)
		}
		a, _ = get(t, download)
		if a.status != http.StatusOK || !bytes.Equal(a.body, archive) {
			t.Errorf("download after the restart: %d", a.status)
		}
	})
	for _, tc := range []struct {
		name    string
		mode    faultMode
		want    int
		version string // downloaded for the first time under the fault
	}{
		// The stall goes last: a backend that timed out is not asked again
		// for a while (the breaker), which would hide the other faults.
		{"429 with Retry-After", rateLimited, http.StatusTooManyRequests, "1.2.0"},
		{"reset", reset, http.StatusServiceUnavailable, "1.3.0"},
		{"stall", stalled, http.StatusServiceUnavailable, "1.4.0"},
	} {
		t.Run(tc.name, func(tt *testing.T) {
			t := gapAware(tt, needsFix[tc.name])
			proxy.set(tc.mode)
			defer proxy.set(passThrough)
			backendHit := false
			for _, p := range []string{"/api/v1/extensions", "/api/v1/extensions/provider/aws/versions", downloadOf(tc.version)} {
				a, d := get(t, p)
				if d > bound {
					tt.Errorf("%s: answered after %s, beyond the %s bound", p, d, bound)
				}
				if a.status == http.StatusOK {
					// Served from what the registry already knew (the index).
					if p == downloadOf(tc.version) {
						tt.Errorf("%s: 200 for a first download while the registry fails (%d bytes, the right ones: %v)",
							p, len(a.body), bytes.Equal(a.body, archives[tc.version]))
					}
					continue
				}
				backendHit = true
				if a.status != tc.want || checkV1Body(a) != "" {
					t.Errorf("%s: %d %s, want %d with the v1 body", p, a.status, excerptOf(string(a.body)), tc.want)
				}
				if a.status == http.StatusTooManyRequests && a.header.Get("Retry-After") == "" {
					t.Errorf("%s: 429 without Retry-After", p)
				}
			}
			if !backendHit {
				tt.Error("every request was answered from memory: the fault was never seen")
			}
		})
	}
}
