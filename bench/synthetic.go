package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/httpapi"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// synthetic is an in-process backend of n generated extensions with three
// versions each, read in one pass (registry.Indexer).
type synthetic struct{ n int }

func (s synthetic) Source() registry.Source { return registry.SourceOCI }

func (s synthetic) ext(i int) registry.Extension {
	typ := registry.Types[i%3]
	name := fmt.Sprintf("synthetic-%06d", i)
	return registry.Extension{
		Name: name, Type: typ, Version: "1.2.0", Source: registry.SourceOCI,
		Description: fmt.Sprintf("Synthetic %s number %d for cloud region %d", typ, i, i%97),
		Author:      "bench", PublishedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		Checksum: fmt.Sprintf("sha256:%064x", i), Size: 1000 + int64(i), Tags: []string{"bench", fmt.Sprintf("zone-%d", i%13)},
	}
}

func (s synthetic) ListVersions(context.Context) ([]registry.ExtensionVersions, error) {
	out := make([]registry.ExtensionVersions, s.n)
	for i := range out {
		e := s.ext(i)
		vs := make([]registry.Version, 3)
		for j, v := range []string{"1.2.0", "1.1.0", "1.0.0"} {
			vs[j] = registry.Version{Version: v, Ref: v, PublishedAt: e.PublishedAt, Checksum: fmt.Sprintf("sha256:%063x%d", i, j), Size: e.Size}
		}
		out[i] = registry.ExtensionVersions{Extension: e, Versions: vs}
	}
	return out, nil
}

func (s synthetic) List(ctx context.Context) ([]registry.Extension, error) {
	return nil, registry.Errorf(registry.ErrUnavailable, "synthetic: use ListVersions")
}
func (s synthetic) Get(context.Context, registry.Type, string) (registry.Extension, error) {
	return registry.Extension{}, registry.ErrNotFound
}
func (s synthetic) Versions(context.Context, registry.Type, string) ([]registry.Version, error) {
	return nil, registry.ErrNotFound
}
func (s synthetic) Open(context.Context, registry.Type, string, registry.Version) (*registry.Archive, error) {
	return nil, registry.ErrNotFound
}

// syntheticResult is figure (f).
type syntheticResult struct {
	Extensions    int        `json:"extensions"`
	BuildSeconds  float64    `json:"index_build_seconds"`
	HeapMiB       float64    `json:"heap_in_use_mib"`
	RSSMiB        float64    `json:"process_rss_mib"`
	SearchP50ms   float64    `json:"search_p50_ms"`
	SearchP99ms   float64    `json:"search_p99_ms"`
	SearchQueries int        `json:"search_queries"`
	List          loadResult `json:"list_limit_100"`
}

// runSynthetic builds the index of n synthetic extensions in this process
// and measures it: build time, memory, search latency through the
// catalog, and list throughput through the v1 API (served in this process,
// so the load generator shares its CPU).
func runSynthetic(n int, loadFor time.Duration) (syntheticResult, error) {
	res := syntheticResult{Extensions: n}
	runtime.GC()
	c := catalog.New(catalog.Options{Backends: []registry.Backend{synthetic{n}}, Index: &catalog.IndexOptions{Interval: time.Hour}})
	start := time.Now()
	if err := c.RefreshSource(context.Background(), registry.SourceOCI); err != nil {
		return res, err
	}
	if _, err := c.List(context.Background(), catalog.Filter{}); err != nil {
		return res, err
	}
	res.BuildSeconds = time.Since(start).Seconds()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapMiB = float64(ms.HeapInuse) / (1 << 20)
	res.RSSMiB = float64(procStatus(os.Getpid(), "VmRSS")) / (1 << 20)

	queries := []string{"synthetic-000042", "synthetic-0999", "zone-7", "region 42", "taskserv number 5", "nothing-matches", "cloud", "synthetic-05"}
	var lat []time.Duration
	for i := range 200 {
		q := queries[i%len(queries)]
		t0 := time.Now()
		// What GET /search?q= asks: the default page and the total.
		if _, _, err := c.SearchLimit(context.Background(), q, "", 50); err != nil {
			return res, err
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.SearchP50ms, res.SearchP99ms, res.SearchQueries = pct(lat, 0.5), pct(lat, 0.99), len(lat)

	api := httpapi.New(httpapi.Options{Catalog: c, Metrics: metrics.New(nil), Logger: nil})
	srv := httptest.NewServer(apiHandler(api))
	defer srv.Close()
	if b, err := fetch(srv.URL + "/api/v1/extensions?limit=100"); err != nil || !strings.Contains(string(b), "synthetic-") {
		return res, fmt.Errorf("list at %d: %v", n, err)
	}
	res.List = runLoad(srv.URL+"/api/v1/extensions?limit=100", 64, loadFor)
	return res, nil
}

func apiHandler(api *httpapi.API) http.Handler {
	mux := http.NewServeMux()
	api.Register(mux)
	return mux
}
