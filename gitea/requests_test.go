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

// sharedMany is an organization of 12 repositories (seedMany) that the
// tests which only read it share.
var sharedMany struct {
	once sync.Once
	org  string
	ok   bool
}

func manyOrg(t *testing.T) (*testserver.Gitea, string) {
	t.Helper()
	g := sharedGitea(t)
	sharedMany.once.Do(func() {
		sharedMany.org = seedMany(t, g, "many", 12)
		sharedMany.ok = true
	})
	if !sharedMany.ok {
		t.Fatal("seeding the shared organization failed")
	}
	return g, sharedMany.org
}

// TestListStopsAfterAFailure: when the release list of one repository
// fails, the other repositories' requests are canceled and the queued ones
// never sent. (Before, the SDK client was bound to the caller's context,
// so every queued repository was still read after the failure.)
func TestListStopsAfterAFailure(t *testing.T) {
	t.Parallel()
	g, org := manyOrg(t)
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
	t.Logf("%d release lists requested of 12 repositories, the first failing", c.releaseLists())
	if n := c.releaseLists(); n > 8 {
		t.Errorf("%d release lists requested of 12 repositories after the first failed; want at most the 8 under way:\n%s", n, c)
	}
}

// TestOpenUsesTheVersion: a version as Versions returns it is downloaded
// with one request, its checksum verified from the version itself. (Before,
// Open re-discovered the repository and its releases and re-read the
// checksum file for every download.)
func TestOpenUsesTheVersion(t *testing.T) {
	t.Parallel()
	g, org := manyOrg(t)
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

// TestRefreshReadsOnlyWhatChanged: listing an unchanged organization again
// costs its repository pages and one release list request per repository: no further release page, no checksum file. A
// change on a release list's first page (a new release, a replaced
// checksum asset) shows at the next listing.
func TestRefreshReadsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	g := sharedGitea(t)
	org := seedMany(t, g, "refresh", 6)
	s := g.Seed(t)
	// big_taskserv has 7 releases: 3 pages of the shared server.
	s.Repo(org, "big_taskserv", "many releases")
	for i := range 7 {
		data := archive(fmt.Sprintf("big %d", i))
		s.Release(org, "big_taskserv", testserver.Release{Tag: fmt.Sprintf("v1.%d.0", i), Assets: []testserver.Asset{
			{Name: "big_taskserv.tar.gz", Data: data},
			{Name: "big_taskserv.tar.gz.sha256", Data: []byte(hexSum(data) + "\n")},
		}})
	}
	b, c := counted(t, g, gitea.Options{Organizations: []string{org}})
	list := func() map[string]registry.Extension {
		t.Helper()
		exts, err := b.List(ctx(t))
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		out := map[string]registry.Extension{}
		for _, e := range exts {
			out[e.Name] = e
		}
		return out
	}
	first := list()
	if len(first) != 7 || first["big"].Version != "1.6.0" || first["big"].Checksum != sum(archive("big 6")) {
		t.Fatalf("first List = %+v", first)
	}
	repoPages := c.count("/orgs/" + org + "/repos")
	t.Logf("first listing: %d requests (%d checksum files, %d release lists)", c.count(""), c.count("/releases/download/"), c.releaseLists())

	c.reset()
	again := list()
	for name, e := range first {
		if !equalExt(e, again[name]) {
			t.Errorf("second List %s = %+v, want %+v", name, again[name], e)
		}
	}
	want := repoPages + 7
	t.Logf("unchanged refresh: %d requests", c.count(""))
	if n := c.count(""); n != want || c.count("/releases/download/") != 0 || c.releaseLists() != 7 {
		t.Errorf("unchanged refresh made %d requests, want %d (%d repository pages, one release list per repository, no checksum file):\n%s", n, want, repoPages, c)
	}

	// A new release, and a checksum asset replaced on the current one.
	data := archive("ext00 1.1.0")
	s.Release(org, "ext00_taskserv", testserver.Release{Tag: "v1.1.0", Assets: []testserver.Asset{
		{Name: "ext00_taskserv.tar.gz", Data: data},
		{Name: "ext00_taskserv.tar.gz.sha256", Data: []byte(hexSum(data) + "\n")},
	}})
	admin := s.Admin()
	rel, _, err := admin.GetReleaseByTag(org, "ext01_taskserv", "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rel.Attachments {
		if strings.HasSuffix(a.Name, ".sha256") {
			if _, err := admin.DeleteReleaseAttachment(org, "ext01_taskserv", rel.ID, a.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := []byte("republished")
	if _, _, err := admin.CreateReleaseAttachment(org, "ext01_taskserv", rel.ID, bytes.NewReader([]byte(hexSum(other)+"\n")), "ext01_taskserv.tar.gz.sha256"); err != nil {
		t.Fatal(err)
	}
	c.reset()
	changed := list()
	if e := changed["ext00"]; e.Version != "1.1.0" || e.Checksum != sum(data) {
		t.Errorf("after a new release: ext00 = %s %s, want 1.1.0 %s", e.Version, e.Checksum, sum(data))
	}
	if e := changed["ext01"]; e.Checksum != sum(other) {
		t.Errorf("after its checksum asset was replaced: ext01 checksum %s, want %s", e.Checksum, sum(other))
	}
	if n := c.count("/releases/download/"); n != 2 {
		t.Errorf("refresh after two changes read %d checksum files, want the 2 new ones:\n%s", n, c)
	}
}

// TestGiteaRetries: Gitea requests answered 502/503/504/429 are retried as
// the OCI backend's are (internal/upstream's policy); a rate limit that
// outlasts the policy fails with the server's Retry-After.
func TestGiteaRetries(t *testing.T) {
	t.Parallel()
	g, org := manyOrg(t)
	b, c := counted(t, g, gitea.Options{Organizations: []string{org}})
	c.fault = func(n int, req *http.Request) (*http.Response, error) {
		if n == 1 {
			return answer(req, http.StatusServiceUnavailable, nil), nil
		}
		return nil, nil
	}
	exts, err := b.List(ctx(t))
	if err != nil || len(exts) != 12 {
		t.Fatalf("List after one 503: %+v, %v; want it retried", exts, err)
	}
	if n := c.count("/orgs/" + org); n < 2 {
		t.Errorf("the organization was requested %d times, want a retry after the 503:\n%s", n, c)
	}

	c.reset()
	c.fault = func(_ int, req *http.Request) (*http.Response, error) {
		if strings.HasSuffix(req.URL.Path, "/releases") {
			return answer(req, http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}}), nil
		}
		return nil, nil
	}
	_, err = b.List(ctx(t))
	wantKind(t, "List rate-limited", err, registry.ErrRateLimited)
	if d, ok := registry.RetryAfter(err); !ok || d != 30*time.Second {
		t.Errorf("RetryAfter = %s, %v; want Gitea's 30 s", d, ok)
	}
	// A Retry-After past the 10 s cap is not waited for: no release list is
	// sent twice (the ones already under way when the first 429 came back
	// may each be sent once).
	seen := map[string]int{}
	c.mu.Lock()
	for _, r := range c.requests {
		if strings.HasSuffix(r, "/releases") {
			seen[r]++
		}
	}
	c.mu.Unlock()
	for r, n := range seen {
		if n > 1 {
			t.Errorf("%s sent %d times: a Retry-After past the 10 s cap is not waited for", r, n)
		}
	}
}

// TestConcurrencyBound: Options.Concurrency bounds the requests under way
// at once toward Gitea.
func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	g, org := manyOrg(t)
	slow := func(req *http.Request) time.Duration { return 50 * time.Millisecond }
	for _, tc := range []struct {
		limit, atLeast, atMost int32
	}{{2, 2, 2}, {0, 3, gitea.DefaultConcurrency}} {
		b, c := counted(t, g, gitea.Options{Organizations: []string{org}, Concurrency: int(tc.limit)})
		c.delay = slow
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := b.List(ctx(t)); err != nil {
					t.Errorf("List: %v", err)
				}
			}()
		}
		wg.Wait()
		if m := c.maxIn.Load(); m < tc.atLeast || m > tc.atMost {
			t.Errorf("Concurrency %d: %d requests under way at most, want %d to %d", tc.limit, m, tc.atLeast, tc.atMost)
		}
	}
}

