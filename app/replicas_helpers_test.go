package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/secret"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
	"github.com/provisioning-platform/extension-registry/redisindex"
)

// replica is one registry process of a test: an App on a loopback port,
// running until stop (or the test's end).
type replica struct {
	base string
	app  *App
	logs *testserver.LogBuffer
	stop func()
}

// replicaConfig is the configuration of one replica over the registry at
// registryHost and the Redis at redisURL: the OCI source only, one public
// URL for every replica (they stand behind one Service), the index read
// every interval.
func replicaConfig(t *testing.T, registryHost, redisURL string, interval time.Duration) config.Config {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Sources = []string{"oci"}
	cfg.OCI.Registry, cfg.OCI.Insecure = registryHost, true
	cfg.PublicURL = "http://registry.example"
	cfg.Index.Interval = interval
	cfg.Redis.URL = secret.New(redisURL)
	return cfg
}

// startReplica runs the registry of cfg; stop cancels it and waits for it
// to return. On failure the test shows the replica's warnings.
func startReplica(t *testing.T, cfg config.Config) *replica {
	t.Helper()
	logs := &testserver.LogBuffer{}
	a, err := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	r := &replica{base: "http://" + a.Addr(), app: a, logs: logs}
	r.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("replica %s log:\n%s", r.base, logs.String())
		}
	})
	return r
}

// waitReady waits until every replica answers /readyz with 200.
func waitReady(t *testing.T, rs ...*replica) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range rs {
		for {
			resp, err := http.Get(r.base + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s not ready within 30s", r.base)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// served is one answer as a client sees it.
type served struct {
	status int
	etag   string
	body   string
}

func serve(t *testing.T, base, path string) served {
	t.Helper()
	resp, body := httpGet(t, base+path)
	return served{resp.StatusCode, resp.Header.Get("ETag"), string(body)}
}

// replicaPaths are the answers compared between replicas: the API's
// list, search, metadata and versions, and the pages.
var replicaPaths = []string{
	"/api/v1/extensions",
	"/api/v1/extensions?type=provider",
	"/api/v1/extensions/search?q=a",
	"/api/v1/extensions/provider/aws",
	"/api/v1/extensions/provider/aws/versions",
	"/api/v1/extensions/taskserv/kubernetes/versions",
	"/",
	"/extensions/provider/aws",
}

// sameAnswers fails the test unless, within 2 s (contract §11: replicas
// agree within 2 s of a change), every replica serves every path with the
// same status, ETag and body as the first.
func sameAnswers(t *testing.T, rs ...*replica) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !agree(rs) {
		if time.Now().After(deadline) {
			compareAnswers(t, rs...)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// agree reports whether every replica serves every path alike.
func agree(rs []*replica) bool {
	for _, p := range replicaPaths {
		want, err := fetchServed(rs[0].base + p)
		if err != nil || want.status != http.StatusOK {
			return false
		}
		for _, r := range rs[1:] {
			if got, err := fetchServed(r.base + p); err != nil || got != want {
				return false
			}
		}
	}
	return true
}

func fetchServed(url string) (served, error) {
	resp, err := http.Get(url)
	if err != nil {
		return served{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return served{resp.StatusCode, resp.Header.Get("ETag"), string(body)}, err
}

// compareAnswers reports every path a replica answers unlike the first.
func compareAnswers(t *testing.T, rs ...*replica) {
	t.Helper()
	for _, p := range replicaPaths {
		want := serve(t, rs[0].base, p)
		if want.status != http.StatusOK || want.etag == "" {
			t.Errorf("%s on %s: %d etag %q", p, rs[0].base, want.status, want.etag)
		}
		for _, r := range rs[1:] {
			if got := serve(t, r.base, p); got != want {
				t.Errorf("%s: replica %s answers %d %s (%d bytes), replica %s %d %s (%d bytes); first difference: %q | %q",
					p, rs[0].base, want.status, want.etag, len(want.body), r.base, got.status, got.etag, len(got.body),
					firstDifference(want.body, got.body), firstDifference(got.body, want.body))
			}
		}
	}
}

// publisher publishes archives straight to the registry (not through the
// proxies the replicas read through).
func publisher(t *testing.T, registryHost string) func(typ registry.Type, name, version string) {
	cfg := config.Default()
	cfg.OCI.Registry, cfg.OCI.Insecure = registryHost, true
	b, err := NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return func(typ registry.Type, name, version string) {
		t.Helper()
		path, _ := randomArchive(t, dir, name+"_"+string(typ)+".tar.gz")
		if _, err := b.Publish(t.Context(), oci.Artifact{Path: path, Type: typ, Name: name, Version: version}); err != nil {
			t.Fatal(err)
		}
	}
}

// hasVersion reports whether the replica at base lists version of
// provider/name.
func hasVersion(t *testing.T, base, name, version string) bool {
	t.Helper()
	resp, body := httpGet(t, base+"/api/v1/extensions/provider/"+name+"/versions")
	if resp.StatusCode != http.StatusOK {
		return false
	}
	var vs []struct{ Version string }
	_ = json.Unmarshal(body, &vs)
	for _, v := range vs {
		if v.Version == version {
			return true
		}
	}
	return false
}

// inspector reads the shared index the way an operator would, through a
// Store of its own.
func inspector(t *testing.T, redisURL string) *redisindex.Store {
	st, err := redisindex.New(redisindex.Options{URL: redisURL, ID: "inspector"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func stored(t *testing.T, st *redisindex.Store) *catalog.Stored {
	t.Helper()
	s, err := st.Fetch(t.Context(), registry.SourceOCI, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gateProxy is a reverse proxy to a registry that holds every request
// while it is closed, like a registry that hangs.
type gateProxy struct {
	host string
	mu   sync.Mutex
	open chan struct{} // closed while the gate is open
}

func startGateProxy(t *testing.T, target string) *gateProxy {
	g := &gateProxy{open: make(chan struct{})}
	close(g.open)
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		open := g.open
		g.mu.Unlock()
		select {
		case <-open:
		case <-r.Context().Done():
			return
		}
		rp.ServeHTTP(w, r)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.host = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { g.Open(); _ = srv.Close() })
	return g
}

// Close makes new requests wait; Open lets them and the waiting ones through.
func (g *gateProxy) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
		g.open = make(chan struct{})
	default:
	}
}

func (g *gateProxy) Open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

// healthOf returns the /health status and the redis component's health.
func healthOf(t *testing.T, base string) (status string, redisHealthy bool, redisError string) {
	t.Helper()
	_, body := httpGet(t, base+"/api/v1/health")
	var h struct {
		Status     string
		Components map[string]struct {
			Healthy bool
			Error   string
		}
	}
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("health: %v: %s", err, body)
	}
	c, ok := h.Components["redis"]
	if !ok {
		t.Fatalf("health has no redis component: %s", body)
	}
	return h.Status, c.Healthy, c.Error
}

// waitFor polls cond every 20ms until it holds or within passes; it
// returns how long that took and whether it held.
func waitFor(within time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > within {
			return time.Since(start), false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// firstDifference returns a from a little before where it first differs
// from b, at most 160 bytes.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	start := max(i-40, 0)
	return a[start:min(start+160, len(a))]
}
