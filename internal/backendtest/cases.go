package backendtest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// testListAndGet: what is published is listed once per extension, each
// described by its current version, and Get describes it the same way.
func testListAndGet(t *testing.T, b registry.Backend, s Seeder) {
	k8s := publish(t, s, "k8s_taskserv", registry.Taskserv, "Kubernetes", "1.9.0", "v1.10.0", "1.10.0-rc.1", "2.0.0-beta.1")
	aws := publish(t, s, "aws_prov", registry.Provider, "AWS provider", "0.1.0")
	bk := publish(t, s, "buildkit_cluster", registry.Cluster, "BuildKit", "1.0.0")

	exts, err := b.List(testContext(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	got := byKey(t, exts)
	want := []struct {
		key, name, version string
		typ                registry.Type
		rel                Release
	}{
		{"taskserv/k8s", "k8s", "1.10.0", registry.Taskserv, k8s["1.10.0"]},
		{"provider/aws", "aws", "0.1.0", registry.Provider, aws["0.1.0"]},
		{"cluster/buildkit", "buildkit", "1.0.0", registry.Cluster, bk["1.0.0"]},
	}
	if len(got) != len(want) {
		t.Errorf("List = %d extensions %v, want %d", len(got), keys(got), len(want))
	}
	for _, w := range want {
		e, ok := got[w.key]
		if !ok {
			t.Errorf("List lacks %s", w.key)
			continue
		}
		checkExtension(t, b, "List "+w.key, e, w.name, w.typ, w.version, w.rel)
		g, err := b.Get(testContext(t), w.typ, w.name)
		if err != nil {
			t.Errorf("Get %s: %v", w.key, err)
			continue
		}
		checkExtension(t, b, "Get "+w.key, g, w.name, w.typ, w.version, w.rel)
	}
}

func keys(m map[string]registry.Extension) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// testVersionsOrder: versions come newest first by semantic-version
// precedence, pre-releases below their release, without a leading "v",
// each with the checksum of its archive.
func testVersionsOrder(t *testing.T, b registry.Backend, s Seeder) {
	rels := publish(t, s, "k8s_taskserv", registry.Taskserv, "Kubernetes", "1.9.0", "v1.10.0", "1.10.0-rc.1", "2.0.0-beta.1", "1.2.3")
	vs, err := b.Versions(testContext(t), registry.Taskserv, "k8s")
	if err != nil {
		t.Fatalf("Versions: %v", err)
	}
	want := []string{"2.0.0-beta.1", "1.10.0", "1.10.0-rc.1", "1.9.0", "1.2.3"}
	if got := versionStrings(vs); !slices.Equal(got, want) {
		t.Fatalf("Versions = %v, want %v", got, want)
	}
	for _, v := range vs {
		if v.Checksum != Checksum(rels[v.Version].Data) {
			t.Errorf("version %s: checksum %q, want %s", v.Version, v.Checksum, Checksum(rels[v.Version].Data))
		}
		if v.PublishedAt.IsZero() {
			t.Errorf("version %s: no published_at", v.Version)
		}
	}
	// The current version is the highest stable one, not the newest
	// pre-release.
	e, err := b.Get(testContext(t), registry.Taskserv, "k8s")
	if err != nil || e.Version != "1.10.0" {
		t.Errorf("Get = %s, %v; want version 1.10.0", e.Version, err)
	}
}

// testPreReleaseOnly: an extension with only pre-releases shows its highest
// pre-release as current.
func testPreReleaseOnly(t *testing.T, b registry.Backend, s Seeder) {
	rels := publish(t, s, "edge_taskserv", registry.Taskserv, "Edge", "1.0.0-rc.1", "1.0.0-rc.2", "0.9.0-alpha.1")
	e, err := b.Get(testContext(t), registry.Taskserv, "edge")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	checkExtension(t, b, "Get", e, "edge", registry.Taskserv, "1.0.0-rc.2", rels["1.0.0-rc.2"])
	exts, err := b.List(testContext(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got := byKey(t, exts)["taskserv/edge"]; got.Version != "1.0.0-rc.2" {
		t.Errorf("List shows edge at %q, want 1.0.0-rc.2", got.Version)
	}
	vs, err := b.Versions(testContext(t), registry.Taskserv, "edge")
	if want := []string{"1.0.0-rc.2", "1.0.0-rc.1", "0.9.0-alpha.1"}; err != nil || !slices.Equal(versionStrings(vs), want) {
		t.Errorf("Versions = %v, %v; want %v", versionStrings(vs), err, want)
	}
}

// testPreReleaseFlag: a version flagged as a pre-release (with a stable
// tag) is carried as one and is not current while a stable one exists.
func testPreReleaseFlag(t *testing.T, b registry.Backend, s Seeder) {
	if _, ok := s.(PrereleaseFlagger); !ok {
		t.Skipf("%T cannot flag a pre-release other than by its tag", s)
	}
	publish(t, s, "flag_taskserv", registry.Taskserv, "Flagged", "1.0.0")
	s.Publish(t, Release{Repo: "flag_taskserv", Type: registry.Taskserv, Tag: "1.1.0", Description: "Flagged", Data: Archive(t, "flag 1.1.0"), Prerelease: true})
	e, err := b.Get(testContext(t), registry.Taskserv, "flag")
	if err != nil || e.Version != "1.0.0" {
		t.Errorf("Get = %s, %v; want the stable 1.0.0, not the flagged 1.1.0", e.Version, err)
	}
	vs, err := b.Versions(testContext(t), registry.Taskserv, "flag")
	if err != nil || !slices.Equal(versionStrings(vs), []string{"1.1.0", "1.0.0"}) {
		t.Fatalf("Versions = %v, %v; want [1.1.0 1.0.0]", versionStrings(vs), err)
	}
	if !vs[0].Prerelease || vs[1].Prerelease {
		t.Errorf("Prerelease = %v, %v; want true for the flagged 1.1.0 only", vs[0].Prerelease, vs[1].Prerelease)
	}
}

// testDownloads: every version downloads exactly its bytes, and the
// archive's checksum is theirs.
func testDownloads(t *testing.T, b registry.Backend, s Seeder) {
	rels := publish(t, s, "k3s_taskserv", registry.Taskserv, "K3s", "1.0.0", "v1.1.0", "1.2.0-rc.1")
	vs, err := b.Versions(testContext(t), registry.Taskserv, "k3s")
	if err != nil || len(vs) != 3 {
		t.Fatalf("Versions = %v, %v; want 3", versionStrings(vs), err)
	}
	for _, v := range vs {
		want := rels[v.Version].Data
		data, a := readArchive(t, b, registry.Taskserv, "k3s", v)
		if !slices.Equal(data, want) {
			t.Errorf("version %s: downloaded %d bytes that differ from the %d published", v.Version, len(data), len(want))
		}
		if a.Checksum != Checksum(data) {
			t.Errorf("version %s: archive checksum %q, want %s", v.Version, a.Checksum, Checksum(data))
		}
		if a.Size != -1 && a.Size != int64(len(want)) {
			t.Errorf("version %s: archive size %d, want %d (or -1)", v.Version, a.Size, len(want))
		}
		if a.FileName == "" {
			t.Errorf("version %s: no file name", v.Version)
		}
	}
}

// testNotFound: unknown extensions, types and versions are the kinds the
// faces turn into 404 and 400.
func testNotFound(t *testing.T, b registry.Backend, s Seeder) {
	publish(t, s, "aws_prov", registry.Provider, "AWS", "1.0.0")
	ctx := testContext(t)
	isNotFound := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s: %v; want ErrNotFound", what, err)
		}
	}
	_, err := b.Get(ctx, registry.Provider, "nope")
	isNotFound("Get of an unknown extension", err)
	_, err = b.Get(ctx, registry.Taskserv, "aws")
	isNotFound("Get under another type", err)
	_, err = b.Versions(ctx, registry.Provider, "nope")
	isNotFound("Versions of an unknown extension", err)
	_, err = b.Open(ctx, registry.Provider, "nope", registry.Version{Version: "1.0.0"})
	isNotFound("Open of an unknown extension", err)
	_, err = b.Open(ctx, registry.Provider, "aws", registry.Version{Version: "9.9.9"})
	isNotFound("Open of an unknown version", err)
	if _, err = b.Get(ctx, registry.Type("plugin"), "aws"); !errors.Is(err, registry.ErrInvalidType) {
		t.Errorf("Get of an unknown type: %v; want ErrInvalidType", err)
	}
	// The known one is still there (the calls above changed nothing).
	if e, err := b.Get(ctx, registry.Provider, "aws"); err != nil || e.Version != "1.0.0" {
		t.Errorf("Get provider/aws = %+v, %v", e, err)
	}
}

// testSuffixNaming: the repository name's suffix gives the type and the
// name; other repositories hold no extension.
func testSuffixNaming(t *testing.T, b registry.Backend, s Seeder) {
	for _, repo := range []string{"alpha_prov", "beta_provider", "gamma_taskserv", "delta_cluster", "docs", "prov", "epsilon_prov_old", "zeta-taskserv"} {
		publish(t, s, repo, "", "Repository "+repo, "1.0.0")
	}
	exts, err := b.List(testContext(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := []string{"cluster/delta", "provider/alpha", "provider/beta", "taskserv/gamma"}
	if got := keys(byKey(t, exts)); !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	for _, k := range []struct {
		typ  registry.Type
		name string
	}{{registry.Provider, "alpha"}, {registry.Provider, "beta"}, {registry.Taskserv, "gamma"}, {registry.Cluster, "delta"}} {
		if e, err := b.Get(testContext(t), k.typ, k.name); err != nil || e.Name != k.name || e.Type != k.typ {
			t.Errorf("Get %s/%s = %s/%s, %v", k.typ, k.name, e.Type, e.Name, err)
		}
	}
	for _, name := range []string{"docs", "alpha_prov", "epsilon", "epsilon_prov_old", "zeta"} {
		for _, typ := range registry.Types {
			if _, err := b.Get(testContext(t), typ, name); !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("Get %s/%s: %v; want ErrNotFound", typ, name, err)
			}
		}
	}
}

// testShadowing: within one source, "aws_prov" wins over "aws_provider"
// for every call, whichever was published first.
func testShadowing(t *testing.T, b registry.Backend, s Seeder) {
	provider := publish(t, s, "aws_provider", registry.Provider, "AWS (long suffix)", "2.0.0")
	prov := publish(t, s, "aws_prov", registry.Provider, "AWS (short suffix)", "1.0.0")
	_ = provider
	exts, err := b.List(testContext(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	got := byKey(t, exts)
	if len(got) != 1 {
		t.Errorf("List = %v, want only provider/aws", keys(got))
	}
	checkExtension(t, b, "List provider/aws", got["provider/aws"], "aws", registry.Provider, "1.0.0", prov["1.0.0"])
	e, err := b.Get(testContext(t), registry.Provider, "aws")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	checkExtension(t, b, "Get provider/aws", e, "aws", registry.Provider, "1.0.0", prov["1.0.0"])
	vs, err := b.Versions(testContext(t), registry.Provider, "aws")
	if err != nil || !slices.Equal(versionStrings(vs), []string{"1.0.0"}) {
		t.Fatalf("Versions = %v, %v; want only aws_prov's 1.0.0", versionStrings(vs), err)
	}
	data, _ := readArchive(t, b, registry.Provider, "aws", vs[0])
	if !slices.Equal(data, prov["1.0.0"].Data) {
		t.Errorf("Open served other bytes than aws_prov's 1.0.0")
	}
	if _, err := b.Open(testContext(t), registry.Provider, "aws", registry.Version{Version: "2.0.0"}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Open of the shadowed aws_provider's 2.0.0: %v; want ErrNotFound", err)
	}
}

// promptly bounds how long a call with a cancelled context may take.
const promptly = 5 * time.Second

// testCancellation: every call with a cancelled context fails promptly
// with the context's error.
func testCancellation(t *testing.T, b registry.Backend, s Seeder) {
	publish(t, s, "aws_prov", registry.Provider, "AWS", "1.0.0")
	vs, err := b.Versions(testContext(t), registry.Provider, "aws")
	if err != nil || len(vs) != 1 {
		t.Fatalf("Versions = %v, %v", versionStrings(vs), err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"List":     func() error { _, err := b.List(ctx); return err },
		"Get":      func() error { _, err := b.Get(ctx, registry.Provider, "aws"); return err },
		"Versions": func() error { _, err := b.Versions(ctx, registry.Provider, "aws"); return err },
		"Open": func() error {
			a, err := b.Open(ctx, registry.Provider, "aws", vs[0])
			if err == nil {
				a.Body.Close()
			}
			return err
		},
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		if took := time.Since(start); took > promptly {
			t.Errorf("%s with a cancelled context took %s", name, took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v; want context.Canceled", name, err)
		}
	}
}
