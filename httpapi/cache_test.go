package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// TestCache runs against a real registry behind a proxy that counts (and
// can hold) the registry's requests: a repeated request is a cache hit that
// costs the registry nothing, /cache/stats counts the entries per kind of
// the API's key scheme, and concurrent misses for one key make one backend
// call.
func TestCache(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	px := startProxy(t, reg.Host, false)
	cfg := registryConfig(t, reg.Host)
	pub := publisher(t, cfg) // publishes straight to the registry
	dir := t.TempDir()
	for _, name := range []string{"alpha", "beta"} {
		mustPublish(t, pub, oci.Artifact{
			Path: mustTarGz(t, dir, name+".tar.gz", map[string]string{"name": name}),
			Type: registry.Cluster, Name: name, Version: "1.0.0", Description: "cluster " + name, Created: at("2025-01-01T00:00:00Z"),
		})
	}
	cfg.OCI.Registry = px.host // the service goes through the proxy
	s := startServer(t, cfg)
	s.waitWarm(t)

	stats := func(list, metadata, versions int) {
		t.Helper()
		want := map[string]float64{
			"list_entries": float64(list), "metadata_entries": float64(metadata),
			"version_entries": float64(versions), "total_entries": float64(list + metadata + versions),
		}
		if got := s.cacheStats(t); !reflect.DeepEqual(got, want) {
			t.Errorf("cache stats %v, want %v", got, want)
		}
	}
	backend := func(m metrics) float64 { return m.sum("backend_requests_total", map[string]string{"backend": "oci"}) }
	kind := func(k string) map[string]string { return map[string]string{"kind": k} }
	stats(1, 0, 0) // the initial listing

	// A miss costs the registry requests; the same request again is a hit
	// that costs it nothing.
	m0 := s.scrape(t)
	p0 := px.requests.Load()
	var first, again map[string]any
	s.getJSON(t, "/api/v1/extensions/cluster/alpha", &first)
	m1 := s.scrape(t)
	p1 := px.requests.Load()
	s.getJSON(t, "/api/v1/extensions/cluster/alpha", &again)
	m2 := s.scrape(t)
	missCost := backend(m1) - backend(m0)
	if missCost <= 0 || float64(p1-p0) != missCost {
		t.Fatalf("a miss made %v backend requests by the metrics, %d by the proxy: want the same, more than 0", missCost, p1-p0)
	}
	if d := m1.sum("cache_misses_total", kind("metadata")) - m0.sum("cache_misses_total", kind("metadata")); d != 1 {
		t.Errorf("first request: metadata misses +%v, want +1", d)
	}
	if d := m2.sum("cache_hits_total", kind("metadata")) - m1.sum("cache_hits_total", kind("metadata")); d != 1 {
		t.Errorf("second request: metadata hits +%v, want +1", d)
	}
	if backend(m2) != backend(m1) || px.requests.Load() != p1 {
		t.Errorf("a cache hit asked the registry: %v → %v requests", backend(m1), backend(m2))
	}
	if !reflect.DeepEqual(first, again) {
		t.Errorf("the cached answer %v differs from the first %v", again, first)
	}
	stats(1, 1, 0)

	// Versions, filtered lists and searches fill their own entries;
	// filtered lists derive from the cached listing without asking the
	// registry.
	s.objects(t, "/api/v1/extensions/cluster/alpha/versions")
	stats(1, 1, 1)
	before := px.requests.Load()
	s.objects(t, "/api/v1/extensions?type=cluster")
	s.objects(t, "/api/v1/extensions?source=oci")
	s.objects(t, "/api/v1/extensions/search?q=alpha&type=cluster")
	s.objects(t, "/api/v1/extensions/search?q=beta")
	if n := px.requests.Load(); n != before {
		t.Errorf("filtered lists and searches made %d registry requests, want 0 (derived from the cached listing)", n-before)
	}
	stats(3, 1, 1)
	m3 := s.scrape(t)
	s.objects(t, "/api/v1/extensions/cluster/alpha/versions")
	if d := s.scrape(t).sum("cache_hits_total", kind("versions")) - m3.sum("cache_hits_total", kind("versions")); d != 1 {
		t.Errorf("versions again: versions hits +%v, want +1", d)
	}
	// A download is never cached; it resolves through the cached entries.
	if r := s.get(t, "/api/v1/extensions/cluster/alpha/1.0.0"); r.status != http.StatusOK {
		t.Errorf("download: %d %s", r.status, r.body)
	}
	stats(3, 1, 1)

	t.Run("concurrent misses for one key make one backend call", func(t *testing.T) {
		const clients = 16
		m0 := s.scrape(t)
		p0 := px.requests.Load()
		px.hold()
		type answer struct {
			status int
			body   []byte
		}
		answers := make(chan answer, clients)
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				resp, err := client.Get(s.URL + "/api/v1/extensions/cluster/beta")
				if err != nil {
					answers <- answer{status: -1, body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				var buf bytes.Buffer
				_, _ = buf.ReadFrom(resp.Body)
				answers <- answer{resp.StatusCode, buf.Bytes()}
			})
		}
		// Every client has missed the cache while the registry is held:
		// none can have been served from it.
		waitFor(t, fmt.Sprintf("%d metadata misses", clients), func() bool {
			return s.scrape(t).sum("cache_misses_total", kind("metadata"))-m0.sum("cache_misses_total", kind("metadata")) == clients
		})
		px.release()
		wg.Wait()
		close(answers)
		var firstBody []byte
		for a := range answers {
			if a.status != http.StatusOK {
				t.Errorf("client: %d %s", a.status, a.body)
				continue
			}
			if firstBody == nil {
				firstBody = a.body
			} else if !bytes.Equal(a.body, firstBody) {
				t.Errorf("clients got different answers: %s vs %s", a.body, firstBody)
			}
		}
		m1 := s.scrape(t)
		if got := backend(m1) - backend(m0); got != missCost || float64(px.requests.Load()-p0) != missCost {
			t.Errorf("%d concurrent misses made %v backend requests (proxy: %d), want %v: the cost of one miss",
				clients, got, px.requests.Load()-p0, missCost)
		}
		stats(3, 2, 1)
	})
}

