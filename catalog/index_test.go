package catalog

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// newIndexedCatalog returns a catalog with an index over backends, each
// read once.
func newIndexedCatalog(t *testing.T, opts IndexOptions, backends ...registry.Backend) *Catalog {
	t.Helper()
	c := New(Options{Backends: backends, Cache: NewCache(100, time.Minute, nil), Metrics: metrics.New(nil), Index: &opts})
	for _, b := range backends {
		if err := c.RefreshSource(context.Background(), b.Source()); err != nil {
			t.Fatalf("first read of %s: %v", b.Source(), err)
		}
	}
	return c
}

func indexFixture() *fakeBackend {
	return &fakeBackend{
		src: registry.SourceOCI,
		exts: []registry.Extension{
			ext(registry.SourceOCI, registry.Taskserv, "kubernetes", "Kubernetes"),
			ext(registry.SourceOCI, registry.Provider, "aws", "Amazon"),
		},
		versions: map[string][]registry.Version{
			"taskserv/kubernetes": {{Version: "1.0.0", Ref: "v1.0.0", Checksum: "sha256:aa"}, {Version: "0.9.0", Ref: "0.9.0"}},
			"provider/aws":        {{Version: "1.0.0", Ref: "1.0.0"}},
		},
	}
}

func TestIndexAnswersWithoutBackendCalls(t *testing.T) {
	f := indexFixture()
	c := newIndexedCatalog(t, IndexOptions{}, f)
	if err := c.Ready(); err != nil {
		t.Fatalf("Ready after a good read: %v", err)
	}
	before := f.calls.Load()
	ctx := context.Background()
	if e, err := c.Get(ctx, registry.Taskserv, "kubernetes"); err != nil || e.Description != "Kubernetes" {
		t.Errorf("Get = %+v, %v", e, err)
	}
	vs, err := c.Versions(ctx, registry.Taskserv, "kubernetes")
	if err != nil || len(vs) != 2 || vs[0].Ref != "v1.0.0" {
		t.Errorf("Versions = %+v, %v; want 2 versions, refs kept", vs, err)
	}
	if l, err := c.List(ctx, Filter{Type: registry.Provider}); err != nil || len(l) != 1 || l[0].Name != "aws" {
		t.Errorf("List(provider) = %+v, %v", l, err)
	}
	if s, err := c.Search(ctx, "KUBER", ""); err != nil || len(s) != 1 {
		t.Errorf("Search = %+v, %v", s, err)
	}
	for range 100 {
		if _, err := c.Get(ctx, registry.Taskserv, "no-such"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("Get(unknown) = %v, want not found", err)
		}
		if _, err := c.Versions(ctx, registry.Cluster, "kubernetes"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("Versions(unknown) = %v, want not found", err)
		}
		if _, err := c.Open(ctx, registry.Taskserv, "kubernetes", "7.7.7"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("Open(unknown version) = %v, want not found", err)
		}
	}
	if got := f.calls.Load() - before; got != 0 {
		t.Errorf("backend calls after the read = %d, want 0", got)
	}
	a := &Answer{}
	if _, err := c.Get(WithAnswer(ctx, a), registry.Provider, "aws"); err != nil || !a.FromMemory || a.Generation == 0 {
		t.Errorf("answer = %+v, %v; want from memory with a generation", a, err)
	}
}

