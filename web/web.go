// Package web serves the registry's pages for people (contract §12): the
// home page listing every extension with type and source filters, the
// search results, and one page per extension with its versions, download
// links and the commands that fetch them. Pages are rendered on the server
// with html/template from the catalog the API uses, work without
// JavaScript, and load nothing from another host: the styles and the small
// optional script are embedded in the binary and served under /static/.
package web

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/internal/route"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// apiPrefix is where the v1 API, and so the download endpoint, lives.
const apiPrefix = "/api/v1"

// Options configures the pages.
type Options struct {
	// Catalog answers every page; a page never talks to a backend.
	Catalog *catalog.Catalog
	// PublicURL is the registry's external base URL, used in the commands a
	// page shows. Empty: derived from each request's Host.
	PublicURL string
	// Metrics records request counts and durations; nil disables them.
	Metrics *metrics.Metrics
	// Logger receives failures worth a look; nil discards them.
	Logger *slog.Logger
}

// Pages serves the web pages.
type Pages struct {
	opts   Options
	log    *slog.Logger
	status *sourceStatus
}

// New returns the pages of opts.Catalog. Register them on a mux with
// Register.
func New(opts Options) *Pages {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	return &Pages{opts: opts, log: opts.Logger, status: newSourceStatus(opts.Catalog)}
}

// Register adds the routes of the pages to mux: GET / (exactly), /search,
// /extensions/{type}/{name}, the embedded assets under /static/, and an HTML
// 404 for any other path under /extensions/ or /static/. Register them
// before a catch-all for "/" (the v1 API's fallback), which keeps answering
// every other unknown path.
func (p *Pages) Register(mux *http.ServeMux) {
	rt := &route.Router{Mux: mux, Metrics: p.opts.Metrics, Log: p.log, Fail: p.fail}
	rt.Get("/{$}", p.home)
	rt.Get("/search", p.search)
	rt.Get("/extensions/{type}/{name}", p.extension)
	rt.Get("/static/{file}", p.static)
	rt.NotFound("/extensions/")
	rt.NotFound("/static/")
}

// baseURL is the registry's external base URL for r.
func (p *Pages) baseURL(r *http.Request) string {
	if p.opts.PublicURL != "" {
		return p.opts.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
