package app

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/config"
)

// sendBytes writes raw on a fresh connection to addr and reads the answer.
func sendBytes(t *testing.T, addr, raw string) rawAnswer {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return rawAnswer{status: resp.StatusCode, header: resp.Header, body: body}
}

// TestReviewEdgeAnswers pins what a newcomer review found on the running
// service: client garbage answered 5xx, a Host header copied into
// download_url unchecked, and client input quoted in full in messages.
func TestReviewEdgeAnswers(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := NewOCI(cfg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PublishExamples(t.Context(), b, "../examples"); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(runForTest(t, cfg, log), "http://")
	get := func(target, host string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"
	}
	for _, tc := range []struct {
		name, raw, errType string
		status, maxMsg     int
	}{
		{"Transfer-Encoding gzip, chunked", "POST /api/v1/extensions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "invalid_parameter", 400, 100},
		{"request line HTTP/2.0", "GET /api/v1/health HTTP/2.0\r\nHost: x\r\n\r\n", "invalid_parameter", 400, 100},
		{"Host [::1", get("/api/v1/extensions", "[::1"), "invalid_parameter", 400, 100},
		{"Host of 3000 bytes", get("/api/v1/extensions", strings.Repeat("h", 3000)), "invalid_parameter", 400, 100},
		{"name of 256 bytes", get("/api/v1/extensions/provider/"+strings.Repeat("a", 256), addr), "not_found", 404, 110},
		{"type of 250 bytes", get("/api/v1/extensions/"+strings.Repeat("t", 250)+"/aws", addr), "invalid_type", 400, 140},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := sendBytes(t, addr, tc.raw)
			var e struct{ Error, Message string }
			if err := json.Unmarshal(a.body, &e); err != nil {
				t.Fatalf("%d %q is not the API body", a.status, excerptOf(string(a.body)))
			}
			t.Logf("%d %s, message of %d bytes", a.status, e.Error, len(e.Message))
			if a.status != tc.status || e.Error != tc.errType || len(e.Message) > tc.maxMsg {
				t.Errorf("got %d %s %q (%d bytes), want %d %s within %d bytes", a.status, e.Error, excerptOf(e.Message), len(e.Message), tc.status, tc.errType, tc.maxMsg)
			}
		})
	}
	t.Run("a valid Host still builds download_url", func(t *testing.T) {
		a := sendBytes(t, addr, get("/api/v1/extensions?limit=1", "registry.example.com:8082"))
		if a.status != 200 || !strings.Contains(string(a.body), `"http://registry.example.com:8082/api/v1/extensions/`) {
			t.Errorf("got %d %s", a.status, excerptOf(string(a.body)))
		}
	})
}
