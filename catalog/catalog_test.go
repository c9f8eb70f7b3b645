package catalog

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// fakeBackend is an in-memory backend for the catalog's edge cases; the
// real backends have their own suites against real servers.
type fakeBackend struct {
	src      registry.Source
	exts     []registry.Extension
	versions map[string][]registry.Version
	err      error // returned by every call when set
	calls    atomic.Int32
	block    chan struct{} // when set, List waits on it
	onReturn func(error)   // when set, told how a blocked List ended
}

func (f *fakeBackend) Source() registry.Source { return f.src }

func (f *fakeBackend) List(ctx context.Context) ([]registry.Extension, error) {
	f.calls.Add(1)
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			if f.onReturn != nil {
				f.onReturn(ctx.Err())
			}
			return nil, ctx.Err()
		}
	}
	return f.exts, f.err
}

func (f *fakeBackend) Get(_ context.Context, typ registry.Type, name string) (registry.Extension, error) {
	f.calls.Add(1)
	if f.err != nil {
		return registry.Extension{}, f.err
	}
	for _, e := range f.exts {
		if e.Type == typ && e.Name == name {
			return e, nil
		}
	}
	return registry.Extension{}, registry.ErrNotFound
}

func (f *fakeBackend) Versions(_ context.Context, typ registry.Type, name string) ([]registry.Version, error) {
	f.calls.Add(1)
	vs, ok := f.versions[string(typ)+"/"+name]
	if !ok {
		return nil, registry.ErrNotFound
	}
	return vs, nil
}

func (f *fakeBackend) Open(_ context.Context, _ registry.Type, _ string, v registry.Version) (*registry.Archive, error) {
	return &registry.Archive{Body: io.NopCloser(strings.NewReader("archive of " + v.Ref)), Size: -1, FileName: "x.tar.gz"}, nil
}

func ext(src registry.Source, typ registry.Type, name, desc string) registry.Extension {
	return registry.Extension{Name: name, Type: typ, Version: "1.0.0", Description: desc, Source: src}
}

func newTestCatalog(backends ...registry.Backend) *Catalog {
	return New(Options{Backends: backends, Cache: NewCache(100, time.Minute, nil), Metrics: metrics.New(nil)})
}

func TestListPrecedenceAndFilters(t *testing.T) {
	gitea := &fakeBackend{src: registry.SourceGitea, exts: []registry.Extension{
		ext(registry.SourceGitea, registry.Provider, "aws", "from gitea"),
	}}
	oci := &fakeBackend{src: registry.SourceOCI, exts: []registry.Extension{
		ext(registry.SourceOCI, registry.Provider, "aws", "from oci"),
		ext(registry.SourceOCI, registry.Taskserv, "aws", "a taskserv of the same name"),
		ext(registry.SourceOCI, registry.Taskserv, "k3s", ""),
	}}
	c := newTestCatalog(gitea, oci)
	ctx := context.Background()

	tests := []struct {
		name string
		f    Filter
		want []string // key@source
	}{
		{"all, the shadowed oci copy left out", Filter{}, []string{"provider/aws@gitea", "taskserv/aws@oci", "taskserv/k3s@oci"}},
		{"type provider", Filter{Type: registry.Provider}, []string{"provider/aws@gitea"}},
		{"source oci does not show the shadowed copy", Filter{Source: registry.SourceOCI}, []string{"taskserv/aws@oci", "taskserv/k3s@oci"}},
		{"type and source", Filter{Type: registry.Provider, Source: registry.SourceOCI}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.List(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range got {
				keys = append(keys, e.Key()+"@"+string(e.Source))
			}
			if strings.Join(keys, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", keys, tt.want)
			}
		})
	}
	if n := gitea.calls.Load(); n != 1 {
		t.Errorf("gitea listed %d times for four lists, want 1 (filtered lists derive from the cached one)", n)
	}
	if got := c.Stats().ListEntries; got != 4 {
		t.Errorf("list entries = %d, want 4", got)
	}
}

func TestListPartialFailureIsServedButNotCached(t *testing.T) {
	gitea := &fakeBackend{src: registry.SourceGitea, err: registry.ErrUnavailable}
	oci := &fakeBackend{src: registry.SourceOCI, exts: []registry.Extension{ext(registry.SourceOCI, registry.Taskserv, "k3s", "")}}
	c := newTestCatalog(gitea, oci)
	for i := range 2 {
		got, err := c.List(context.Background(), Filter{})
		if err != nil || len(got) != 1 {
			t.Fatalf("call %d: got %v, %v; want the oci extension", i, got, err)
		}
	}
	if n := oci.calls.Load(); n != 2 {
		t.Errorf("oci listed %d times, want 2: a partial answer must not be cached", n)
	}
	if s := c.Stats(); s.TotalEntries != 0 {
		t.Errorf("cache holds %+v after partial answers", s)
	}

	oci.err = registry.ErrTimeout
	_, err := c.List(context.Background(), Filter{})
	if !errors.Is(err, registry.ErrUnavailable) || !errors.Is(err, registry.ErrTimeout) {
		t.Errorf("all backends failing: err = %v, want both causes", err)
	}
}

