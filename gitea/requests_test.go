package gitea_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/gitea"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// counter is the transport between a backend and the real Gitea: it
// records every request that reaches it ("GET /api/v1/orgs/x"), and lets a
// test hold back, fail or answer some of them itself.
type counter struct {
	mu       sync.Mutex
	requests []string
	inFlight atomic.Int32
	maxIn    atomic.Int32
	// fault, when set, is asked first: a non-nil response or error is the
	// answer, and the request never reaches Gitea.
	fault func(n int, req *http.Request) (*http.Response, error)
	// delay holds back requests whose path it returns true for.
	delay func(req *http.Request) time.Duration
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.requests = append(c.requests, req.Method+" "+req.URL.Path)
	n := len(c.requests)
	fault, delay := c.fault, c.delay
	c.mu.Unlock()
	in := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.maxIn.Load()
		if in <= m || c.maxIn.CompareAndSwap(m, in) {
			break
		}
	}
	if delay != nil {
		if d := delay(req); d > 0 {
			select {
			case <-time.After(d):
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
		}
	}
	if fault != nil {
		if resp, err := fault(n, req); resp != nil || err != nil {
			return resp, err
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// reset forgets the requests seen so far.
func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = nil
	c.maxIn.Store(0)
}

// count returns the requests seen whose "METHOD path" contains every part.
func (c *counter) count(parts ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.requests {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(r, p)
		}
		if all {
			n++
		}
	}
	return n
}

// releaseLists returns the release list requests seen.
func (c *counter) releaseLists() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.requests {
		if strings.HasSuffix(r, "/releases") {
			n++
		}
	}
	return n
}

func (c *counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.requests, "\n")
}

// counted returns a backend over g for orgs whose requests go through a
// new counter.
func counted(t *testing.T, g *testserver.Gitea, opts gitea.Options) (*gitea.Backend, *counter) {
	t.Helper()
	c := &counter{}
	opts.URL = g.URL
	opts.HTTPClient = &http.Client{Transport: c}
	b, _ := newBackend(t, opts)
	return b, c
}

// answer is a response the counter gives in Gitea's place.
func answer(req *http.Request, status int, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: header,
		Body: io.NopCloser(strings.NewReader(`{"message":"busy"}`)), Request: req, ContentLength: -1}
}

// seedMany creates an organization with n taskserv repositories, each
// with one release whose archive has a .sha256 checksum file.
func seedMany(t *testing.T, g *testserver.Gitea, prefix string, n int) string {
	t.Helper()
	s := g.Seed(t)
	org := testserver.UniqueName(prefix)
	s.Org(org, sdk.VisibleTypePublic)
	for i := range n {
		name := fmt.Sprintf("ext%02d_taskserv", i)
		s.Repo(org, name, "extension "+name)
		data := archive(name)
		s.Release(org, name, testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{
			{Name: name + ".tar.gz", Data: data},
			{Name: name + ".tar.gz.sha256", Data: []byte(hexSum(data) + "\n")},
		}})
	}
	return org
}

// TestListStopsAfterAFailure: when the release list of one repository
// fails, the other repositories' requests are canceled and the queued ones
// never sent. (Before, the SDK client was bound to the caller's context,
// so every queued repository was still read after the failure.)
func TestListStopsAfterAFailure(t *testing.T) {
	t.Parallel()
	g := sharedGitea(t)
	org := seedMany(t, g, "failfast", 20)
	b, c := counted(t, g, gitea.Options{Organizations: []string{org}})
	var failed atomic.Bool
	c.fault = func(_ int, req *http.Request) (*http.Response, error) {
		if strings.HasSuffix(req.URL.Path, "/releases") && failed.CompareAndSwap(false, true) {
			return nil, errors.New("connection reset by the test")
		}
		return nil, nil
	}
	c.delay = func(req *http.Request) time.Duration {
		if strings.HasSuffix(req.URL.Path, "/releases") {
			return 300 * time.Millisecond
		}
		return 0
	}
	_, err := b.List(ctx(t))
	wantKind(t, "List", err, registry.ErrUnavailable)
	t.Logf("%d release lists requested of 20 repositories, the first failing", c.releaseLists())
	if n := c.releaseLists(); n > 8 {
		t.Errorf("%d release lists requested of 20 repositories after the first failed; want at most the 8 under way:\n%s", n, c)
	}
}

// TestOpenUsesTheVersion: a version as Versions returns it is downloaded
// with one request, its checksum verified from the version itself. (Before,
// Open re-discovered the repository and its releases and re-read the
// checksum file for every download.)
func TestOpenUsesTheVersion(t *testing.T) {
	t.Parallel()
	g := sharedGitea(t)
	org := seedMany(t, g, "open", 1)
	b, c := counted(t, g, gitea.Options{Organizations: []string{org}})
	vs, err := b.Versions(ctx(t), registry.Taskserv, "ext00")
	if err != nil || len(vs) != 1 || vs[0].Checksum == "" {
		t.Fatalf("Versions = %+v, %v", vs, err)
	}
	for range 3 {
		c.reset()
		a, err := b.Open(ctx(t), registry.Taskserv, "ext00", vs[0])
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		data, err := io.ReadAll(a.Body)
		a.Body.Close()
		if err != nil || !bytes.Equal(data, archive("ext00_taskserv")) || a.Checksum != vs[0].Checksum {
			t.Errorf("Open: %d bytes, %v, checksum %q", len(data), err, a.Checksum)
		}
		if n := c.count(""); n != 1 || c.count("/releases/download/v1.0.0/ext00_taskserv.tar.gz") != 1 {
			t.Errorf("Open made %d requests, want only the download:\n%s", n, c)
		}
	}
	// A version the backend knows nothing of is still found.
	fresh, fc := counted(t, g, gitea.Options{Organizations: []string{org}})
	a, err := fresh.Open(ctx(t), registry.Taskserv, "ext00", registry.Version{Version: "1.0.0"})
	if err != nil {
		t.Fatalf("Open of a bare version: %v", err)
	}
	a.Body.Close()
	if a.Checksum != vs[0].Checksum || fc.count("/releases/download/") != 2 {
		t.Errorf("Open of a bare version: checksum %q; requests:\n%s", a.Checksum, fc)
	}
}
