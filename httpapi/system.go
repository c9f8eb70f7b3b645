package httpapi

import (
	"net/http"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// healthBody is the HealthResponse of the API.
type healthBody struct {
	Status   string                            `json:"status"`
	Version  string                            `json:"version"`
	Uptime   int64                             `json:"uptime"`
	Backends map[registry.Source]backendHealth `json:"backends"`
	// Components are what the registry depends on besides its backends:
	// "redis", the shared index (redis.url), when configured.
	Components map[string]componentHealth `json:"components,omitempty"`
}

// componentHealth is the state of one component.
type componentHealth struct {
	Healthy bool   `json:"healthy"`
	Error   string `json:"error,omitempty"`
}

// backendHealth is the BackendStatus of the API.
type backendHealth struct {
	Enabled bool   `json:"enabled"`
	Healthy bool   `json:"healthy"`
	Error   string `json:"error,omitempty"`
}

// health answers GET /health: every known backend, probed when enabled;
// "degraded" when an enabled backend fails its probe. It answers 200 either
// way, as the API documents.
func (a *API) health(w http.ResponseWriter, r *http.Request) {
	body := healthBody{
		Status:   "healthy",
		Version:  a.opts.Version,
		Uptime:   int64(time.Since(a.opts.Started).Seconds()),
		Backends: make(map[registry.Source]backendHealth, len(registry.Sources)),
	}
	for _, s := range registry.Sources {
		body.Backends[s] = backendHealth{}
	}
	for src, h := range a.opts.Catalog.Health(r.Context()) {
		body.Backends[src] = backendHealth{Enabled: true, Healthy: h.Healthy, Error: h.Error}
		if !h.Healthy {
			body.Status = "degraded"
		}
	}
	for name, h := range a.opts.Catalog.Components() {
		if body.Components == nil {
			body.Components = map[string]componentHealth{}
		}
		body.Components[name] = componentHealth{Healthy: h.Healthy, Error: h.Error}
		if !h.Healthy {
			body.Status = "degraded"
		}
	}
	a.writeFresh(w, r, body)
}

// cacheStats answers GET /cache/stats.
func (a *API) cacheStats(w http.ResponseWriter, r *http.Request) {
	a.writeFresh(w, r, a.opts.Catalog.Stats())
}
