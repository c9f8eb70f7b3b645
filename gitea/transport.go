package gitea

import (
	"io"
	"net/http"
	"sync"

	"github.com/provisioning-platform/extension-registry/internal/upstream"
)

// clients returns the HTTP clients of a backend, built on base (a copy of
// it: its redirect policy, jar and timeout are kept): one for API requests
// and checksum files, retried and bounded to limit requests under way at
// once, and one for archive downloads and health probes, retried but not
// bounded, so that long downloads never hold back listings and a busy
// listing never holds back a probe.
func clients(base *http.Client, name string, limit int) (api, download *http.Client) {
	if base == nil {
		base = http.DefaultClient
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	retry := upstream.NewRetry(rt, name)
	a, d := *base, *base
	a.Transport = &limitTransport{base: retry, slots: make(chan struct{}, limit)}
	d.Transport = retry
	return &a, &d
}

// limitTransport lets at most cap(slots) requests be under way at once: a
// slot is taken before the request is sent (waiting, within the request's
// context, for one to be free) and given back when its response body is
// closed or read to its end.
type limitTransport struct {
	base  http.RoundTripper
	slots chan struct{}
}

// RoundTrip sends req once a slot is free.
func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case t.slots <- struct{}{}:
	case <-req.Context().Done():
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, req.Context().Err()
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		<-t.slots
		return nil, err
	}
	resp.Body = &slotBody{ReadCloser: resp.Body, free: func() { <-t.slots }}
	return resp, nil
}

// slotBody frees its request's slot once, at the end of the body or when
// it is closed.
type slotBody struct {
	io.ReadCloser
	once sync.Once
	free func()
}

func (b *slotBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.free)
	}
	return n, err
}

func (b *slotBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.free)
	return err
}
