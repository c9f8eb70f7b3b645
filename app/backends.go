package app

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/connector"
	"github.com/provisioning-platform/extension-registry/gitea"
	"github.com/provisioning-platform/extension-registry/metrics"
	"github.com/provisioning-platform/extension-registry/oci"
)

// newTransport returns the HTTP transport every backend of the process
// shares: bounded dial and header timeouts so that a server that stops
// answering fails a request instead of hanging it.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}

// LayoutRoot is where the embedded OCI store lives under the data directory.
func LayoutRoot(dataDir string) string { return filepath.Join(dataDir, "oci") }

// NewOCI returns the OCI backend of cfg: the remote registry when one is
// configured, else the embedded store under the data directory.
func NewOCI(cfg config.Config, rt http.RoundTripper, log *slog.Logger) (*oci.Backend, error) {
	if cfg.OCI.Registry == "" {
		return oci.NewLayout(oci.LayoutOptions{
			Root:        LayoutRoot(cfg.DataDir),
			Namespace:   cfg.OCI.Namespace,
			Logger:      log,
			Concurrency: cfg.Index.Concurrency,
		})
	}
	if rt == nil {
		// publish --to: the only caller without a transport of its own.
		var err error
		if rt, err = withCA(nil, cfg.OCI.CAFile, "oci.ca_file"); err != nil {
			return nil, err
		}
	}
	return oci.NewRemote(oci.RemoteOptions{
		Registry:     cfg.OCI.Registry,
		Namespace:    cfg.OCI.Namespace,
		Username:     cfg.OCI.Username,
		Password:     cfg.OCI.Password.Reveal(),
		Token:        cfg.OCI.Token.Reveal(),
		RefreshToken: cfg.OCI.RefreshToken.Reveal(),
		Insecure:     cfg.OCI.Insecure,
		Repositories: cfg.OCI.Repositories,
		Transport:    rt,
		Logger:       log,
		Concurrency:  cfg.Index.Concurrency, // contract §8: index.concurrency bounds each backend
	})
}

// newBackends builds the backends of cfg in its source order, all on the
// shared transport.
func newBackends(cfg config.Config, shared http.RoundTripper, m *metrics.Metrics, log *slog.Logger) ([]registry.Backend, error) {
	var out []registry.Backend
	for _, s := range cfg.Sources {
		switch registry.Source(s) {
		case registry.SourceGitea:
			if !cfg.Gitea.Enabled() {
				continue
			}
			rt, err := withCA(shared, cfg.Gitea.CAFile, "gitea.ca_file")
			if err != nil {
				return nil, err
			}
			b, err := gitea.New(gitea.Options{
				URL:           cfg.Gitea.URL,
				Organizations: cfg.Gitea.Organizations,
				Token:         cfg.Gitea.Token.Reveal(),
				Username:      cfg.Gitea.Username,
				Password:      cfg.Gitea.Password.Reveal(),
				HTTPClient:    &http.Client{Transport: m.InstrumentTransport("gitea", rt)},
				Logger:        log.With("backend", "gitea"),
				Concurrency:   cfg.Index.Concurrency, // contract §8: index.concurrency bounds each backend
			})
			if err != nil {
				return nil, fmt.Errorf("gitea backend: %w", err)
			}
			out = append(out, b)
		case registry.SourceOCI:
			rt, err := withCA(shared, cfg.OCI.CAFile, "oci.ca_file")
			if err != nil {
				return nil, err
			}
			b, err := NewOCI(cfg, m.InstrumentTransport("oci", rt), log.With("backend", "oci"))
			if err != nil {
				return nil, fmt.Errorf("oci backend: %w", err)
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// ConnectorGitea builds the Gitea backend of one Connector request for the
// ConnectorClass API (connector.Options.NewGitea): the Connector's own
// server, organizations and credentials, never the configured ones.
func ConnectorGitea(p connector.GiteaParams) (registry.Backend, error) {
	b, err := gitea.New(gitea.Options{
		URL:           p.URL,
		Organizations: p.Organizations,
		Token:         p.Credentials.Token.Reveal(),
		Username:      p.Credentials.Username,
		Password:      p.Credentials.Password.Reveal(),
		HTTPClient:    p.HTTPClient,
		Logger:        p.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("gitea backend: %w", err)
	}
	return b, nil
}

// ConnectorOCI builds the OCI backend of one Connector request
// (connector.Options.NewOCI).
func ConnectorOCI(p connector.OCIParams) (registry.Backend, error) {
	b, err := oci.NewRemote(oci.RemoteOptions{
		Registry:     p.Registry,
		Namespace:    p.Namespace,
		Username:     p.Credentials.Username,
		Password:     p.Credentials.Password.Reveal(),
		Token:        p.Credentials.Token.Reveal(),
		RefreshToken: p.Credentials.RefreshToken.Reveal(),
		Insecure:     p.Insecure,
		Transport:    p.Transport,
		Logger:       p.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("oci backend: %w", err)
	}
	return b, nil
}
