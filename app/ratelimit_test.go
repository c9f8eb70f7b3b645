package app

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/config"
)

// TestRateLimit runs the registry with rate_limit.rps 0.5 and burst 3: both
// faces answer a client over its budget with 429, their own body and
// Retry-After, every answer carries the RateLimit-* headers, and an
// X-Forwarded-For from an address that is not a trusted proxy changes
// nothing; from a trusted proxy it names the client.
func TestRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
	}{{"untrusted peer", nil}, {"trusted proxy", []string{"127.0.0.0/8"}}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Listen = "127.0.0.1:0"
			cfg.DataDir = t.TempDir()
			cfg.RateLimit.RPS = 0.5
			cfg.RateLimit.Burst = 3
			cfg.RateLimit.TrustedProxies = tc.trusted
			addr := strings.TrimPrefix(runForTest(t, cfg, slog.New(slog.DiscardHandler)), "http://")
			xff := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }

			// Three requests, each from a different spoofed address.
			for i, ip := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
				a := sendRaw(t, addr, "GET", "/api/v1/extensions", xff(ip), 5*time.Second)
				if a.status != http.StatusOK || a.header.Get("RateLimit-Limit") != "3" || a.header.Get("RateLimit-Reset") == "" {
					t.Fatalf("request %d: %d %v", i, a.status, a.header)
				}
			}
			a := sendRaw(t, addr, "GET", "/api/v1/extensions", xff("198.51.100.4"), 5*time.Second)
			if tc.trusted != nil {
				// Each forwarded client has its own budget.
				if a.status != http.StatusOK {
					t.Fatalf("a new client behind a trusted proxy: %d", a.status)
				}
				return
			}
			if a.status != http.StatusTooManyRequests || checkV1Body(a) != "" || !strings.Contains(string(a.body), `"rate_limit"`) ||
				a.header.Get("Retry-After") == "" || a.header.Get("RateLimit-Remaining") != "0" {
				t.Fatalf("over the budget with a spoofed X-Forwarded-For: %d %v %s", a.status, a.header, a.body)
			}
			a = sendRaw(t, addr, "GET", "/connectors/oci/extensions", nil, 5*time.Second)
			if a.status != http.StatusTooManyRequests || checkStatusBody(a) != "" || a.header.Get("Retry-After") == "" {
				t.Fatalf("connector face over the budget: %d %v %s", a.status, a.header, a.body)
			}
			// The probes are not limited.
			if a := sendRaw(t, addr, "GET", "/livez", nil, 5*time.Second); a.status == http.StatusTooManyRequests {
				t.Errorf("/livez rate limited")
			}
		})
	}
}
