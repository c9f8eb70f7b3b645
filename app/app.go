// Package app wires the registry together: configuration to backends,
// backends to the catalog, the catalog to the HTTP faces, and the faces to a
// listening server with graceful shutdown.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/provisioning-platform/extension-registry/blobcache"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/connector"
	"github.com/provisioning-platform/extension-registry/hooks"
	"github.com/provisioning-platform/extension-registry/httpapi"
	"github.com/provisioning-platform/extension-registry/internal/edge"
	"github.com/provisioning-platform/extension-registry/metrics"
	"github.com/provisioning-platform/extension-registry/redisindex"
	"github.com/provisioning-platform/extension-registry/web"
)

// Version is the service version /health reports; set at build time with
// -ldflags "-X .../app.Version=…".
var Version = "0.1.0"

// App is one running registry: its listener, HTTP server and catalog.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	ln      net.Listener
	srv     *http.Server
	edge    *edge.Edge
	catalog *catalog.Catalog
	blobs   *blobcache.Cache  // nil when off
	hooks   *hooks.Handler    // nil without webhook secrets
	shared  *redisindex.Store // nil without redis.url
}

// New builds the registry of cfg and opens its listener, so that a port
// already in use fails here rather than after start-up.
func New(cfg config.Config, log *slog.Logger) (*App, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)

	transport := newTransport()
	backends, err := newBackends(cfg, transport, m, log)
	if err != nil {
		return nil, err
	}
	blobs, blobSeam, err := openBlobs(cfg, log)
	if err != nil {
		return nil, err
	}
	if blobs != nil {
		reg.MustRegister(blobs.Collector())
	}
	idx := indexOptions(cfg)
	shared, err := openShared(cfg, idx, log) // redis.url: one index for every replica
	if err != nil {
		blobs.Close()
		return nil, err
	}
	v1Cache := catalog.NewCache(cfg.Cache.Capacity, cfg.Cache.TTL, m)
	cat := catalog.New(catalog.Options{
		Backends: backends,
		Cache:    v1Cache,
		Metrics:  m,
		Logger:   log.With("component", "catalog"),
		Index:    idx,
		Blobs:    blobSeam,
	})

	mux := http.NewServeMux()
	api := httpapi.New(httpapi.Options{
		Catalog:   cat,
		Metrics:   m,
		Gatherer:  reg,
		Version:   Version,
		PublicURL: cfg.PublicURL,
		Logger:    log.With("component", "api"),
	})
	api.Register(mux)
	// The ConnectorClass API: its own cache (entries scoped per tool
	// address and credentials), the same transport, the configured
	// organizations and namespace as defaults.
	connector.New(connector.Options{
		Cache:              catalog.NewCache(connector.CacheEntries(cfg.Cache.Capacity), cfg.Cache.TTL, m),
		NewGitea:           ConnectorGitea,
		NewOCI:             ConnectorOCI,
		Transport:          transport,
		AllowedHosts:       cfg.Connectors.AllowedHosts,
		GiteaOrganizations: cfg.Gitea.Organizations,
		OCINamespace:       cfg.OCI.Namespace,
		Metrics:            m,
		Logger:             log,
	}).Register(mux)
	// POST /api/v1/hooks/{gitea,registry} when a webhook secret is set.
	hooksHandler := newHooks(cfg, cat, v1Cache, log)
	if hooksHandler != nil {
		hooksHandler.Register(mux)
	}
	httpapi.RegisterProbes(mux, cat, m)
	httpapi.RegisterOpenAPI(mux, m)
	connector.RegisterOpenAPI(mux, m)
	// The pages for people (/, /search, /extensions/…), before the v1 catch-all.
	pages := web.New(web.Options{Catalog: cat, PublicURL: cfg.PublicURL, Metrics: m, Logger: log.With("component", "web")})
	pages.Register(mux)
	api.RegisterFallback(mux)

	ln, err := net.Listen("tcp", cfg.Listen)
	release := func() {
		blobs.Close()
		_ = shared.Close()
		if hooksHandler != nil {
			hooksHandler.Close()
		}
	}
	if err != nil {
		release()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv, eln, e, err := newServer(cfg, mux, ln, reg, log, pageFaces(pages)...)
	if err != nil {
		_ = ln.Close()
		release()
		return nil, err
	}
	tlsLn, err := listenTLS(cfg, eln)
	if err != nil {
		_ = ln.Close()
		release()
		return nil, err
	}
	return &App{cfg: cfg, log: log, ln: tlsLn, srv: srv, edge: e, catalog: cat, blobs: blobs, hooks: hooksHandler, shared: shared}, nil
}

// Addr is the address the registry listens on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// Run serves until ctx ends, then stops accepting requests and lets the
// ones in flight finish (at most shutdown_timeout).
func (a *App) Run(ctx context.Context) error {
	a.log.Info("extension registry listening", "addr", a.Addr(), "sources", a.catalog.Sources(), "version", Version)
	go a.warm(ctx)
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	err := a.shutdown(errc)
	a.blobs.Close() // after the downloads: their fills end or are cancelled
	if a.hooks != nil {
		a.hooks.Close()
	}
	_ = a.shared.Close()
	return err
}

// warm runs the catalog's background index until ctx ends, and logs when
// every source has been read once.
func (a *App) warm(ctx context.Context) {
	go a.catalog.Run(ctx)
	if a.catalog.WaitIndexed(ctx) != nil {
		return
	}
	if err := a.catalog.Ready(); err != nil {
		a.log.Warn("index not ready; serving what can be read, retrying in the background", "error", err)
		return
	}
	exts, _ := a.catalog.List(ctx, catalog.Filter{})
	a.log.Info("catalog ready", "extensions", len(exts))
}

// Catalog returns the registry's catalog (for /readyz and hooks).
func (a *App) Catalog() *catalog.Catalog { return a.catalog }

// Close releases the listener (and the blob cache) of an App that never ran.
func (a *App) Close() error {
	a.blobs.Close()
	_ = a.shared.Close()
	if a.hooks != nil {
		a.hooks.Close()
	}
	return a.ln.Close()
}
