package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// halfBody ends a download's body with an error after half its bytes.
type halfBody struct {
	rc   io.ReadCloser
	left int64
}

func (h *halfBody) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, errors.New("cut")
	}
	if int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.rc.Read(p)
	h.left -= int64(n)
	return n, err
}

func (h *halfBody) Close() error { return h.rc.Close() }

// TestPullCut: a download cut mid-body (a proxy aborts it after half the
// bytes, as the registry does with an archive failing its verification)
// is reported as a cut, incomplete transfer with no file written — not as
// "cannot reach the registry".
func TestPullCut(t *testing.T) {
	s := demoService(t)
	target, _ := url.Parse(s.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Header.Get("Content-Type") == "application/octet-stream" && resp.ContentLength > 1 {
			resp.Body = &halfBody{rc: resp.Body, left: resp.ContentLength / 2}
		}
		return nil
	}
	proxy.FlushInterval = -1 // the half goes out before the cut
	srv := httptest.NewServer(proxy)
	defer srv.Close()

	dir := t.TempDir()
	r := cli(t, srv.URL, dir, "pull", "taskserv/kubernetes@1.28.0")
	line := strings.TrimSuffix(r.stderr, "\n")
	if r.code != 1 || !strings.Contains(line, "cut after") || !strings.Contains(line, "incomplete") ||
		!strings.Contains(line, "no file was written") || strings.Contains(line, "cannot reach") {
		t.Errorf("pull through a cutting proxy: exit %d, stderr %q", r.code, r.stderr)
	}
	if es := entries(t, dir); len(es) != 0 || r.stdout != "" {
		t.Errorf("pull left %v, printed %q", es, r.stdout)
	}
}
