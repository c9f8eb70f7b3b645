package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// BreakerCooldown is how long a backend that timed out is not asked again:
// calls fail at once with its last timeout instead of each waiting for the
// transport's own timeout. The first call after it goes through again.
var BreakerCooldown = 10 * time.Second

// breaker guards one backend against a server that hangs: after a call
// fails with ErrTimeout, further calls fail fast for BreakerCooldown. Only
// timeouts open it; a server that answers, even with an error, is asked
// every time. Health probes go through it untouched, and one that succeeds
// closes it.
type breaker struct {
	registry.Backend

	mu        sync.Mutex
	openUntil time.Time
	last      error
}

// allow returns the error to fail with while the breaker is open, or nil.
func (b *breaker) allow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Now().Before(b.openUntil) {
		return &registry.Error{
			Kind: registry.ErrTimeout,
			Message: fmt.Sprintf("The %s source did not answer in time and is not asked again for %s: %s",
				b.Source(), BreakerCooldown, registry.PublicMessage(b.last)),
			Err: b.last,
		}
	}
	return nil
}

// record opens the breaker on a timeout. The caller leaving (a canceled
// context) says nothing about the backend.
func (b *breaker) record(err error) {
	if err == nil || !errors.Is(err, registry.ErrTimeout) || errors.Is(err, context.Canceled) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.openUntil = time.Now().Add(BreakerCooldown)
	b.last = err
}

func (b *breaker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.openUntil = time.Time{}
}

// guard runs call unless the breaker is open, and records its outcome.
func guard[T any](b *breaker, call func() (T, error)) (T, error) {
	if err := b.allow(); err != nil {
		var zero T
		return zero, err
	}
	v, err := call()
	b.record(err)
	return v, err
}

func (b *breaker) List(ctx context.Context) ([]registry.Extension, error) {
	return guard(b, func() ([]registry.Extension, error) { return b.Backend.List(ctx) })
}

func (b *breaker) Get(ctx context.Context, typ registry.Type, name string) (registry.Extension, error) {
	return guard(b, func() (registry.Extension, error) { return b.Backend.Get(ctx, typ, name) })
}

func (b *breaker) Versions(ctx context.Context, typ registry.Type, name string) ([]registry.Version, error) {
	return guard(b, func() ([]registry.Version, error) { return b.Backend.Versions(ctx, typ, name) })
}

func (b *breaker) Open(ctx context.Context, typ registry.Type, name string, v registry.Version) (*registry.Archive, error) {
	return guard(b, func() (*registry.Archive, error) { return b.Backend.Open(ctx, typ, name, v) })
}

// probe checks the backend as Health does, bypassing the breaker; a
// success closes it.
func (b *breaker) probe(ctx context.Context) error {
	var err error
	if p, ok := b.Backend.(registry.Prober); ok {
		err = p.Probe(ctx)
	} else {
		_, err = b.Backend.List(ctx)
	}
	if err == nil {
		b.close()
	}
	return err
}
