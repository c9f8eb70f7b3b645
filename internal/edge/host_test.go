package edge

import (
	"net/http"
	"strings"
	"testing"
)

// TestCheckHost: a Host the API would copy into download_url must be a
// valid host[:port] of bounded length ("[::1" once gave
// "http://[::1/api/v1/…", and 3,000 bytes of Host were reflected).
func TestCheckHost(t *testing.T) {
	for _, h := range []string{"", "localhost", "localhost:8082", "registry.example.com", "127.0.0.1:0", "[::1]", "[::1]:8082", "a_b.local:443", "example.com."} {
		if status, msg := checkHost(h); status != 0 {
			t.Errorf("Host %q refused: %d %s", h, status, msg)
		}
	}
	for _, h := range []string{"[::1", "::1", "[::1]x", "a b", "host:", "host:99999", "host:+80", "host:x", "a/b", "[127.0.0.1]:80", "a..b", "h\"x", "x:1:2", strings.Repeat("a", 3000)} {
		status, msg := checkHost(h)
		if status != http.StatusBadRequest || !strings.HasPrefix(msg, "Invalid Host header") || len(msg) > 200 {
			t.Errorf("Host %.20q: got %d %q, want 400 with a short message", h, status, msg)
		}
	}
}