// TestPublishWhileServing publishes while the service runs, as a separate
// `extension-registry publish` does: the new version and the new extension
// are served once the cached entries expire (contract §3: publish writes
// into the store, serve reads from it).
func TestPublishWhileServing(t *testing.T) {
	for _, fl := range flavours() {
		t.Run(fl.name, func(t *testing.T) {
			cfg := fl.config(t)
			cfg.Cache.TTL = 100 * time.Millisecond
			dir := t.TempDir()
			mustPublish(t, publisher(t, cfg), oci.Artifact{
				Path: mustTarGz(t, dir, "aws-1.0.0.tar.gz", map[string]string{"v": "1.0.0"}), Type: registry.Provider, Name: "aws", Version: "1.0.0",
			})
			s := startServer(t, cfg)
			if vs, _ := s.objects(t, "/api/v1/extensions/provider/aws/versions"); len(vs) != 1 {
				t.Fatalf("versions %v", vs)
			}

			later := publisher(t, cfg) // another process's backend over the same store
			file := mustTarGz(t, dir, "aws-1.1.0.tar.gz", map[string]string{"v": "1.1.0"})
			mustPublish(t, later, oci.Artifact{Path: file, Type: registry.Provider, Name: "aws", Version: "1.1.0"})
			mustPublish(t, later, oci.Artifact{Path: file, Type: registry.Taskserv, Name: "k3s", Version: "1.27.5"})
			waitFor(t, "the new version and extension", func() bool {
				exts, _ := s.objects(t, "/api/v1/extensions")
				return reflect.DeepEqual(names(exts), []string{"provider/aws@1.1.0", "taskserv/k3s@1.27.5"})
			})
			sum, size := fileSum(t, file)
			checkDownload(t, "the new version", s.get(t, "/api/v1/extensions/provider/aws/1.1.0"), "aws-1.1.0.tar.gz", sum, size)
		})
	}
}
