// Command extension-registry serves the Extension Registry API over Gitea
// releases and OCI artifacts, and publishes extensions as OCI artifacts.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := &cobra.Command{
		Use:           "extension-registry",
		Short:         "Find and fetch provisioning extensions published as Gitea releases or OCI artifacts",
		Version:       app.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newPublishCmd())
	addClientCommands(root)
	strictCompletion(root)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "extension-registry:", printable(err.Error()))
		os.Exit(exitCode(err))
	}
}

// loadConfig reads the configuration file (flag, else
// EXTENSION_REGISTRY_CONFIG) and the environment. An error about the file
// itself (unreadable, not YAML, not a mapping) names where its name came
// from: --config or EXTENSION_REGISTRY_CONFIG.
func loadConfig(file string) (config.Config, error) {
	if file != "" {
		return config.Load(file, os.Environ())
	}
	env := config.EnvPrefix + "CONFIG"
	cfg, err := config.Load(os.Getenv(env), os.Environ())
	// A file named by the environment: say so where the error names the
	// file's source.
	var ke *config.KeyError
	if errors.As(err, &ke) && ke.Key == "--config" {
		ke.Key = env
	}
	return cfg, err
}

// newLogger returns the logger of cfg on stderr: its level, and text or
// JSON lines (log_format).
func newLogger(cfg config.Config) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: l}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
