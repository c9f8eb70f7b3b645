package app

import (
	"context"
	"log/slog"
	"testing"

	"github.com/provisioning-platform/extension-registry/config"
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
