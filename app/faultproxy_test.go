package app

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultMode is what the fault proxy does to the requests it forwards.
type faultMode int32

const (
	passThrough faultMode = iota
	delayed               // every answer 100 ms late
	stalled               // the request is read and never answered
	reset                 // the connection is reset without an answer
	corrupted             // one byte of every blob body flipped
	rateLimited           // 429 with Retry-After: 1
)

// faultProxy is a loopback HTTP proxy in front of a real server that
// delays, stalls, resets, corrupts or rate limits on demand, and can be
// stopped (connections refused) and started again on the same port.
type faultProxy struct {
	addr   string
	target *url.URL
	mode   atomic.Int32
	rp     *httputil.ReverseProxy

	mu   sync.Mutex
	srv  *http.Server
	quit chan struct{}
}

func startFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	u, _ := url.Parse("http://" + target)
	p := &faultProxy{target: u, quit: make(chan struct{})}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.ModifyResponse = func(resp *http.Response) error {
		if faultMode(p.mode.Load()) == corrupted && strings.Contains(resp.Request.URL.Path, "/blobs/") && resp.StatusCode == http.StatusOK {
			resp.Body = &flipper{r: resp.Body, at: 100}
		}
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() { close(p.quit); p.stop() })
	return p
}

func (p *faultProxy) set(m faultMode) { p.mode.Store(int32(m)) }

func (p *faultProxy) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(p.handle)}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// stop closes the proxy's port and every connection: the server is down.
func (p *faultProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		_ = p.srv.Close()
		p.srv = nil
	}
}

// start listens on the same port again.
func (p *faultProxy) start(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func (p *faultProxy) handle(w http.ResponseWriter, r *http.Request) {
	switch faultMode(p.mode.Load()) {
	case delayed:
		time.Sleep(100 * time.Millisecond)
	case stalled:
		select {
		case <-r.Context().Done():
		case <-p.quit:
		}
		return
	case reset:
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
		}
		return
	case rateLimited:
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// flipper flips the byte at offset at of the stream it reads.
type flipper struct {
	r   io.ReadCloser
	at  int64
	off int64
}

func (f *flipper) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if f.off <= f.at && f.at < f.off+int64(n) {
		b[f.at-f.off] ^= 0xff
	}
	f.off += int64(n)
	return n, err
}

func (f *flipper) Close() error { return f.r.Close() }
