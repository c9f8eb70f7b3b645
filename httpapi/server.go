// Package httpapi is the Extension Registry API v1: the JSON face of the
// catalog under /api/v1. It parses and checks each request, asks the
// catalog, and translates the catalog's errors into the API's error body.
package httpapi

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/internal/route"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// Prefix is the path every v1 route lives under.
const Prefix = "/api/v1"

// Options configures the v1 API.
type Options struct {
	Catalog *catalog.Catalog
	// Metrics records request counts and durations; Gatherer is what
	// /metrics exposes. Either may be nil.
	Metrics  *metrics.Metrics
	Gatherer prometheus.Gatherer
	// Version is the service version /health reports.
	Version string
	// Started is when the service started, for /health's uptime.
	Started time.Time
	// PublicURL is the registry's external base URL (scheme://host[:port]
	// [/path]), used for the download_url of extensions the registry serves
	// itself. Empty: derived from each request's Host.
	PublicURL string
	Logger    *slog.Logger
}

// API serves the v1 routes.
type API struct {
	opts Options
	log  *slog.Logger
	memo *memo
}

// New returns the v1 API. Register its Handler under Prefix.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Started.IsZero() {
		opts.Started = time.Now()
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.NewRegistry()
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	return &API{opts: opts, log: opts.Logger, memo: newMemo()}
}

// Register adds the v1 routes to mux, plus a catch-all that answers unknown
// paths under Prefix with the API's 404 body.
func (a *API) Register(mux *http.ServeMux) {
	rt := &route.Router{Mux: mux, Metrics: a.opts.Metrics, Log: a.log, Fail: WriteStatus}
	rt.Get(Prefix+"/extensions", a.list)
	rt.Get(Prefix+"/extensions/search", a.search)
	rt.Get(Prefix+"/extensions/{type}/{name}", a.get)
	rt.Get(Prefix+"/extensions/{type}/{name}/versions", a.versions)
	rt.Get(Prefix+"/extensions/{type}/{name}/{version}", a.download)
	rt.Get(Prefix+"/health", a.health)
	rt.Get(Prefix+"/metrics", promhttp.HandlerFor(a.opts.Gatherer, promhttp.HandlerOpts{}).ServeHTTP)
	rt.Get(Prefix+"/cache/stats", a.cacheStats)
	rt.NotFound(Prefix + "/")
}

// RegisterFallback answers every path no other route of mux matches with
// the API's 404 body.
func (a *API) RegisterFallback(mux *http.ServeMux) {
	rt := &route.Router{Mux: mux, Metrics: a.opts.Metrics, Log: a.log, Fail: WriteStatus}
	rt.NotFound("/")
}

// downloadURL is the registry's own download endpoint for typ/name@version.
func (a *API) downloadURL(r *http.Request, typ registry.Type, name, version string) string {
	return a.baseURL(r) + Prefix + "/extensions/" + string(typ) + "/" + name + "/" + version
}

// baseURL is the registry's external base URL for r: PublicURL, else the
// request's scheme and Host.
func (a *API) baseURL(r *http.Request) string {
	if a.opts.PublicURL != "" {
		return a.opts.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
