package connector

import (
	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/gitea"
	"github.com/provisioning-platform/extension-registry/oci"
)

// The tests build the real backends, as app.ConnectorGitea and
// app.ConnectorOCI do (the package cannot import app, which imports it).

func testNewGitea(p GiteaParams) (registry.Backend, error) {
	return gitea.New(gitea.Options{
		URL: p.URL, Organizations: p.Organizations,
		Token: p.Credentials.Token.Reveal(), Username: p.Credentials.Username, Password: p.Credentials.Password.Reveal(),
		HTTPClient: p.HTTPClient, Logger: p.Logger,
	})
}

func testNewOCI(p OCIParams) (registry.Backend, error) {
	return oci.NewRemote(oci.RemoteOptions{
		Registry: p.Registry, Namespace: p.Namespace, Insecure: p.Insecure,
		Username: p.Credentials.Username, Password: p.Credentials.Password.Reveal(),
		Token: p.Credentials.Token.Reveal(), RefreshToken: p.Credentials.RefreshToken.Reveal(),
		Transport: p.Transport, Logger: p.Logger,
	})
}

// withConstructors fills the constructors of opts when unset.
func withConstructors(opts Options) Options {
	if opts.NewGitea == nil {
		opts.NewGitea = testNewGitea
	}
	if opts.NewOCI == nil {
		opts.NewOCI = testNewOCI
	}
	return opts
}
