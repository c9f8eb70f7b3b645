package web

import (
	"context"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
)

// statusFresh is how long a reading of the sources' health is reused:
// pages show which sources fail without probing them on every view.
const statusFresh = 15 * time.Second

// statusWait bounds how long a page waits for a fresh reading; a source
// that does not answer within it is shown as not answering.
const statusWait = 1500 * time.Millisecond

// sourceDown is one failing source as a page's notice shows it.
type sourceDown struct {
	Source registry.Source
	// Reason is the catalog's client-safe description of the failure.
	Reason string
}

// sourceStatus remembers which sources failed at the last health reading.
type sourceStatus struct {
	cat   *catalog.Catalog
	group singleflight.Group

	mu   sync.Mutex
	at   time.Time
	last []sourceDown
}

func newSourceStatus(cat *catalog.Catalog) *sourceStatus { return &sourceStatus{cat: cat} }

// down returns the sources that fail, from a reading at most statusFresh
// old; concurrent pages share one reading.
func (s *sourceStatus) down(ctx context.Context) []sourceDown {
	s.mu.Lock()
	if time.Since(s.at) < statusFresh {
		defer s.mu.Unlock()
		return s.last
	}
	s.mu.Unlock()
	v, _, _ := s.group.Do("health", func() (any, error) {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statusWait)
		defer cancel()
		var out []sourceDown
		for src, h := range s.cat.Health(pctx) {
			if !h.Healthy {
				reason := h.Error
				if reason == "" {
					reason = "it did not answer"
				}
				out = append(out, sourceDown{Source: src, Reason: clip(reason, maxEcho)})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
		s.mu.Lock()
		s.at, s.last = time.Now(), out
		s.mu.Unlock()
		return out, nil
	})
	return v.([]sourceDown)
}
