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

// TestCache runs against a real registry behind a proxy that counts the
// registry's requests. Once the index has read the registry, every read
// is answered from memory: it costs the registry nothing, counts as a hit,
// and /cache/stats counts what the index holds per kind of the API's key
// scheme (one metadata and one versions entry per extension, one list
// entry per list answered).
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
	stats(1, 2, 2) // the index: the full list, both extensions and their versions

	m0 := s.scrape(t)
	p0 := px.requests.Load()
	var first, again map[string]any
	s.getJSON(t, "/api/v1/extensions/cluster/alpha", &first)
	s.getJSON(t, "/api/v1/extensions/cluster/alpha", &again)
	m1 := s.scrape(t)
	if d := m1.sum("cache_hits_total", kind("metadata")) - m0.sum("cache_hits_total", kind("metadata")); d != 2 {
		t.Errorf("two metadata requests: metadata hits +%v, want +2", d)
	}
	if d := m1.sum("cache_misses_total", kind("metadata")) - m0.sum("cache_misses_total", kind("metadata")); d != 0 {
		t.Errorf("metadata misses +%v, want 0", d)
	}
	if !reflect.DeepEqual(first, again) || first["name"] != "alpha" {
		t.Errorf("answers %v and %v", first, again)
	}

	// Versions, filtered lists, searches and unknown names: from memory.
	s.objects(t, "/api/v1/extensions/cluster/alpha/versions")
	s.objects(t, "/api/v1/extensions?type=cluster")
	s.objects(t, "/api/v1/extensions?source=oci")
	s.objects(t, "/api/v1/extensions/search?q=alpha&type=cluster")
	s.objects(t, "/api/v1/extensions/search?q=beta")
	for i := range 50 {
		if r := s.get(t, fmt.Sprintf("/api/v1/extensions/cluster/nope-%d", i)); r.status != http.StatusNotFound {
			t.Fatalf("unknown name: %d %s", r.status, r.body)
		}
		if r := s.get(t, fmt.Sprintf("/api/v1/extensions/taskserv/nope-%d/versions", i)); r.status != http.StatusNotFound {
			t.Fatalf("unknown versions: %d %s", r.status, r.body)
		}
	}
	if n := px.requests.Load(); n != p0 || backend(s.scrape(t)) != backend(m0) {
		t.Errorf("reads answered from the index made %d registry requests, want 0", n-p0)
	}
	stats(3, 2, 2) // + the lists of type=cluster and source=oci

	// A download resolves from the index; only the archive is fetched.
	if r := s.get(t, "/api/v1/extensions/cluster/alpha/1.0.0"); r.status != http.StatusOK {
		t.Errorf("download: %d %s", r.status, r.body)
	}

	t.Run("concurrent requests for one key make no backend call", func(t *testing.T) {
		const clients = 16
		p0 := px.requests.Load()
		bodies := make(chan []byte, clients)
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				resp, err := client.Get(s.URL + "/api/v1/extensions/cluster/beta")
				if err != nil {
					bodies <- []byte(err.Error())
					return
				}
				defer resp.Body.Close()
				var buf bytes.Buffer
				_, _ = buf.ReadFrom(resp.Body)
				bodies <- buf.Bytes()
			})
		}
		wg.Wait()
		close(bodies)
		var firstBody []byte
		for b := range bodies {
			if firstBody == nil {
				firstBody = b
			} else if !bytes.Equal(b, firstBody) {
				t.Errorf("clients got different answers: %s vs %s", b, firstBody)
			}
		}
		if n := px.requests.Load() - p0; n != 0 {
			t.Errorf("%d concurrent requests made %d registry requests, want 0", clients, n)
		}
	})
}

// TestPublishWhileServing publishes while the service runs, as a separate
// `extension-registry publish` does: the new version and the new extension
// are served once the index reads them: at once for the embedded store
// (its index.json files are watched), at the next index.interval for a
// registry (contract §8).
func TestPublishWhileServing(t *testing.T) {
	for _, fl := range flavours() {
		t.Run(fl.name, func(t *testing.T) {
			cfg := fl.config(t)
			within := 5 * time.Second // far below index.interval: the watch, not the timer
			if fl.name == "registry" {
				cfg.Index.Interval = 200 * time.Millisecond
			}
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
			deadline := time.Now().Add(within)
			for {
				exts, _ := s.objects(t, "/api/v1/extensions")
				if reflect.DeepEqual(names(exts), []string{"provider/aws@1.1.0", "taskserv/k3s@1.27.5"}) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the new version and extension not served %s after publishing: %v", within, names(exts))
				}
				time.Sleep(20 * time.Millisecond)
			}
			sum, size := fileSum(t, file)
			checkDownload(t, "the new version", s.get(t, "/api/v1/extensions/provider/aws/1.1.0"), "aws-1.1.0.tar.gz", sum, size)
		})
	}
}
