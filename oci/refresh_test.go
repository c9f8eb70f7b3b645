package oci

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// fakeClock is a settable Backend.now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// listChecksums lists b and returns the checksum and version of each
// extension by key.
func listChecksums(t *testing.T, b *Backend) map[string]string {
	t.Helper()
	exts, err := b.List(testContext(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	out := map[string]string{}
	for _, e := range exts {
		out[e.Key()] = e.Version + " " + e.Checksum
	}
	return out
}

// expectCost checks the requests the proxy counted for one List.
func expectCost(t *testing.T, step string, p *testserver.CountingProxy, tags, heads, gets int) {
	t.Helper()
	c := p.Counts()
	if c[testserver.KindTags] != tags || c[testserver.KindManifestHead] != heads || c[testserver.KindManifestGet] != gets || c[testserver.KindBlob] != 0 {
		t.Errorf("%s: %v; want %d tag listings, %d manifest HEAD, %d manifest GET, no blob", step, c, tags, heads, gets)
	}
	if c[testserver.KindCatalog] < 1 {
		t.Errorf("%s: no catalog request: %v", step, c)
	}
	t.Logf("%s: %v", step, c)
	p.Reset()
}

// TestRefreshEconomy counts, at a real registry behind a counting proxy,
// what repeated List calls cost: nothing but the catalog and one tag
// listing per repository when nothing changed; one HEAD and one GET for a
// new version; a moved tag is seen after Revalidate with one HEAD per
// repository and one GET for the moved one.
func TestRefreshEconomy(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	proxy := testserver.StartCountingProxy(t, reg.Host)
	ns := uniqueNamespace(t)
	pub := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns})
	b := mustRemote(t, RemoteOptions{Registry: proxy.Host, Namespace: ns, Revalidate: time.Hour})
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.now = clock.now

	const repos = 5
	dir := t.TempDir()
	publishVersion := func(i int, version, body string) {
		file := mustTarGz(t, dir, fmt.Sprintf("e%d-%s-%s.tar.gz", i, version, body), map[string]string{"V": version + body})
		mustPublish(t, pub, Artifact{Path: file, Type: registry.Taskserv, Name: fmt.Sprintf("e%d", i), Version: version})
	}
	for i := range repos {
		for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
			publishVersion(i, v, "a")
		}
	}

	first := listChecksums(t, b)
	if len(first) != repos {
		t.Fatalf("List = %v, want %d extensions", first, repos)
	}
	expectCost(t, "first List", proxy, repos, 0, repos) // one GET by tag, no HEAD first

	again := listChecksums(t, b)
	expectCost(t, "List with nothing changed", proxy, repos, 0, 0)
	if fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("unchanged List = %v, want %v", again, first)
	}

	// A new version: its repository's tag list changed.
	publishVersion(0, "1.3.0", "a")
	got := listChecksums(t, b)
	expectCost(t, "List after a new version", proxy, repos, 1, 1)
	if v := got["taskserv/e0"]; v[:6] != "1.3.0 " {
		t.Errorf("e0 = %q, want 1.3.0", v)
	}

	// The current version published again: same tags, the tag moved.
	publishVersion(1, "1.2.0", "b")
	got = listChecksums(t, b)
	expectCost(t, "List right after a moved tag (within Revalidate)", proxy, repos, 0, 0)
	if got["taskserv/e1"] != first["taskserv/e1"] {
		t.Errorf("e1 changed before revalidation: %q (documented as unseen until Revalidate)", got["taskserv/e1"])
	}
	clock.advance(time.Hour + time.Second)
	got = listChecksums(t, b)
	expectCost(t, "List after Revalidate", proxy, repos, repos, 1)
	if got["taskserv/e1"] == first["taskserv/e1"] || got["taskserv/e1"][:6] != "1.2.0 " {
		t.Errorf("moved tag not seen after revalidation: e1 = %q, was %q", got["taskserv/e1"], first["taskserv/e1"])
	}
	listChecksums(t, b)
	expectCost(t, "List after the revalidation", proxy, repos, 0, 0)
}