// TestListVersionsCostsOneListing: the index reads Gitea through
// ListVersions (registry.Indexer); an unchanged refresh costs exactly what
// an unchanged List does — the repository pages and one release list per
// repository — not a repository and a release list more per extension, as
// List followed by Versions for each did (3 + 12 + 2×12 requests).
func TestListVersionsCostsOneListing(t *testing.T) {
	t.Parallel()
	g, org := manyOrg(t)
	b, c := counted(t, g, gitea.Options{Organizations: []string{org}})
	read := func() []registry.ExtensionVersions {
		t.Helper()
		all, err := b.ListVersions(ctx(t))
		if err != nil {
			t.Fatalf("ListVersions: %v", err)
		}
		return all
	}
	first := read()
	if len(first) != 12 {
		t.Fatalf("ListVersions = %d extensions, want 12", len(first))
	}
	for _, ev := range first {
		vs, err := b.Versions(ctx(t), ev.Extension.Type, ev.Extension.Name)
		if err != nil || len(vs) != len(ev.Versions) {
			t.Fatalf("Versions(%s) = %d, %v; ListVersions gave %d", ev.Extension.Key(), len(vs), err, len(ev.Versions))
		}
		for i := range vs {
			if vs[i] != ev.Versions[i] {
				t.Errorf("%s version %d: Versions %+v, ListVersions %+v", ev.Extension.Key(), i, vs[i], ev.Versions[i])
			}
		}
	}
	c.reset()
	read()
	repoPages := c.count("/orgs/" + org + "/repos")
	if n, want := c.count(""), repoPages+12; n != want || c.releaseLists() != 12 || c.count("/releases/download/") != 0 {
		t.Errorf("unchanged ListVersions made %d requests, want %d (%d repository pages, one release list per repository, no checksum file):\n%s", n, want, repoPages, c)
	}
}
