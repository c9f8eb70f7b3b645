package connector

import (
	"fmt"
	"net/http"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/gitea"
	"github.com/provisioning-platform/extension-registry/oci"
)

// tool is one backend kind the API serves under its own base path.
type tool struct {
	name  string // "gitea" or "oci": the metrics and log label
	base  string // the base path, e.g. "/connectors/gitea"
	label string // how messages name the tool, e.g. "Gitea server"
	// build returns the backend of one request, built from its own target
	// and query parameters, and the parameters that scope its cache entries.
	// probe is true for the liveness and auth probes, which need no
	// organization or namespace.
	build func(r *http.Request, t Target, probe bool) (registry.Backend, []string, error)
}

// newGiteaTool serves Gitea servers: X-Plugin-Meta's baseURL is the server
// URL (it may carry a path prefix), the organizations come from the
// organization parameter, else Options.GiteaOrganizations.
func newGiteaTool(a *API) *tool {
	rt := a.opts.Transport
	if a.opts.Metrics != nil {
		rt = a.opts.Metrics.InstrumentTransport("connector-gitea", rt)
	}
	client := &http.Client{Transport: rt}
	log := a.log.With("tool", "gitea")
	return &tool{
		name:  "gitea",
		base:  GiteaBase,
		label: "Gitea server",
		build: func(r *http.Request, t Target, probe bool) (registry.Backend, []string, error) {
			creds, err := giteaCredentials(t)
			if err != nil {
				return nil, nil, err
			}
			orgs, err := organizations(r, a.opts.GiteaOrganizations)
			if err != nil {
				return nil, nil, err
			}
			if len(orgs) == 0 && !probe {
				return nil, nil, badParam("query parameter organization is required: the registry has no gitea.organizations to read by default")
			}
			b, err := gitea.New(gitea.Options{
				URL:           t.BaseURL.String(),
				Organizations: orgs,
				Token:         creds.Token,
				Username:      creds.Username,
				Password:      creds.Password,
				HTTPClient:    client,
				Logger:        log,
			})
			if err != nil {
				return nil, nil, fmt.Errorf("gitea backend: %w", err)
			}
			return b, []string{"organizations=" + strings.Join(orgs, ",")}, nil
		},
	}
}

// newOCITool serves OCI registries: X-Plugin-Meta's baseURL is
// https://host[:port] (http:// for a plain-HTTP registry), the namespace
// comes from the namespace parameter, else Options.OCINamespace.
func newOCITool(a *API) *tool {
	rt := a.opts.Transport
	if a.opts.Metrics != nil {
		rt = a.opts.Metrics.InstrumentTransport("connector-oci", rt)
	}
	log := a.log.With("tool", "oci")
	return &tool{
		name:  "oci",
		base:  OCIBase,
		label: "OCI registry",
		build: func(r *http.Request, t Target, _ bool) (registry.Backend, []string, error) {
			if t.BaseURL.Path != "" {
				return nil, nil, badHeader(HeaderMeta, "baseURL of an OCI registry must be https://host[:port] (or http:// for a plain-HTTP registry), without a path")
			}
			creds, err := ociCredentials(t)
			if err != nil {
				return nil, nil, err
			}
			ns, err := namespace(r, a.opts.OCINamespace)
			if err != nil {
				return nil, nil, err
			}
			b, err := oci.NewRemote(oci.RemoteOptions{
				Registry:  t.BaseURL.Host,
				Namespace: ns,
				Username:  creds.Username,
				Password:  creds.Password,
				Token:     creds.Token,
				// An identity token of a Docker config.
				RefreshToken: creds.RefreshToken,
				Insecure:     t.BaseURL.Scheme == "http",
				Transport:    rt,
				Logger:       log,
			})
			if err != nil {
				return nil, nil, fmt.Errorf("oci backend: %w", err)
			}
			return b, []string{"namespace=" + ns}, nil
		},
	}
}
