package catalog

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// getCounting counts the backend's Get calls, which only a request the
// index could not answer makes.
type getCounting struct {
	*fakeBackend
	gets atomic.Int32
}

func (g *getCounting) Get(ctx context.Context, typ registry.Type, name string) (registry.Extension, error) {
	g.gets.Add(1)
	return g.fakeBackend.Get(ctx, typ, name)
}

// startBlocked starts the index of a catalog over b, whose first read
// (its List) waits until the returned release is called.
func startBlocked(t *testing.T, f *fakeBackend, b registry.Backend) (*Catalog, func()) {
	t.Helper()
	f.block = make(chan struct{})
	c := New(Options{Backends: []registry.Backend{b}, Cache: NewCache(100, time.Minute, nil), Metrics: metrics.New(nil), Index: &IndexOptions{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitUntil(t, func() bool { return f.calls.Load() >= 1 }, "the first read to start")
	var once sync.Once
	return c, func() { once.Do(func() { close(f.block) }) }
}

func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestColdRequestsWaitForTheFirstRead: requests that arrive while the
// index's first read runs are answered from that read when it ends, and
// none of them calls the backend itself.
func TestColdRequestsWaitForTheFirstRead(t *testing.T) {
	f := indexFixture()
	b := &getCounting{fakeBackend: f}
	c, release := startBlocked(t, f, b)
	const burst = 50
	var wg sync.WaitGroup
	errs := make(chan error, 3*burst)
	for range burst {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := c.Get(ctx, registry.Taskserv, "kubernetes"); err != nil {
				errs <- err
			}
			if vs, err := c.Versions(ctx, registry.Taskserv, "kubernetes"); err != nil || len(vs) != 2 {
				errs <- err
			}
			if l, err := c.List(ctx, Filter{}); err != nil || len(l) != 2 {
				errs <- err
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // let the burst reach the catalog
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("cold request: %v", err)
	}
	if n := b.gets.Load(); n != 0 {
		t.Errorf("the cold burst made %d backend Get calls, want 0", n)
	}
	// The read itself: one List, one Versions per extension.
	if n := f.calls.Load(); n != 3 {
		t.Errorf("backend calls = %d, want the read's 3", n)
	}
}

// TestColdWaitIsBounded: a request whose budget is short does not wait for
// a first read that does not end; it asks the backend itself, within its
// budget.
func TestColdWaitIsBounded(t *testing.T) {
	b := &getCounting{fakeBackend: indexFixture()}
	// An index that has read nothing and never will (Run is not called):
	// the request must fall back, not hang.
	c := New(Options{Backends: []registry.Backend{b}, Cache: NewCache(100, time.Minute, nil), Metrics: metrics.New(nil), Index: &IndexOptions{}})
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	e, err := c.Get(ctx, registry.Taskserv, "kubernetes")
	if err != nil || e.Name != "kubernetes" {
		t.Fatalf("Get = %+v, %v; want the backend's answer", e, err)
	}
	if ctx.Err() != nil {
		t.Error("the request used up its whole budget waiting")
	}
	if b.gets.Load() != 1 {
		t.Errorf("backend Get calls = %d, want 1 (the fallback)", b.gets.Load())
	}
}
