package hooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/secret"
)

// call is one refresh the fake refresher received.
type call struct {
	src               registry.Source
	name, tag, digest string
}

// fakeRefresher records refreshes; withTags makes it a TagRefresher.
type fakeRefresher struct {
	mu    sync.Mutex
	calls []call
	got   chan struct{}
}

func newFake() *fakeRefresher { return &fakeRefresher{got: make(chan struct{}, 100)} }

func (f *fakeRefresher) Refresh(_ context.Context, src registry.Source, name string) error {
	f.mu.Lock()
	f.calls = append(f.calls, call{src: src, name: name})
	f.mu.Unlock()
	f.got <- struct{}{}
	return nil
}

// tagFake is a fakeRefresher that also takes tags and digests.
type tagFake struct{ *fakeRefresher }

func (f tagFake) RefreshTag(_ context.Context, src registry.Source, name, tag, digest string) error {
	f.mu.Lock()
	f.calls = append(f.calls, call{src, name, tag, digest})
	f.mu.Unlock()
	f.got <- struct{}{}
	return nil
}

// waitCalls waits for n refreshes, then a moment for any unexpected one.
func (f *fakeRefresher) waitCalls(t *testing.T, n int) []call {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-f.got:
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d refreshes, want %d", i, n)
		}
	}
	select {
	case <-f.got:
		t.Error("more refreshes than expected")
	case <-time.After(50 * time.Millisecond):
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

const (
	giteaSecret   = "gitea-hook-5ecret"
	registryToken = "registry-hook-t0ken"
)

// newServer serves the endpoints with both secrets configured.
func newServer(t *testing.T, r Refresher, opts Options) *httptest.Server {
	t.Helper()
	opts.Refresher = r
	if !opts.GiteaSecret.IsSet() {
		opts.GiteaSecret = secret.New(giteaSecret)
	}
	if !opts.RegistryToken.IsSet() {
		opts.RegistryToken = secret.New(registryToken)
	}
	if opts.OCINamespace == "" {
		opts.OCINamespace = "provisioning-extensions"
	}
	h := New(opts)
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); h.Close() })
	return srv
}

func sign(body string) string {
	mac := hmac.New(sha256.New, []byte(giteaSecret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

// post sends body with headers (name, value pairs) and returns the status
// and the decoded JSON answer.
func post(t *testing.T, url, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	return send(t, http.MethodPost, url, body, headers...)
}

func send(t *testing.T, method, url, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, url, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return resp.StatusCode, out
}

// checkError checks a v1 error answer.
func checkError(t *testing.T, what string, status int, body map[string]any, wantStatus int, wantError string) {
	t.Helper()
	if status != wantStatus || body["error"] != wantError || body["message"] == "" {
		t.Errorf("%s: %d %v, want %d with error %q", what, status, body, wantStatus, wantError)
	}
}

func TestUnconfiguredEndpointsAre404(t *testing.T) {
	h := New(Options{Refresher: newFake()})
	defer h.Close()
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range []string{GiteaPath, RegistryPath} {
		status, body := post(t, srv.URL+path, `{}`)
		checkError(t, path, status, body, http.StatusNotFound, "not_found")
	}
}

func TestMethodsOtherThanPost(t *testing.T) {
	srv := newServer(t, newFake(), Options{})
	for _, path := range []string{GiteaPath, RegistryPath} {
		status, body := send(t, http.MethodGet, srv.URL+path, "")
		checkError(t, "GET "+path, status, body, http.StatusMethodNotAllowed, "method_not_allowed")
	}
}
