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
// probed (no Prober) counts as healthy when it can list. With the index, a
// source whose last read failed is unhealthy with that cause (and is not
// probed).
func (c *Catalog) Health(ctx context.Context) map[registry.Source]BackendHealth {
	out := make(map[registry.Source]BackendHealth, len(c.backends))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, b := range c.backends {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
			defer cancel()
			err := c.indexFailure(b.Source())
			if err == nil {
				err = probe(pctx, b)
			}
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

// indexFailure returns the error of the last index read of src, or nil.
func (c *Catalog) indexFailure(src registry.Source) error {
	if c.idx == nil {
		return nil
	}
	s := c.idx.source(src)
	if s == nil {
		return nil
	}
	if _, err, _ := s.state(); err != nil {
		return &registry.Error{Kind: registry.ErrUnavailable, Message: "The last index read failed: " + describe(err), Err: err}
	}
	return nil
}

// probe checks b through its breaker, if it has one.
func probe(ctx context.Context, b registry.Backend) error {
	if br, ok := b.(*breaker); ok {
		return br.probe(ctx)
	}
	if p, ok := b.(registry.Prober); ok {
		return p.Probe(ctx)
	}
	_, err := b.List(ctx)
	return err
}

// describe turns a probe failure into a short, client-safe sentence.
func describe(err error) string {
	if msg := registry.PublicMessage(err); msg != "" {
		return msg
	}
	return err.Error()
}
