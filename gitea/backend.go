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
// whatever the server's MAX_RESPONSE_ITEMS. Requests answered 429, 502, 503
// or 504 are retried as internal/upstream's policy says; at most
// Options.Concurrency requests are under way at once. What a repository's
// releases say is kept between calls, so that a refresh of an unchanged
// organization costs one release list request per repository and no
// checksum download (see cache.go).
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
	// (http.DefaultClient when nil). The backend adds its retry policy and
	// its concurrency bound on top of its transport.
	HTTPClient *http.Client
	// Concurrency bounds the API requests under way at once toward Gitea,
	// whatever the number of calls (DefaultConcurrency when zero or
	// less). Downloads of archives are not counted.
	Concurrency int
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
	hc       *http.Client // API requests and checksum files: bounded, retried
	dl       *http.Client // archive downloads: retried, not bounded
	limit    int
	log      *slog.Logger
	cache    *releaseCache

	shadowMu sync.Mutex
	shadowed map[string]bool // "org/repo" already logged as shadowed
}

// DefaultConcurrency is the bound on concurrent API requests when
// Options.Concurrency is not set.
const DefaultConcurrency = 8

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
	limit := opts.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	hc, dl := clients(opts.HTTPClient, "Gitea at "+u.Redacted(), limit)
	return &Backend{
		base:     u,
		orgs:     orgs,
		token:    opts.Token,
		username: opts.Username,
		password: opts.Password,
		hc:       hc,
		dl:       dl,
		limit:    limit,
		log:      log,
		cache:    newReleaseCache(),
		shadowed: map[string]bool{},
	}, nil
}

// Source returns registry.SourceGitea.
func (b *Backend) Source() registry.Source { return registry.SourceGitea }

// Organizations returns the organizations the backend reads, in order.
func (b *Backend) Organizations() []string { return append([]string(nil), b.orgs...) }

// client returns an SDK client bound to ctx. The SDK keeps one context per
// client, so every call that has its own context (each goroutine of a
// listing) builds its own; building one makes no request.
func (b *Backend) client(ctx context.Context) (*sdk.Client, error) {
	return b.clientOn(ctx, b.hc)
}

// clientOn is client over hc.
func (b *Backend) clientOn(ctx context.Context, hc *http.Client) (*sdk.Client, error) {
	opts := []sdk.ClientOption{
		sdk.SetHTTPClient(hc),
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
