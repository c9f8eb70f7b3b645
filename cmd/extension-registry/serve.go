package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/config"
)

func newServeCmd() *cobra.Command {
	var configFile, listen, examples string
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Extension Registry API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configFile)
			if err != nil {
				return err
			}
			if listen != "" {
				cfg.Listen = listen
				if err := cfg.Validate(); err != nil {
					// One prefix: the KeyError names the key and, as its
					// origin, the flag.
					var ke *config.KeyError
					if errors.As(err, &ke) && ke.Key == "listen" {
						ke.Origin = "--listen"
					}
					return err
				}
			}
			log := newLogger(cfg)
			ctx := cmd.Context()
			if demo {
				if cfg.OCI.Registry != "" {
					return fmt.Errorf("--demo publishes into the embedded store: unset oci.registry")
				}
				b, err := app.NewOCI(cfg, nil, log)
				if err != nil {
					return err
				}
				from, n := "the built-in examples", 0
				if examples != "" {
					from = examples
					n, err = app.PublishExamples(ctx, b, examples)
				} else {
					n, err = app.PublishBuiltinExamples(ctx, b)
				}
				if err != nil {
					return fmt.Errorf("--demo: %w", err)
				}
				log.Info("published the example extensions", "versions", n, "from", from, "data_dir", cfg.DataDir)
			}
			a, err := app.New(cfg, log)
			if err != nil {
				return err
			}
			return a.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "YAML configuration file (default: $EXTENSION_REGISTRY_CONFIG)")
	f.StringVar(&listen, "listen", "", "listen address, overriding the listen key (e.g. :8082)")
	f.BoolVar(&demo, "demo", false, "publish the example extensions into the embedded store first")
	f.StringVar(&examples, "examples", "", "the folder --demo publishes (default: the examples built into the binary)")
	return cmd
}
