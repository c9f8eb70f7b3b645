package app

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestConnectorsMounted checks that the server mounts the ConnectorClass
// API beside /api/v1 with connectors.allowed_hosts from the configuration:
// a listed host is called (and found unreachable: 503), another is refused
// with a 403 Status naming the key.
func TestConnectorsMounted(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Connectors.AllowedHosts = []string{"127.0.0.1"}
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))

	// A loopback port nothing listens on.
	closed := "http://" + testserver.ClosedAddr(t)

	get := func(path, baseURL string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		meta, _ := json.Marshal(map[string]string{"baseURL": baseURL})
		req.Header.Set("X-Plugin-Meta", base64.StdEncoding.EncodeToString(meta))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: not JSON: %s", path, body)
		}
		return resp.StatusCode, out
	}

	for _, base := range []string{"/connectors/oci", "/connectors/gitea"} {
		code, st := get(base+"/extensions?organization=org", closed)
		if code != http.StatusServiceUnavailable || st["kind"] != "Status" || st["reason"] != "ServiceUnavailable" {
			t.Errorf("%s with a listed host: %d %v", base, code, st)
		}
		code, st = get(base+"/extensions?organization=org", "https://gitea.example.com")
		msg, _ := st["message"].(string)
		if code != http.StatusForbidden || st["reason"] != "Forbidden" || !strings.Contains(msg, "connectors.allowed_hosts") {
			t.Errorf("%s with another host: %d %v", base, code, st)
		}
	}
	if code, st := get("/connectors/nothing", closed); code != http.StatusNotFound || st["kind"] != "Status" {
		t.Errorf("unknown connector route: %d %v", code, st)
	}
	// The v1 API is still there, with its own error body.
	if code, body := get("/api/v1/extensions/provider/nonexistent", closed); code != http.StatusNotFound || body["error"] != "not_found" {
		t.Errorf("v1 beside the connectors: %d %v", code, body)
	}
}
