package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a reverse proxy in front of a real registry that counts the
// requests it forwards, can hold them until released, can answer
// /v2/_catalog with 404 as registries without a catalog do, and can answer
// every request with an error status.
type proxy struct {
	host      string
	requests  atomic.Int64
	catalog   atomic.Int64
	noCatalog bool
	// fail, when set, is the status every request but the /v2/ ping gets.
	fail atomic.Int64

	mu   sync.Mutex
	gate chan struct{} // nil: open; else requests wait until it is closed
}

func startProxy(t *testing.T, registryHost string, noCatalog bool) *proxy {
	t.Helper()
	target, err := url.Parse("http://" + registryHost)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{noCatalog: noCatalog}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		gate := p.gate
		p.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		p.requests.Add(1)
		if status := int(p.fail.Load()); status != 0 && r.URL.Path != "/v2/" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`)
			return
		}
		if r.URL.Path == "/v2/_catalog" {
			p.catalog.Add(1)
			if p.noCatalog {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(w, `{"errors":[{"code":"UNSUPPORTED","message":"catalog disabled"}]}`)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		p.release()
		srv.Close()
	})
	p.host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// hold makes requests wait until release.
func (p *proxy) hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gate == nil {
		p.gate = make(chan struct{})
	}
}

// release lets held and later requests through.
func (p *proxy) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gate != nil {
		close(p.gate)
		p.gate = nil
	}
}
