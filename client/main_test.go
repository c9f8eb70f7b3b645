package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/config"
)

// registryURL is a real registry (the App, in this process) serving the
// built-in example extensions from an embedded store.
var registryURL string

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "client-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	cfg.Listen, cfg.DataDir, cfg.Sources = "127.0.0.1:0", dir, []string{"oci"}
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, err := app.NewOCI(cfg, nil, log)
	if err != nil {
		return 1, err
	}
	if _, err := app.PublishBuiltinExamples(ctx, b); err != nil {
		return 1, err
	}
	a, err := app.New(cfg, log)
	if err != nil {
		return 1, err
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	registryURL = "http://" + a.Addr()
	code := m.Run()
	cancel()
	return code, <-done
}
