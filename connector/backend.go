package connector

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// GiteaParams is what the Gitea backend of one Connector is built from.
type GiteaParams struct {
	// URL is the server's base URL (it may carry a path prefix).
	URL string
	// Organizations are the organizations to read, in order.
	Organizations []string
	// Credentials are the Connector's own; zero for anonymous access.
	Credentials Credentials
	// HTTPClient sends every call: through the host allow-list, the
	// per-request call budget and the metrics.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// OCIParams is what the OCI backend of one Connector is built from.
type OCIParams struct {
	// Registry is host[:port].
	Registry string
	// Namespace is the repository path prefix the extensions live under.
	Namespace string
	// Insecure: the registry speaks plain HTTP.
	Insecure bool
	// Credentials are the Connector's own; zero for anonymous access.
	Credentials Credentials
	// Transport sends every call, like GiteaParams.HTTPClient.
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// errNoConstructor is the failure of a tool the API was given no
// constructor for.
var errNoConstructor = errors.New("no backend constructor configured for this tool")

// tool is one backend kind the API serves under its own base path.
type tool struct {
	name  string // "gitea" or "oci": the metrics and log label
	base  string // the base path, e.g. "/connectors/gitea"
	label string // how messages name the tool, e.g. "Gitea server"
	// prepare checks one request's target and query parameters and
	// returns the builder of its backend and the parameters that scope
	// it (with the target, they key the backend and the cache entries).
	// probe is true for the liveness and auth probes, which need no
	// organization or namespace. Building makes no upstream call.
	prepare func(r *http.Request, t Target, probe bool) (build func() (registry.Backend, error), scope []string, err error)
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
		prepare: func(r *http.Request, t Target, probe bool) (func() (registry.Backend, error), []string, error) {
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
			build := func() (registry.Backend, error) {
				if a.opts.NewGitea == nil {
					return nil, errNoConstructor
				}
				return a.opts.NewGitea(GiteaParams{
					URL: t.BaseURL.String(), Organizations: orgs, Credentials: creds, HTTPClient: client, Logger: log,
				})
			}
			return build, []string{"organizations=" + strings.Join(orgs, ",")}, nil
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
		prepare: func(r *http.Request, t Target, _ bool) (func() (registry.Backend, error), []string, error) {
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
			build := func() (registry.Backend, error) {
				if a.opts.NewOCI == nil {
					return nil, errNoConstructor
				}
				return a.opts.NewOCI(OCIParams{
					Registry: t.BaseURL.Host, Namespace: ns, Insecure: t.BaseURL.Scheme == "http",
					Credentials: creds, Transport: rt, Logger: log,
				})
			}
			return build, []string{"namespace=" + ns}, nil
		},
	}
}
