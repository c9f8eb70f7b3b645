package catalog

import (
	"context"
	"fmt"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// benchCatalog is a catalog over two backends holding n extensions each,
// half of them the same (type, name) in both, with its list cached.
func benchCatalog(b *testing.B, n int) *Catalog {
	b.Helper()
	mk := func(src registry.Source, offset int) *fakeBackend {
		f := &fakeBackend{src: src}
		for i := range n {
			typ := registry.Types[i%len(registry.Types)]
			f.exts = append(f.exts, ext(src, typ, fmt.Sprintf("ext-%d", i+offset), fmt.Sprintf("extension number %d for cloud %d", i, i%7)))
		}
		return f
	}
	c := newTestCatalog(mk(registry.SourceGitea, 0), mk(registry.SourceOCI, n/2))
	if _, err := c.List(context.Background(), Filter{}); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkListCached measures a filtered list served from the cache, the
// hot path of GET /api/v1/extensions?type=.
func BenchmarkListCached(b *testing.B) {
	c := benchCatalog(b, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.List(ctx, Filter{Type: registry.Taskserv}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearch measures ranking a query over the cached list.
func BenchmarkSearch(b *testing.B) {
	c := benchCatalog(b, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Search(ctx, "cloud 3", ""); err != nil {
			b.Fatal(err)
		}
	}
}
