package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/soak"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestSoak runs the soak (internal/soak) for EXTREG_SOAK (e.g. 30s; unset:
// skipped) at 128 connections against the registry over a real
// distribution registry, whose port is closed for 3 s at half time: any
// 5xx outside that outage (plus 5 s to recover), any connection error, or
// goroutines that do not come back fail the test. `make soak` runs it for
// 60 s, `make test` for 30 s.
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("EXTREG_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set EXTREG_SOAK=30s to run the soak")
	}
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	for _, e := range []struct{ repo, tag, typ string }{
		{"aws", "1.0.0", "provider"}, {"aws", "1.1.0", "provider"}, {"kubernetes", "1.28.0", "taskserv"}, {"buildkit", "0.12.0", "cluster"},
	} {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = io.CopyN(zw, rand.Reader, 64<<10)
		_ = zw.Close()
		pushOCI(t, reg.Host, "provisioning-extensions/"+e.repo, e.tag, e.typ, gz.Bytes())
	}
	proxy := startFaultProxy(t, reg.Host)
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.OCI.Registry = proxy.addr
	cfg.OCI.Insecure = true
	cfg.Sources = []string{"oci"}
	cfg.Cache.TTL = 2 * time.Second // the backend keeps being asked
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))

	rep, err := soak.Run(context.Background(), soak.Options{
		BaseURL: base,
		Paths: []string{
			"/api/v1/extensions", "/api/v1/extensions?type=provider&limit=1", "/api/v1/extensions/search?q=aws",
			"/api/v1/extensions/provider/aws", "/api/v1/extensions/provider/aws/versions", "/api/v1/extensions/provider/aws/1.0.0",
			"/api/v1/extensions/taskserv/kubernetes/1.28.0", "/api/v1/health", "/api/v1/extensions/provider/nonexistent",
			"/api/v1/extensions?limit=1;offset=2", "/api/v1/cache/stats",
		},
		Connections: 128,
		Duration:    d,
		Down:        3 * time.Second,
		Grace:       5 * time.Second,
		Outage: func(ctx context.Context, down time.Duration) error {
			proxy.stop()
			time.Sleep(down)
			proxy.start(t)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("soak %s at 128 connections: %s", d, rep)
	for _, f := range rep.Failures {
		t.Error(f)
	}
	if rep.Classes["2xx"] == 0 {
		t.Error("no request succeeded")
	}
}