func TestIndexStaleOnErrorThenMaxStale(t *testing.T) {
	f := indexFixture()
	c := newIndexedCatalog(t, IndexOptions{MaxStale: 300 * time.Millisecond}, f)
	ctx := context.Background()
	gen := c.Generation()
	f.err = registry.Errorf(registry.ErrUnavailable, "registry down")
	if err := c.RefreshSource(ctx, registry.SourceOCI); err == nil {
		t.Fatal("a read of a failing backend succeeded")
	}
	if _, err := c.Get(ctx, registry.Taskserv, "kubernetes"); err != nil {
		t.Errorf("Get while failing, within max_stale = %v, want the stale copy", err)
	}
	if err := c.Ready(); err != nil {
		t.Errorf("Ready within max_stale = %v", err)
	}
	if h := c.Health(ctx)[registry.SourceOCI]; h.Healthy || h.Error == "" {
		t.Errorf("health while the last read failed = %+v, want unhealthy with the cause", h)
	}
	if g := c.Generation(); g != gen {
		t.Errorf("generation changed from %d to %d by a failed read", gen, g)
	}
	time.Sleep(400 * time.Millisecond)
	for name, err := range map[string]error{
		"get":  second(c.Get(ctx, registry.Taskserv, "kubernetes")),
		"list": second(c.List(ctx, Filter{Source: registry.SourceOCI})),
		"all":  second(c.List(ctx, Filter{})),
	} {
		if !errors.Is(err, registry.ErrUnavailable) {
			t.Errorf("%s past max_stale = %v, want ErrUnavailable", name, err)
		}
	}
	if err := c.Ready(); err == nil {
		t.Error("Ready past max_stale = nil")
	}
	f.err = nil
	if err := c.RefreshSource(ctx, registry.SourceOCI); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, registry.Taskserv, "kubernetes"); err != nil {
		t.Errorf("Get after recovery = %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestIndexGenerationStableWhenNothingChanged(t *testing.T) {
	f := indexFixture()
	c := newIndexedCatalog(t, IndexOptions{}, f)
	gen := c.Generation()
	if err := c.RefreshSource(context.Background(), registry.SourceOCI); err != nil {
		t.Fatal(err)
	}
	if g := c.Generation(); g != gen {
		t.Errorf("generation %d → %d though nothing changed", gen, g)
	}
	f.exts = append(f.exts, ext(registry.SourceOCI, registry.Cluster, "buildkit", "BuildKit"))
	f.versions["cluster/buildkit"] = []registry.Version{{Version: "0.1.0"}}
	if err := c.RefreshSource(context.Background(), registry.SourceOCI); err != nil {
		t.Fatal(err)
	}
	if g := c.Generation(); g == gen {
		t.Error("generation unchanged after an extension was added")
	}
	if _, err := c.Get(context.Background(), registry.Cluster, "buildkit"); err != nil {
		t.Errorf("new extension: %v", err)
	}
}

func TestRefreshOneName(t *testing.T) {
	f := indexFixture()
	c := newIndexedCatalog(t, IndexOptions{}, f)
	ctx := context.Background()
	f.exts[0].Description = "changed"
	f.exts = f.exts[:1] // aws is gone, but Refresh("kubernetes") does not look at it
	if err := c.Refresh(ctx, registry.SourceOCI, "kubernetes"); err != nil {
		t.Fatal(err)
	}
	if e, _ := c.Get(ctx, registry.Taskserv, "kubernetes"); e.Description != "changed" {
		t.Errorf("after Refresh: %q, want changed", e.Description)
	}
	if _, err := c.Get(ctx, registry.Provider, "aws"); err != nil {
		t.Errorf("an extension of another name changed: %v", err)
	}
	if err := c.Refresh(ctx, registry.SourceOCI, "aws"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, registry.Provider, "aws"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("after Refresh of a removed extension: %v, want not found", err)
	}
	if err := c.Refresh(ctx, registry.SourceGitea, "x"); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("Refresh of an unserved source = %v, want ErrInvalid", err)
	}
}

// rateLimited fails its first n List calls with a 429 carrying Retry-After.
type rateLimited struct {
	*fakeBackend
	n atomic.Int32
}

func (r *rateLimited) List(ctx context.Context) ([]registry.Extension, error) {
	switch r.n.Add(-1) {
	case 1, 0:
		// What the backends return: a *registry.Error carrying the delay.
		return nil, &registry.Error{Kind: registry.ErrRateLimited, Message: "slow down", RetryAfter: 175 * time.Millisecond}
	}
	return r.fakeBackend.List(ctx)
}

func TestRateLimitSlowsTheReadDown(t *testing.T) {
	b := &rateLimited{fakeBackend: indexFixture()}
	b.n.Store(2)
	start := time.Now()
	c := newIndexedCatalog(t, IndexOptions{}, b)
	if took := time.Since(start); took < 350*time.Millisecond {
		t.Errorf("read took %s; two Retry-After of 175ms were not honoured", took)
	} else if took > 1500*time.Millisecond {
		// The own backoff after a second 429 is 2s: the backend's delay
		// was not read from its *registry.Error.
		t.Errorf("read took %s; the backend's Retry-After (175ms) was ignored for the own backoff", took)
	}
	if _, err := c.Get(context.Background(), registry.Provider, "aws"); err != nil {
		t.Errorf("after rate-limited read: %v", err)
	}
}

func TestIndexPrecedenceAndOwnerFailing(t *testing.T) {
	g := &fakeBackend{src: registry.SourceGitea, exts: []registry.Extension{ext(registry.SourceGitea, registry.Taskserv, "kubernetes", "from gitea")},
		versions: map[string][]registry.Version{"taskserv/kubernetes": {{Version: "2.0.0"}}}}
	o := indexFixture()
	c := newIndexedCatalog(t, IndexOptions{MaxStale: 100 * time.Millisecond}, g, o)
	ctx := context.Background()
	if e, _ := c.Get(ctx, registry.Taskserv, "kubernetes"); e.Source != registry.SourceGitea {
		t.Errorf("served from %s, want gitea", e.Source)
	}
	if l, _ := c.List(ctx, Filter{}); len(l) != 2 {
		t.Errorf("list = %d entries, want 2 (the OCI copy shadowed)", len(l))
	}
	g.err = registry.Errorf(registry.ErrUnavailable, "gitea down")
	_ = c.RefreshSource(ctx, registry.SourceGitea)
	time.Sleep(150 * time.Millisecond)
	if _, err := c.Get(ctx, registry.Taskserv, "kubernetes"); !errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("Get while the owner is past max_stale = %v, want ErrUnavailable (never the shadowed copy)", err)
	}
	l, err := c.List(ctx, Filter{})
	if err != nil || len(l) != 1 || l[0].Name != "aws" {
		t.Errorf("list with gitea expired = %+v, %v; want only aws", l, err)
	}
	if _, err := c.List(ctx, Filter{Source: registry.SourceGitea}); !errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("list ?source=gitea = %v, want ErrUnavailable", err)
	}
}
