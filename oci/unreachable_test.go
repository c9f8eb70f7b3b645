package oci

import (
	"context"
	"errors"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestUnreachableRegistry checks the kinds of a registry that cannot be
// reached (ErrUnavailable) and of one that never answers (ErrTimeout, within
// the context's deadline).
func TestUnreachableRegistry(t *testing.T) {
	closed := func(t *testing.T) string { return testserver.ClosedAddr(t) }
	silent := func(t *testing.T) string { return testserver.SilentAddr(t) }

	for _, c := range []struct {
		name string
		host func(*testing.T) string
		want error
	}{
		{"closed port", closed, registry.ErrUnavailable},
		{"accepts but never answers", silent, registry.ErrTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := mustRemote(t, RemoteOptions{Registry: c.host(t)})
			calls := map[string]func(context.Context) error{
				"Probe": b.Probe,
				"List":  func(ctx context.Context) error { _, err := b.List(ctx); return err },
				"Get":   func(ctx context.Context) error { _, err := b.Get(ctx, registry.Provider, "aws"); return err },
			}
			for name, call := range calls {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				start := time.Now()
				err := call(ctx)
				cancel()
				if !errors.Is(err, c.want) {
					t.Errorf("%s: error %v, want %v", name, err, c.want)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("%s took %s despite the 300ms deadline", name, d)
				}
			}
		})
	}
}