func TestConcurrentMissesMakeOneBackendCall(t *testing.T) {
	b := &fakeBackend{src: registry.SourceOCI, block: make(chan struct{}),
		exts: []registry.Extension{ext(registry.SourceOCI, registry.Cluster, "buildkit", "")}}
	c := newTestCatalog(b)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			got, err := c.List(context.Background(), Filter{})
			if err == nil && len(got) != 1 {
				err = errors.New("wrong list")
			}
			errs <- err
		})
	}
	// Let the callers pile up on the one call, then release it.
	for b.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(b.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := b.calls.Load(); n != 1 {
		t.Errorf("backend listed %d times for 20 concurrent misses, want 1", n)
	}
}

// TestWaiterLeaving checks that a caller leaving a shared call does not
// cancel it while another caller still waits for it, and that the last
// caller leaving cancels it: no backend call outlives every request that
// asked for it.
func TestWaiterLeaving(t *testing.T) {
	b := &fakeBackend{src: registry.SourceOCI, block: make(chan struct{}),
		exts: []registry.Extension{ext(registry.SourceOCI, registry.Cluster, "buildkit", "")}}
	c := newTestCatalog(b)
	list := func(ctx context.Context) chan error {
		done := make(chan error, 1)
		go func() { _, err := c.List(ctx, Filter{}); done <- err }()
		return done
	}
	first, cancelFirst := context.WithCancel(context.Background())
	second, cancelSecond := context.WithCancel(context.Background())
	defer cancelSecond()
	done1 := list(first)
	for b.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	done2 := list(second)
	// Wait until the second caller is counted on the call.
	for {
		c.cache.mu.Lock()
		n := 0
		if w := c.cache.waiters[Key{Kind: KindList}]; w != nil {
			n = w.n
		}
		c.cache.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancelFirst()
	if err := <-done1; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller got %v", err)
	}
	close(b.block)
	if err := <-done2; err != nil {
		t.Fatalf("the caller still waiting got %v: the shared call was cancelled", err)
	}
	if got, err := c.List(context.Background(), Filter{}); err != nil || len(got) != 1 || b.calls.Load() != 1 {
		t.Fatalf("after the call: %v, %v, %d backend calls", got, err, b.calls.Load())
	}

	// The last caller leaving cancels the backend call, and nothing is cached.
	b2 := &fakeBackend{src: registry.SourceOCI, block: make(chan struct{})}
	c2 := newTestCatalog(b2)
	ctx, cancel := context.WithCancel(context.Background())
	backendDone := make(chan error, 1)
	b2.onReturn = func(err error) { backendDone <- err }
	done := make(chan error, 1)
	go func() { _, err := c2.List(ctx, Filter{}); done <- err }()
	for b2.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller got %v", err)
	}
	select {
	case err := <-backendDone:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("backend call ended with %v, want canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the backend call outlived its only caller")
	}
}

