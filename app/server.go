package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/connector"
	"github.com/provisioning-platform/extension-registry/httpapi"
	"github.com/provisioning-platform/extension-registry/internal/edge"
	"github.com/provisioning-platform/extension-registry/web"
)

// newServer wraps mux and ln in the server edge (request checks, limits,
// rate limiting, each refusal in the body of the face the path belongs to)
// and returns the http.Server with every phase of a request bounded.
func newServer(cfg config.Config, mux http.Handler, ln net.Listener, reg prometheus.Registerer, log *slog.Logger, faces ...edge.Face) (*http.Server, net.Listener, *edge.Edge, error) {
	s := cfg.Server
	e, err := edge.New(edge.Options{
		Faces:          append([]edge.Face{{Prefix: connector.Prefix + "/", Fail: connector.WriteStatus}}, faces...),
		Default:        httpapi.WriteStatus,
		MaxInflight:    s.MaxInflight,
		RequestTimeout: s.RequestTimeout,
		BudgetPrefix:   httpapi.Prefix + "/",
		WriteTimeout:   s.WriteTimeout,
		RateLimit: edge.RateLimit{
			RPS:            cfg.RateLimit.RPS,
			Burst:          cfg.RateLimit.Burst,
			TrustedProxies: cfg.RateLimit.TrustedProxies,
		},
		Registerer: reg,
		Logger:     log.With("component", "edge"),
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("server edge: %w", err)
	}
	srv := &http.Server{
		Handler:           e.Handler(mux),
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		ReadTimeout:       s.ReadTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    s.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return srv, e.Listener(ln, s.MaxConnections), e, nil
}

// pageFaces answers the edge's refusals on the pages' paths with their
// HTML error page.
func pageFaces(p *web.Pages) []edge.Face {
	faces := []edge.Face{{Prefix: "/", Exact: true, Fail: p.WriteStatus}} // the home page
	for _, prefix := range web.EdgePrefixes {
		faces = append(faces, edge.Face{Prefix: prefix, Fail: p.WriteStatus})
	}
	return faces
}

// shutdown stops accepting connections (new ones are refused once the
// listener closes) and lets the requests in flight finish for at most
// shutdown_timeout; the ones still running then are logged and cut. A
// requested shutdown is never an error.
func (a *App) shutdown(errc <-chan error) error {
	timeout := a.cfg.Server.ShutdownTimeout
	a.log.Info("shutting down", "in_flight", len(a.edge.Active()), "shutdown_timeout", timeout)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := a.srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		for _, r := range a.edge.Active() {
			a.log.Warn("request cut at shutdown_timeout", "method", r.Method, "path", r.Path,
				"bytes_sent", r.Sent(), "running", time.Since(r.Start).Round(time.Millisecond))
		}
		err = a.srv.Close()
	}
	if err != nil {
		a.log.Warn("shutdown", "error", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return nil
}
