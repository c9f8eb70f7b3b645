package app

import (
	"context"
	"log/slog"
	"testing"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// runForTest builds and runs the registry of cfg until the test ends, then
// checks that it shut down cleanly. It returns the base URL.
func runForTest(t *testing.T, cfg config.Config, log *slog.Logger) string {
	t.Helper()
	a, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + a.Addr()
}

// ociConfig is the configuration of a registry that serves only reg's OCI
// artifacts, on a free loopback port, with a fresh data directory.
func ociConfig(t *testing.T, reg *testserver.Registry) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Sources = []string{"oci"}
	cfg.OCI.Registry, cfg.OCI.Insecure = reg.Host, true
	return cfg
}
