package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/oci"
)

func newPublishCmd() *cobra.Command {
	var (
		configFile, to string
		insecure       bool
		output         string
		a              oci.Artifact
		typ            string
	)
	cmd := &cobra.Command{
		Use:   "publish PATH --type T --name N --version V",
		Short: "Publish an archive or a folder as an OCI artifact",
		Long: `Publish pushes PATH as an OCI artifact with the registry's annotations,
to the embedded store (default) or to a remote registry (--to HOST/NAMESPACE).
PATH is an archive (.tar.gz, .tgz, .zip), pushed as it is, or a folder, packed
first into a reproducible .tar.gz. Credentials for --to come from the oci.*
configuration keys (EXTENSION_REGISTRY_OCI_USERNAME, _PASSWORD, _TOKEN), else
from the Docker/oras login store (docker login, oras login).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			cfg, err := loadConfig(configFile)
			if err != nil {
				return err
			}
			t, err := registry.ParseType(typ)
			if err != nil {
				return fmt.Errorf("--type: %s", registry.PublicMessage(err))
			}
			// The name first: nothing is written for a name no source
			// could hold (a 300-byte one is not an OS error).
			if err := registry.CheckName(a.Name); err != nil {
				return fmt.Errorf("--name: %s", registry.PublicMessage(err))
			}
			a.Path, a.Type = args[0], t
			where := "the embedded store in " + app.LayoutRoot(cfg.DataDir)
			if to != "" {
				if strings.Contains(to, "://") {
					return fmt.Errorf("--to: want HOST/NAMESPACE without a scheme (--plain-http for plain HTTP), got %q", to)
				}
				host, ns, ok := strings.Cut(to, "/")
				if !ok || host == "" || ns == "" {
					return fmt.Errorf("--to: want HOST/NAMESPACE, got %q", to)
				}
				cfg.OCI.Registry, cfg.OCI.Namespace = host, ns
				// Publishing reads no repository list; the configured one
				// names repositories of the serving namespace, not of --to.
				cfg.OCI.Repositories = nil
				cfg.OCI.Insecure = cfg.OCI.Insecure || insecure
				if err := cfg.Validate(); err != nil {
					return fmt.Errorf("--to: %w", err)
				}
				if err := loginCredentials(cmd.Context(), &cfg, host); err != nil {
					return err
				}
				where = to
			}
			log := newLogger(cfg)
			b, err := app.NewOCI(cfg, nil, log)
			if err != nil {
				return err
			}
			p, err := b.PublishArtifact(cmd.Context(), a)
			if err != nil {
				return err
			}
			desc := p.Manifest
			if output == "json" {
				version, _ := registry.NormalizeVersion(a.Version)
				return encodeJSON(cmd.OutOrStdout(), publishResult{
					Type: string(a.Type), Name: a.Name, Version: version, To: where,
					ManifestDigest: desc.Digest.String(), ArchiveDigest: p.Archive.Digest.String(), Size: p.Archive.Size,
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "published %s/%s %s to %s (%s)\n", a.Type, a.Name, a.Version, where, desc.Digest)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "extension type: provider, taskserv or cluster (required)")
	f.StringVar(&a.Name, "name", "", "extension name (required)")
	f.StringVar(&a.Version, "version", "", "semantic version, e.g. 1.2.0 (required)")
	f.StringVar(&a.Description, "description", "", "description")
	f.StringVar(&a.Author, "author", "", "author or organization")
	f.StringVar(&a.Repository, "repository", "", "source repository URL")
	f.StringSliceVar(&a.Tags, "tag", nil, "tag (repeatable, or comma separated)")
	f.StringVar(&to, "to", "", "remote registry as HOST/NAMESPACE (default: the embedded store)")
	f.BoolVar(&insecure, "plain-http", false, "talk plain HTTP to the --to registry")
	f.BoolVar(&insecure, "insecure", false, "the same as --plain-http")
	addOutputFlag(cmd, &output)
	f.StringVar(&configFile, "config", "", "YAML configuration file (default: $EXTENSION_REGISTRY_CONFIG)")
	f.Var(timeFlag{&a.Created}, "created", "publication time, RFC 3339 (default: now)")
	for _, name := range []string{"type", "name", "version"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// publishResult is publish's -o json: Size and ArchiveDigest are the
// archive's (the size and checksum the API shows), ManifestDigest the
// manifest's (the digest the text line prints).
type publishResult struct {
	Type           string `json:"type"`
	Name           string `json:"name"`
	Version        string `json:"version"`
	To             string `json:"to"`
	ManifestDigest string `json:"manifest_digest"`
	ArchiveDigest  string `json:"archive_digest"`
	Size           int64  `json:"size"`
}

// timeFlag is an RFC 3339 time flag.
type timeFlag struct{ t *time.Time }

func (f timeFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want an RFC 3339 time such as 2025-10-06T12:00:00Z")
	}
	*f.t = t
	return nil
}

func (timeFlag) Type() string { return "time" }