// TestRefreshLayoutMovedTag: the layout store's index.json names every
// tag's digest, so a version published again shows on the next List.
func TestRefreshLayoutMovedTag(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	pub, b := mustLayout(t, root), mustLayout(t, root)
	a := mustTarGz(t, dir, "a.tar.gz", map[string]string{"V": "a"})
	mustPublish(t, pub, Artifact{Path: a, Type: registry.Cluster, Name: "bk", Version: "1.0.0"})
	before := listChecksums(t, b)
	if fmt.Sprint(listChecksums(t, b)) != fmt.Sprint(before) {
		t.Fatal("unchanged layout listed differently")
	}
	c := mustTarGz(t, dir, "c.tar.gz", map[string]string{"V": "c"})
	mustPublish(t, pub, Artifact{Path: c, Type: registry.Cluster, Name: "bk", Version: "1.0.0"})
	sum, _ := fileSum(t, c)
	if got := listChecksums(t, b)["cluster/bk"]; got != "1.0.0 "+sum {
		t.Errorf("after publishing 1.0.0 again: %q, want 1.0.0 %s", got, sum)
	}
}

// TestConcurrencyBound: a cold List of many repositories never has more
// requests in flight at the registry than Concurrency.
func TestConcurrencyBound(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	proxy := testserver.StartCountingProxy(t, reg.Host)
	ns := uniqueNamespace(t)
	pub := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns})
	dir := t.TempDir()
	const repos = 12
	for i := range repos {
		file := mustTarGz(t, dir, fmt.Sprintf("%d.tar.gz", i), map[string]string{"V": fmt.Sprint(i)})
		mustPublish(t, pub, Artifact{Path: file, Type: registry.Taskserv, Name: fmt.Sprintf("c%d", i), Version: "1.0.0"})
	}
	for _, limit := range []int{1, 3} {
		b := mustRemote(t, RemoteOptions{Registry: proxy.Host, Namespace: ns, Concurrency: limit})
		proxy.Reset()
		if got := listChecksums(t, b); len(got) != repos {
			t.Fatalf("List = %d extensions, want %d", len(got), repos)
		}
		if m := proxy.MaxInFlight(); m > limit || m < 1 {
			t.Errorf("Concurrency %d: %d requests in flight at once", limit, m)
		}
		t.Logf("Concurrency %d: at most %d in flight, %v", limit, proxy.MaxInFlight(), proxy.Counts())
	}
}

// TestRefreshEconomyListVersions counts what the index's read
// (ListVersions) costs: when nothing changed, one tag listing per
// repository and no manifest request.
func TestRefreshEconomyListVersions(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	proxy := testserver.StartCountingProxy(t, reg.Host)
	ns := uniqueNamespace(t)
	pub := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns})
	b := mustRemote(t, RemoteOptions{Registry: proxy.Host, Namespace: ns, Revalidate: time.Hour})
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.now = clock.now

	const repos, versions = 4, 3
	dir := t.TempDir()
	publishVersion := func(i int, version, body string) {
		file := mustTarGz(t, dir, fmt.Sprintf("e%d-%s-%s.tar.gz", i, version, body), map[string]string{"V": version + body})
		mustPublish(t, pub, Artifact{Path: file, Type: registry.Provider, Name: fmt.Sprintf("p%d", i), Version: version})
	}
	for i := range repos {
		for v := range versions {
			publishVersion(i, fmt.Sprintf("1.%d.0", v), "a")
		}
	}
	read := func() map[string]string {
		t.Helper()
		all, err := b.ListVersions(testContext(t))
		if err != nil {
			t.Fatalf("ListVersions: %v", err)
		}
		out := map[string]string{}
		for _, ev := range all {
			for _, v := range ev.Versions {
				out[ev.Extension.Key()+"@"+v.Version] = v.Checksum
			}
		}
		return out
	}
	first := read()
	if len(first) != repos*versions {
		t.Fatalf("ListVersions = %d versions, want %d", len(first), repos*versions)
	}
	expectCost(t, "first ListVersions", proxy, repos, 0, repos*versions) // one GET by tag each, no HEAD first
	if got := read(); fmt.Sprint(got) != fmt.Sprint(first) {
		t.Errorf("unchanged ListVersions = %v, want %v", got, first)
	}
	expectCost(t, "ListVersions with nothing changed", proxy, repos, 0, 0)

	publishVersion(2, "1.5.0", "a")
	if got := read(); len(got) != repos*versions+1 {
		t.Errorf("after a new version: %d versions, want %d", len(got), repos*versions+1)
	}
	expectCost(t, "ListVersions after a new version", proxy, repos, versions+1, 1)

	publishVersion(3, "1.0.0", "b") // not the current version: moved all the same
	read()
	expectCost(t, "ListVersions right after a moved tag", proxy, repos, 0, 0)
	clock.advance(time.Hour + time.Second)
	got := read()
	expectCost(t, "ListVersions after Revalidate", proxy, repos, repos*versions+1, 1)
	if got["provider/p3@1.0.0"] == first["provider/p3@1.0.0"] {
		t.Errorf("moved tag of a non-current version not seen after Revalidate")
	}
}

