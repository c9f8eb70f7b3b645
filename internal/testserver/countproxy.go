package testserver

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// CountingProxy is a reverse proxy on a loopback port in front of a
// registry's /v2/ API that counts the requests passing through it by kind,
// so that tests can assert what a client cost the real registry.
type CountingProxy struct {
	// Host is the proxy's 127.0.0.1:port, plain HTTP.
	Host string

	mu          sync.Mutex
	counts      map[string]int
	inFlight    int
	maxInFlight int
}

// The kinds CountingProxy counts.
const (
	KindCatalog      = "catalog"       // GET /v2/_catalog
	KindTags         = "tags"          // GET /v2/{name}/tags/list
	KindManifestGet  = "manifest GET"  // GET /v2/{name}/manifests/{ref}
	KindManifestHead = "manifest HEAD" // HEAD /v2/{name}/manifests/{ref}
	KindBlob         = "blob"          // any /v2/{name}/blobs/ request
	KindOther        = "other"
)

// StartCountingProxy starts a proxy to the registry at host (host:port,
// plain HTTP) that stops when the test ends.
func StartCountingProxy(tb testing.TB, host string) *CountingProxy {
	tb.Helper()
	target := &url.URL{Scheme: "http", Host: host}
	p := &CountingProxy{counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p.Host = l.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.count(r)
		defer p.done()
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return p
}

func (p *CountingProxy) count(r *http.Request) {
	path := r.URL.Path
	kind := KindOther
	switch {
	case path == "/v2/_catalog":
		kind = KindCatalog
	case strings.HasSuffix(path, "/tags/list"):
		kind = KindTags
	case strings.Contains(path, "/manifests/") && r.Method == http.MethodHead:
		kind = KindManifestHead
	case strings.Contains(path, "/manifests/") && r.Method == http.MethodGet:
		kind = KindManifestGet
	case strings.Contains(path, "/blobs/"):
		kind = KindBlob
	}
	p.mu.Lock()
	p.counts[kind]++
	p.inFlight++
	p.maxInFlight = max(p.maxInFlight, p.inFlight)
	p.mu.Unlock()
}

func (p *CountingProxy) done() {
	p.mu.Lock()
	p.inFlight--
	p.mu.Unlock()
}

// MaxInFlight returns the most requests the proxy was answering at once
// since the last Reset.
func (p *CountingProxy) MaxInFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxInFlight
}

// Counts returns the requests counted since the last Reset, by kind.
func (p *CountingProxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// Reset sets every count back to zero.
func (p *CountingProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.counts)
	p.maxInFlight = p.inFlight
}
