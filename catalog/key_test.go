package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// TestExtensionNamedVersionsIsMetadata pins the typed cache keys: an
// extension named "versions" (or "list:x") is a metadata entry, not a
// versions or list entry, in the statistics and in the hit/miss metrics.
func TestExtensionNamedVersionsIsMetadata(t *testing.T) {
	f := &fakeBackend{src: registry.SourceOCI, exts: []registry.Extension{
		ext(registry.SourceOCI, registry.Taskserv, "versions", "named like a kind"),
		ext(registry.SourceOCI, registry.Provider, "list:x", "named like a list"),
	}}
	m := metrics.New(nil)
	c := New(Options{Backends: []registry.Backend{f}, Cache: NewCache(100, time.Minute, m), Metrics: m})
	ctx := context.Background()
	for range 2 {
		if _, err := c.Get(ctx, registry.Taskserv, "versions"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, registry.Provider, "list:x"); err != nil {
			t.Fatal(err)
		}
	}
	s := c.Stats()
	if s.MetadataEntries != 2 || s.VersionEntries != 0 || s.ListEntries != 0 || s.TotalEntries != 2 {
		t.Errorf("stats = %+v, want 2 metadata entries and nothing else", s)
	}
	if got := testutil.ToFloat64(m.CacheHits.WithLabelValues("metadata")); got != 2 {
		t.Errorf("metadata hits = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.CacheMisses.WithLabelValues("versions")) + testutil.ToFloat64(m.CacheHits.WithLabelValues("versions")); got != 0 {
		t.Errorf("versions look-ups = %v, want 0", got)
	}
}

func TestKeyString(t *testing.T) {
	for _, tc := range []struct {
		k    Key
		want string
	}{
		{Key{Kind: KindList}, "list::"},
		{Key{Kind: KindList, Type: registry.Provider, Source: registry.SourceOCI}, "list:provider:oci"},
		{Key{Kind: KindMetadata, Type: registry.Taskserv, Name: "versions"}, "taskserv/versions"},
		{Key{Kind: KindVersions, Type: registry.Taskserv, Name: "k3s"}, "taskserv/k3s/versions"},
	} {
		if got := tc.k.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.k, got, tc.want)
		}
	}
}