// TestOpenCost counts what one download costs at the registry once a
// listing has found the extension's repository (as the index's read has
// before any download): the version's HEAD there and its blob.
func TestOpenCost(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	proxy := testserver.StartCountingProxy(t, reg.Host)
	ns := uniqueNamespace(t)
	pub := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns})
	b := mustRemote(t, RemoteOptions{Registry: proxy.Host, Namespace: ns})
	file := mustTarGz(t, t.TempDir(), "a.tar.gz", map[string]string{"V": "1"})
	mustPublish(t, pub, Artifact{Path: file, Type: registry.Taskserv, Name: "k3s_taskserv", Version: "1.0.0"})
	all, err := b.ListVersions(testContext(t))
	if err != nil || len(all) != 1 || len(all[0].Versions) != 1 {
		t.Fatalf("ListVersions = %v, %v", all, err)
	}
	vs := all[0].Versions
	proxy.Reset()
	sum, _, _ := mustOpenSum(t, b, registry.Taskserv, "k3s", vs[0])
	if want, _ := fileSum(t, file); sum != want {
		t.Fatalf("downloaded %s, want %s", sum, want)
	}
	c := proxy.Counts()
	if c[testserver.KindManifestHead] != 1 || c[testserver.KindTags] != 0 || c[testserver.KindManifestGet] != 0 || c[testserver.KindBlob] != 1 || c[testserver.KindCatalog] != 0 {
		t.Errorf("Open cost %v; want 1 manifest HEAD and 1 blob, nothing else", c)
	}
	// A version the listed repository does not hold is not looked for in
	// the other candidates.
	proxy.Reset()
	if _, err := b.Open(testContext(t), registry.Taskserv, "k3s", registry.Version{Version: "9.0.0"}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Open of a missing version: %v", err)
	}
	if c := proxy.Counts(); c[testserver.KindManifestHead] != 2 || c[testserver.KindTags] != 0 {
		t.Errorf("Open of a missing version cost %v; want 2 HEAD (9.0.0 and v9.0.0) in k3s_taskserv only", c)
	}
}

// TestDirectReadReconcilesMemory: once Get or Versions has read a moved
// tag (as after a registry notification), List and ListVersions show it
// too instead of their memory, without waiting for Revalidate.
func TestDirectReadReconcilesMemory(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	ns := uniqueNamespace(t)
	pub := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns})
	b := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns, Revalidate: time.Hour})
	dir := t.TempDir()
	publish := func(version, body string) string {
		file := mustTarGz(t, dir, version+body+".tar.gz", map[string]string{"V": version + body})
		mustPublish(t, pub, Artifact{Path: file, Type: registry.Provider, Name: "moved", Version: version})
		sum, _ := fileSum(t, file)
		return sum
	}
	publish("1.0.0", "a")
	publish("1.1.0", "a")
	listChecksums(t, b)
	if _, err := b.ListVersions(testContext(t)); err != nil {
		t.Fatal(err)
	}
	cur := publish("1.1.0", "b") // the current version, moved
	old := publish("1.0.0", "b") // an older one, moved
	vs, err := b.Versions(testContext(t), registry.Provider, "moved")
	if err != nil || len(vs) != 2 || vs[0].Checksum != cur || vs[1].Checksum != old {
		t.Fatalf("Versions = %+v, %v; want the moved manifests", vs, err)
	}
	if got := listChecksums(t, b)["provider/moved"]; got != "1.1.0 "+cur {
		t.Errorf("List after Versions read the moved tag: %q, want 1.1.0 %s", got, cur)
	}
	all, err := b.ListVersions(testContext(t))
	if err != nil || len(all) != 1 || len(all[0].Versions) != 2 || all[0].Versions[1].Checksum != old {
		t.Errorf("ListVersions after Versions read the moved tags: %+v, %v", all, err)
	}
}