func TestGetVersionsOpen(t *testing.T) {
	gitea := &fakeBackend{src: registry.SourceGitea}
	oci := &fakeBackend{src: registry.SourceOCI,
		exts: []registry.Extension{ext(registry.SourceOCI, registry.Taskserv, "kubernetes", "")},
		versions: map[string][]registry.Version{"taskserv/kubernetes": {
			{Version: "1.28.0", Ref: "v1.28.0"}, {Version: "1.27.5", Ref: "1.27.5"},
		}},
	}
	c := newTestCatalog(gitea, oci)
	ctx := context.Background()

	e, err := c.Get(ctx, registry.Taskserv, "kubernetes")
	if err != nil || e.Source != registry.SourceOCI {
		t.Fatalf("Get = %+v, %v", e, err)
	}
	_, err = c.Get(ctx, registry.Provider, "nonexistent")
	if !errors.Is(err, registry.ErrNotFound) || registry.PublicMessage(err) != "Extension provider/nonexistent not found" {
		t.Errorf("missing extension: %v (message %q)", err, registry.PublicMessage(err))
	}

	tests := []struct {
		version, wantRef, wantMsg string
		wantKind                  error
	}{
		{version: "1.28.0", wantRef: "v1.28.0"},
		{version: "v1.27.5", wantRef: "1.27.5"},
		{version: "1.2.0", wantKind: registry.ErrNotFound, wantMsg: "Extension taskserv/kubernetes version 1.2.0 not found"},
		{version: "latest", wantKind: registry.ErrInvalidVersion},
	}
	for _, tt := range tests {
		t.Run("open "+tt.version, func(t *testing.T) {
			a, err := c.Open(ctx, registry.Taskserv, "kubernetes", tt.version)
			if tt.wantKind != nil {
				if !errors.Is(err, tt.wantKind) {
					t.Fatalf("err = %v, want %v", err, tt.wantKind)
				}
				if tt.wantMsg != "" && registry.PublicMessage(err) != tt.wantMsg {
					t.Errorf("message %q, want %q", registry.PublicMessage(err), tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer a.Body.Close()
			b, _ := io.ReadAll(a.Body)
			if string(b) != "archive of "+tt.wantRef {
				t.Errorf("opened %q, want the archive of %s", b, tt.wantRef)
			}
		})
	}
	_, err = c.Open(ctx, registry.Provider, "nonexistent", "1.0.0")
	if registry.PublicMessage(err) != "Extension provider/nonexistent version 1.0.0 not found" {
		t.Errorf("download of a missing extension: %q", registry.PublicMessage(err))
	}
	if s := c.Stats(); s.MetadataEntries != 1 || s.VersionEntries != 1 {
		t.Errorf("stats %+v, want 1 metadata and 1 versions entry", s)
	}
}

func TestGetFallsBackWhenHigherSourceFails(t *testing.T) {
	gitea := &fakeBackend{src: registry.SourceGitea, err: registry.ErrUnavailable}
	oci := &fakeBackend{src: registry.SourceOCI, exts: []registry.Extension{ext(registry.SourceOCI, registry.Taskserv, "k3s", "")}}
	c := newTestCatalog(gitea, oci)
	e, err := c.Get(context.Background(), registry.Taskserv, "k3s")
	if err != nil || e.Source != registry.SourceOCI {
		t.Fatalf("Get = %+v, %v; want the oci copy", e, err)
	}
	if c.Stats().MetadataEntries != 0 {
		t.Error("an answer given while a higher source failed was cached")
	}
	_, err = c.Get(context.Background(), registry.Taskserv, "missing")
	if !errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("missing everywhere while gitea fails: %v, want unavailable rather than not found", err)
	}
}

func TestSearchRanking(t *testing.T) {
	oci := &fakeBackend{src: registry.SourceOCI, exts: []registry.Extension{
		ext(registry.SourceOCI, registry.Taskserv, "k3s", "Lightweight Kubernetes distribution"),
		ext(registry.SourceOCI, registry.Taskserv, "kubernetes", "Kubernetes container orchestration platform"),
		ext(registry.SourceOCI, registry.Taskserv, "kubernetes-dashboard", "Web UI"),
		{Name: "cilium", Type: registry.Taskserv, Source: registry.SourceOCI, Tags: []string{"Kubernetes-CNI"}},
		ext(registry.SourceOCI, registry.Provider, "aws", "Amazon"),
	}}
	c := newTestCatalog(oci)
	got, err := c.Search(context.Background(), "KUBERNETES", "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.Name)
	}
	want := "kubernetes,kubernetes-dashboard,cilium,k3s"
	if strings.Join(names, ",") != want {
		t.Errorf("search order %v, want %s", names, want)
	}
	got, _ = c.Search(context.Background(), "amazon", registry.Taskserv)
	if len(got) != 0 {
		t.Errorf("type filter ignored: %v", got)
	}
}

func TestCacheExpires(t *testing.T) {
	b := &fakeBackend{src: registry.SourceOCI, exts: []registry.Extension{ext(registry.SourceOCI, registry.Cluster, "buildkit", "")}}
	c := New(Options{Backends: []registry.Backend{b}, Cache: NewCache(10, 50*time.Millisecond, nil)})
	ctx := context.Background()
	if _, err := c.List(ctx, Filter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(ctx, Filter{}); err != nil {
		t.Fatal(err)
	}
	if n := b.calls.Load(); n != 1 {
		t.Fatalf("%d calls before expiry, want 1", n)
	}
	time.Sleep(120 * time.Millisecond)
	if _, err := c.List(ctx, Filter{}); err != nil {
		t.Fatal(err)
	}
	if n := b.calls.Load(); n != 2 {
		t.Errorf("%d calls after the TTL, want 2", n)
	}
}

func TestCacheCapacityEvictsLeastRecentlyUsed(t *testing.T) {
	b := &fakeBackend{src: registry.SourceOCI, exts: []registry.Extension{
		ext(registry.SourceOCI, registry.Cluster, "a", ""), ext(registry.SourceOCI, registry.Cluster, "b", ""), ext(registry.SourceOCI, registry.Cluster, "c", ""),
	}}
	c := New(Options{Backends: []registry.Backend{b}, Cache: NewCache(2, time.Minute, nil)})
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c"} {
		if _, err := c.Get(ctx, registry.Cluster, n); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.Stats(); s.TotalEntries != 2 {
		t.Errorf("stats %+v, want capacity 2 respected", s)
	}
	before := b.calls.Load()
	_, _ = c.Get(ctx, registry.Cluster, "a")
	if b.calls.Load() != before+1 {
		t.Error("the least recently used entry was not evicted")
	}
}

// TestShadowedCopyNotServedWhileOwnerFails checks contract §4 under a
// fault: once the higher source is known to serve an extension, its
// failure makes the extension unavailable rather than served from the
// lower source's shadowed copy; extensions only the lower source holds are
// still served.
func TestShadowedCopyNotServedWhileOwnerFails(t *testing.T) {
	gitea := &fakeBackend{src: registry.SourceGitea, exts: []registry.Extension{
		ext(registry.SourceGitea, registry.Provider, "aws", "from gitea"),
	}}
	oci := &fakeBackend{src: registry.SourceOCI, exts: []registry.Extension{
		ext(registry.SourceOCI, registry.Provider, "aws", "shadowed"),
		ext(registry.SourceOCI, registry.Cluster, "buildkit", "only in oci"),
	}}
	c := New(Options{Backends: []registry.Backend{gitea, oci}, Metrics: metrics.New(nil)}) // no cache: every call asks
	ctx := context.Background()
	if got, err := c.List(ctx, Filter{}); err != nil || len(got) != 2 {
		t.Fatalf("List = %v, %v", got, err)
	}
	gitea.err = registry.Errorf(registry.ErrUnavailable, "Gitea is down")

	got, err := c.List(ctx, Filter{})
	if err != nil || len(got) != 1 || got[0].Name != "buildkit" {
		t.Errorf("List while gitea fails = %v, %v; want buildkit only", got, err)
	}
	if e, err := c.Get(ctx, registry.Provider, "aws"); !errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("Get aws while gitea fails = %+v, %v; want gitea's failure", e, err)
	}
	if e, err := c.Get(ctx, registry.Cluster, "buildkit"); err != nil || e.Source != registry.SourceOCI {
		t.Errorf("Get buildkit while gitea fails = %+v, %v", e, err)
	}
	if _, err := c.Open(ctx, registry.Provider, "aws", "1.0.0"); !errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("Open aws while gitea fails: %v; want gitea's failure", err)
	}
}

// TestBreaker checks that a backend that timed out is not asked again
// during the cooldown (calls fail fast with a timeout naming the source),
// that a backend answering with another error is asked every time, and
// that a successful health probe closes the breaker.
func TestBreaker(t *testing.T) {
	old := BreakerCooldown
	BreakerCooldown = time.Hour
	t.Cleanup(func() { BreakerCooldown = old })

	b := &fakeBackend{src: registry.SourceOCI, err: registry.Errorf(registry.ErrTimeout, "the registry did not answer in time")}
	c := New(Options{Backends: []registry.Backend{b}, Metrics: metrics.New(nil)})
	ctx := context.Background()
	for range 3 {
		_, err := c.Get(ctx, registry.Cluster, "buildkit")
		if !errors.Is(err, registry.ErrTimeout) {
			t.Fatalf("Get: %v, want a timeout", err)
		}
	}
	if n := b.calls.Load(); n != 1 {
		t.Errorf("backend asked %d times in the cooldown, want 1", n)
	}
	if msg := registry.PublicMessage(mustErr(c.Get(ctx, registry.Cluster, "buildkit"))); !strings.Contains(msg, "oci") {
		t.Errorf("fast failure %q does not name the source", msg)
	}

	// A probe that succeeds closes it.
	b.err = nil
	b.exts = []registry.Extension{ext(registry.SourceOCI, registry.Cluster, "buildkit", "")}
	if h := c.Health(ctx)[registry.SourceOCI]; !h.Healthy {
		t.Fatalf("health = %+v", h)
	}
	if _, err := c.Get(ctx, registry.Cluster, "buildkit"); err != nil {
		t.Errorf("after a good probe: %v", err)
	}

	// Other failures never open it.
	other := &fakeBackend{src: registry.SourceOCI, err: registry.Errorf(registry.ErrUnavailable, "503")}
	c = New(Options{Backends: []registry.Backend{other}, Metrics: metrics.New(nil)})
	for range 3 {
		_, _ = c.Get(ctx, registry.Cluster, "buildkit")
	}
	if n := other.calls.Load(); n != 3 {
		t.Errorf("backend answering 503 asked %d times, want 3", n)
	}
}

func mustErr[T any](_ T, err error) error { return err }
