package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
)

// startupReadiness is /readyz: catalog.Catalog.Ready (every source read,
// none past index.max_stale) when the catalog runs an index, and, since a
// catalog without one is always "ready" by that measure, a start-up check
// of its own: ready once every enabled source answered its probe and one
// complete listing succeeded; from then on it calls no backend. Once app
// always runs the index, register cat itself instead.
type startupReadiness struct {
	cat   *catalog.Catalog
	mu    sync.Mutex // one check at a time: probes never pile up on backends
	ready bool
}

// Ready returns nil once the catalog has been read completely, else why
// not.
func (r *startupReadiness) Ready() error {
	if err := r.cat.Ready(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ready {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), catalog.ProbeTimeout)
	defer cancel()
	var failing []string
	for src, h := range r.cat.Health(ctx) {
		if !h.Healthy {
			failing = append(failing, fmt.Sprintf("source %s has not been read: %s", src, h.Error))
		}
	}
	if len(failing) > 0 {
		sort.Strings(failing)
		return fmt.Errorf("%s", strings.Join(failing, "; "))
	}
	if _, err := r.cat.List(ctx, catalog.Filter{}); err != nil {
		return fmt.Errorf("the catalog has not been read: %s", publicReason(err))
	}
	r.ready = true
	return nil
}

// publicReason is the client-safe text of a catalog error.
func publicReason(err error) string {
	if msg := registry.PublicMessage(err); msg != "" {
		return msg
	}
	return "a source could not be read"
}
