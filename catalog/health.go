package catalog

import (
	"context"
	"sync"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// ProbeTimeout bounds each backend probe of a health check.
const ProbeTimeout = 3 * time.Second

// BackendHealth is the outcome of probing one configured backend.
type BackendHealth struct {
	Healthy bool
	// Error is the probe's failure, safe to show (no credentials).
	Error string
}

// Health probes every configured backend concurrently, each with
// ProbeTimeout, and returns the outcome per source. A backend that cannot be
// probed (no Prober) counts as healthy when it can list.
func (c *Catalog) Health(ctx context.Context) map[registry.Source]BackendHealth {
	out := make(map[registry.Source]BackendHealth, len(c.backends))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, b := range c.backends {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
			defer cancel()
			err := b.probe(pctx)
			h := BackendHealth{Healthy: err == nil}
			if err != nil {
				h.Error = describe(err)
			}
			mu.Lock()
			out[b.Source()] = h
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// describe turns a probe failure into a short, client-safe sentence.
func describe(err error) string {
	if msg := registry.PublicMessage(err); msg != "" {
		return msg
	}
	return err.Error()
}
