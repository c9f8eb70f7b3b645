// Package gitea implements the registry's Gitea backend: extensions
// published as releases of the repositories of one or more Gitea
// organizations.
//
// A repository whose name ends in "_prov" or "_provider" is a provider,
// "_taskserv" a taskserv, "_cluster" a cluster; the extension name is the
// part before the suffix (when one organization holds both "aws_prov" and
// "aws_provider", "_prov" wins). Its versions are the releases that are not
// drafts and whose tag is a semantic version ("v1.2.0" or "1.2.0"); a
// repository whose releases are turned off has none. A release is a
// pre-release when its tag is a semver pre-release or Gitea marks it so:
// the current version is the highest other one, else the highest
// pre-release.
//
// The download of a version is the release asset named {repo}.tar.gz, else
// the first .tar.gz, .tgz or .zip asset in upload order; its checksum comes
// from an {asset}.sha256, SHA256SUMS or checksums.txt asset of the same
// release. A release without any archive asset is still a version: its
// download is the tag's source archive as Gitea generates it
// ({repo}/archive/{tag}.tar.gz, the repository's files under a "{repo}/"
// folder), with no size and no checksum, so that every release a publisher
// makes can be installed.
//
// Every call talks to Gitea through code.gitea.io/sdk/gitea with the
// caller's context, and follows every page of repositories and releases
// whatever the server's MAX_RESPONSE_ITEMS.
package gitea

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	sdk "code.gitea.io/sdk/gitea"

	registry "github.com/provisioning-platform/extension-registry"
)

// Options configures a Backend.
type Options struct {
	// URL is the Gitea server's base URL, e.g. https://gitea.example.com
	// (a path prefix is kept for a Gitea served under a sub-path).
	URL string
	// Organizations are read in order: when two hold the same extension,
	// the first wins. With none, the backend holds no extension and Probe
	// only checks the server and the credentials.
	Organizations []string
	// Token authenticates with an access token. It wins over
	// Username/Password when both are set.
	Token string
	// Username and Password authenticate with basic auth.
	Username, Password string
	// HTTPClient carries every request, to the API and to downloads
	// (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Logger receives warnings about skipped or shadowed repositories
	// (slog.Default when nil).
	Logger *slog.Logger
}

// Backend reads extensions from the releases of Gitea organizations. It is
// safe for concurrent use.
type Backend struct {
	base     *url.URL // without a trailing slash
	orgs     []string
	token    string
	username string
	password string
	hc       *http.Client
	log      *slog.Logger

	shadowMu sync.Mutex
	shadowed map[string]bool // "org/repo" already logged as shadowed
}

var _ registry.Backend = (*Backend)(nil)
var _ registry.Prober = (*Backend)(nil)

// New returns a Backend for opts. It makes no request: a server that is
// down shows in Probe and in the first call.
func New(opts Options) (*Backend, error) {
	u, err := url.Parse(strings.TrimSpace(opts.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gitea URL %q must be an absolute http:// or https:// URL", opts.URL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	var orgs []string
	for _, o := range opts.Organizations {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if !validName(o) {
			return nil, fmt.Errorf("gitea organization %q is not a valid organization name", o)
		}
		// Gitea names are case-insensitive: an organization named twice
		// is read once, at its first place.
		if slices.ContainsFunc(orgs, func(p string) bool { return strings.EqualFold(p, o) }) {
			continue
		}
		orgs = append(orgs, o)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Backend{
		base:     u,
		orgs:     orgs,
		token:    opts.Token,
		username: opts.Username,
		password: opts.Password,
		hc:       hc,
		log:      log,
		shadowed: map[string]bool{},
	}, nil
}

// Source returns registry.SourceGitea.
func (b *Backend) Source() registry.Source { return registry.SourceGitea }

// Organizations returns the organizations the backend reads, in order.
func (b *Backend) Organizations() []string { return append([]string(nil), b.orgs...) }

// client returns an SDK client bound to ctx. The SDK keeps one context per
// client, so each call gets its own; building one makes no request.
func (b *Backend) client(ctx context.Context) (*sdk.Client, error) {
	opts := []sdk.ClientOption{
		sdk.SetHTTPClient(b.hc),
		sdk.SetContext(ctx),
		sdk.SetGiteaVersion(""),
		sdk.SetUserAgent("extension-registry"),
	}
	switch {
	case b.token != "":
		opts = append(opts, sdk.SetToken(b.token))
	case b.username != "":
		opts = append(opts, sdk.SetBasicAuth(b.username, b.password))
	}
	c, err := sdk.NewClient(b.base.String(), opts...)
	if err != nil {
		return nil, fmt.Errorf("gitea client: %w", err)
	}
	return c, nil
}

// authorize adds the backend's credentials to a request made outside the
// SDK (downloads). They only ever go to the configured server.
func (b *Backend) authorize(req *http.Request) {
	switch {
	case b.token != "":
		req.Header.Set("Authorization", "token "+b.token)
	case b.username != "":
		req.SetBasicAuth(b.username, b.password)
	}
}

// Probe checks that Gitea answers, that it accepts the credentials, and
// that every organization is visible with them: refused credentials are
// ErrUnauthorized or ErrForbidden, a missing organization ErrNotFound, a
// server that does not answer ErrUnavailable or ErrTimeout. With a token,
// it also reads one release list of the first organization, so that a token
// without the read:repository scope (which sees organizations but not
// releases) is ErrForbidden here rather than only when listing.
func (b *Backend) Probe(ctx context.Context) error {
	c, err := b.client(ctx)
	if err != nil {
		return err
	}
	if b.token != "" || b.username != "" {
		// Gitea answers 401 to credentials it does not know; a valid
		// token without the read:user scope gets 403 here, and is fine.
		_, resp, err := c.GetMyUserInfo()
		if err != nil && (resp == nil || resp.StatusCode != http.StatusForbidden) {
			return b.apiError(resp, err, "the authenticated user")
		}
	} else if _, resp, err := c.ServerVersion(); err != nil {
		return b.apiError(resp, err, "the server version")
	}
	for _, org := range b.orgs {
		_, resp, err := c.GetOrg(org)
		if err != nil {
			return b.apiError(resp, err, "Gitea organization %q", org)
		}
	}
	switch {
	case b.token != "" && len(b.orgs) > 0:
		return b.probeReleases(c, b.orgs[0])
	case b.token != "":
		// No organization to read: check that the token may read
		// repositories at all (Gitea answers 403 without the scope).
		if _, resp, err := c.SearchRepos(sdk.SearchRepoOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: 1}}); err != nil {
			return b.apiError(resp, err, "the repositories")
		}
	}
	return nil
}

// probeReleases reads the first page (one item) of the releases of the
// first repository of org that has releases turned on, if any.
func (b *Backend) probeReleases(c *sdk.Client, org string) error {
	repos, resp, err := c.ListOrgRepos(org, sdk.ListOrgReposOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: 1}})
	if err != nil {
		return b.apiError(resp, err, "the repositories of Gitea organization %q", org)
	}
	if len(repos) == 0 || !repos[0].HasReleases {
		return nil
	}
	r := repos[0]
	if _, resp, err := c.ListReleases(org, r.Name, sdk.ListReleasesOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: 1}}); err != nil {
		return b.apiError(resp, err, "the releases of Gitea repository %s/%s", org, r.Name)
	}
	return nil
}

// validName reports whether s can be a Gitea owner or repository name, so
// that a client's input never builds another API path.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 255 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}
