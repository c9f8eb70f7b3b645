// Package connector is the ConnectorClass API of the registry: the REST
// face the Kubernetes Connectors system forwards requests to. One base path
// per backend kind (/connectors/gitea, /connectors/oci) serves the
// extensions of the tool named by the request's own X-Plugin-* headers,
// with the credentials of those headers — never the registry's configured
// ones. Lists are {"listMeta":{"totalItems":N},"items":[...]} of the v1
// JSON model, and every non-200 answer is a Kubernetes metav1.Status.
package connector

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/internal/route"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// Prefix is the path every ConnectorClass API route lives under.
const Prefix = "/connectors"

// The base paths, one per backend kind; a ConnectorClass points spec.api.uri
// at one of them.
const (
	GiteaBase = Prefix + "/gitea"
	OCIBase   = Prefix + "/oci"
)

// DefaultOCINamespace is the namespace used when neither the request nor
// Options name one: the root package's one default.
const DefaultOCINamespace = registry.DefaultOCINamespace

// DefaultTimeout is the backend budget of a request when Options.Timeout is
// zero.
const DefaultTimeout = 30 * time.Second

// Options configures the ConnectorClass API.
type Options struct {
	// Cache is shared by all connector requests; entries are scoped per
	// tool address and credentials. Nil: answers are not cached.
	Cache *catalog.Cache
	// Transport is the one transport every backend call goes through. Nil:
	// a clone of http.DefaultTransport, made once.
	Transport http.RoundTripper
	// AllowedHosts lists the tool hosts the API may call: "host",
	// "host:port", "*.domain" or "*". Empty allows none.
	AllowedHosts []string
	// GiteaOrganizations are the organizations read when a request has no
	// organization parameter.
	GiteaOrganizations []string
	// OCINamespace is the repository namespace read when a request has no
	// namespace parameter; empty means DefaultOCINamespace.
	OCINamespace string
	// Metrics counts requests by route pattern and backend calls under the
	// backends "connector-gitea" and "connector-oci". Nil disables them.
	Metrics *metrics.Metrics
	// Logger receives failures; it never sees secret values. Nil discards.
	Logger *slog.Logger
	// Timeout bounds the backend calls of one request (for a download, until
	// the archive starts streaming); exceeding it answers 504 Timeout. Zero
	// means DefaultTimeout.
	Timeout time.Duration
	// NewGitea and NewOCI build the backend of one Connector. The API
	// never builds a backend itself: the application passes the
	// constructors (app/backends.go), so that this package is a pure HTTP
	// face. A nil constructor makes that tool answer 500.
	NewGitea func(GiteaParams) (registry.Backend, error)
	NewOCI   func(OCIParams) (registry.Backend, error)
	// MaxClients is how many backends (one per tool address, credentials
	// and parameters) are kept for reuse; zero means DefaultMaxClients.
	MaxClients int
	// MaxUpstreamCalls is the upstream-call budget of one request; a
	// request that needs more answers 503. Zero means
	// DefaultMaxUpstreamCalls.
	MaxUpstreamCalls int
}

// DefaultMaxClients is the number of backends kept for reuse when
// Options.MaxClients is zero.
const DefaultMaxClients = 256

// MaxCacheEntries bounds the entries of the cache the application gives
// the API (Options.Cache), whatever cache.capacity says: entries are per
// credential, and one can hold a tool's whole catalogue. See CacheEntries.
const MaxCacheEntries = 512

// CacheEntries returns the capacity of the API's cache for a configured
// cache.capacity: at most MaxCacheEntries.
func CacheEntries(capacity int) int { return max(1, min(capacity, MaxCacheEntries)) }

// API serves the ConnectorClass API. Create it once with New; it is safe
// for concurrent use.
type API struct {
	opts     Options
	log      *slog.Logger
	hosts    hostPolicy
	scopeKey []byte
	clients  *lru.Cache[string, registry.Backend]
	gitea    *tool
	oci      *tool
}

// New returns the ConnectorClass API of opts.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = DefaultMaxClients
	}
	if opts.MaxUpstreamCalls <= 0 {
		opts.MaxUpstreamCalls = DefaultMaxUpstreamCalls
	}
	if opts.OCINamespace == "" {
		opts.OCINamespace = DefaultOCINamespace
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	a := &API{
		opts:     opts,
		log:      opts.Logger.With("component", "connector"),
		hosts:    newHostPolicy(opts.AllowedHosts),
		scopeKey: make([]byte, 32),
	}
	a.clients, _ = lru.New[string, registry.Backend](opts.MaxClients) // errs only for a size < 1
	// Every request made for a Connector, redirects included, goes through
	// the allow-list.
	a.opts.Transport = guardedTransport{next: opts.Transport, policy: a.hosts}
	// The cache scope is an HMAC under a key of this process, so that the
	// scope of a credential cannot be recomputed outside it.
	_, _ = rand.Read(a.scopeKey)
	a.gitea = newGiteaTool(a)
	a.oci = newOCITool(a)
	return a
}

// probeKind tells the probes of the Connectors system from the resources.
type probeKind int

const (
	notProbe      probeKind = iota
	probeLiveness           // GET {base}/: does the tool answer?
	probeAuth               // GET {base}/authcheck: does it accept the credentials?
)

// resource is one route under a tool's base path: its OpenAPI path (the
// part after the base) and its handler.
type resource struct {
	path    string
	handler func(a *API) callHandler
	probe   probeKind // a probe needs no organization or namespace
}

// resources are the routes every base path serves. deploy/'s OpenAPI
// descriptions list exactly these paths; a test holds them together.
var resources = []resource{
	{"/", func(a *API) callHandler { return a.liveness }, probeLiveness},
	{"/authcheck", func(a *API) callHandler { return a.authcheck }, probeAuth},
	{"/extensions", func(a *API) callHandler { return a.listExtensions }, notProbe},
	{"/extensions/{type}/{name}", func(a *API) callHandler { return a.getExtension }, notProbe},
	{"/extensions/{type}/{name}/versions", func(a *API) callHandler { return a.listVersions }, notProbe},
	{"/extensions/{type}/{name}/{version}", func(a *API) callHandler { return a.download }, notProbe},
}

// Register adds the routes of both base paths to mux: GET and HEAD on each
// resource, the base path itself (with and without a trailing slash) as
// liveness, and a catch-all under Prefix that answers a NotFound Status.
func (a *API) Register(mux *http.ServeMux) {
	rt := &route.Router{Mux: mux, Metrics: a.opts.Metrics, Log: a.log, Fail: WriteStatus}
	for _, t := range []*tool{a.gitea, a.oci} {
		for _, res := range resources {
			h := a.handle(t, res.handler(a), res.probe)
			if res.path == "/" {
				rt.Get(t.base, h)
				rt.Get(t.base+"/{$}", h)
				continue
			}
			rt.Get(t.base+res.path, h)
		}
	}
	rt.NotFound(Prefix + "/")
	rt.NotFound(Prefix)
}
