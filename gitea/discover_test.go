package gitea_test

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdk "code.gitea.io/sdk/gitea"
	"github.com/Masterminds/semver/v3"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/gitea"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// catalogFixture is one public organization holding an extension of every
// kind the rules of contract §1 distinguish, as Gitea then describes them.
type catalogFixture struct {
	g     *testserver.Gitea
	org   string
	repos map[string]*sdk.Repository
	// rels maps "repo tag" to the release as Gitea describes it.
	rels map[string]*sdk.Release
	// data maps "repo tag asset" to the bytes uploaded.
	data map[string][]byte
}

func (f *catalogFixture) release(repo, tag string) *sdk.Release { return f.rels[repo+" "+tag] }

func (f *catalogFixture) asset(repo, tag, name string) *sdk.Attachment {
	for _, a := range f.release(repo, tag).Attachments {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// seedCatalog creates the fixture organization in g. Every listing of it
// spans several pages of the shared server (pageSize items each): 12
// repositories, and 8 releases of aws_prov.
func seedCatalog(t *testing.T, g *testserver.Gitea) *catalogFixture {
	t.Helper()
	s := g.Seed(t)
	f := &catalogFixture{g: g, org: testserver.UniqueName("catalog"), repos: map[string]*sdk.Repository{}, rels: map[string]*sdk.Release{}, data: map[string][]byte{}}
	s.Org(f.org, sdk.VisibleTypePublic)
	repo := func(name, desc string, topics ...string) {
		f.repos[name] = s.Repo(f.org, name, desc, topics...)
	}
	rel := func(repo string, r testserver.Release) {
		for _, a := range r.Assets {
			f.data[repo+" "+r.Tag+" "+a.Name] = a.Data
		}
		f.rels[repo+" "+r.Tag] = s.Release(f.org, repo, r)
	}
	a := func(name string, data []byte) testserver.Asset { return testserver.Asset{Name: name, Data: data} }

	// aws_prov: semver order across tag forms, each checksum file form, a
	// pre-release above the stable versions, a release Gitea marks as a
	// pre-release, a draft and tags that are not semantic versions.
	repo("aws_prov", "AWS provider", "cloud", "aws")
	aws120, aws190, aws1100 := archive("aws 1.2.0"), archive("aws 1.9.0"), archive("aws 1.10.0")
	rel("aws_prov", testserver.Release{Tag: "v1.2.0", Assets: []testserver.Asset{
		a("aws_prov.tar.gz", aws120),
		a("aws_prov.tar.gz.sha256", []byte(hexSum(aws120)+"\n")),
	}})
	rel("aws_prov", testserver.Release{Tag: "1.9.0", Assets: []testserver.Asset{
		a("aws_prov.tar.gz", aws190),
		a("SHA256SUMS", []byte(hexSum([]byte("other"))+"  other.zip\n"+hexSum(aws190)+"  aws_prov.tar.gz\n")),
	}})
	rel("aws_prov", testserver.Release{Tag: "v1.10.0", Assets: []testserver.Asset{
		a("aaa.zip", archive("not the archive")),
		a("aws_prov.tar.gz", aws1100),
		a("checksums.txt", []byte(hexSum(aws1100)+" *aws_prov.tar.gz\n")),
	}})
	rel("aws_prov", testserver.Release{Tag: "v1.11.0", Prerelease: true, Assets: []testserver.Asset{a("aws_prov.tar.gz", archive("aws 1.11.0"))}})
	rel("aws_prov", testserver.Release{Tag: "v2.0.0-rc.1", Prerelease: true, Assets: []testserver.Asset{a("aws_prov.tar.gz", archive("aws 2.0.0-rc.1"))}})
	rel("aws_prov", testserver.Release{Tag: "v3.0.0", Draft: true, Assets: []testserver.Asset{a("aws_prov.tar.gz", archive("aws 3.0.0"))}})
	rel("aws_prov", testserver.Release{Tag: "latest", Assets: []testserver.Asset{a("aws_prov.tar.gz", archive("aws latest"))}})
	rel("aws_prov", testserver.Release{Tag: "v4.0", Assets: []testserver.Asset{a("aws_prov.tar.gz", archive("aws 4.0"))}})

	// upcloud_provider: no {repo}.tar.gz; the first archive uploaded is a
	// .tgz (after a file that is no archive), then a .zip that Gitea lists
	// first (it sorts assets by name); no checksum file.
	repo("upcloud_provider", "UpCloud provider")
	rel("upcloud_provider", testserver.Release{Tag: "2.1.3", Assets: []testserver.Asset{
		a("NOTES.txt", []byte("notes")),
		a("upcloud-2.1.3.tgz", archive("upcloud 2.1.3")),
		a("extra.zip", archive("upcloud extra")),
	}})

	// kubernetes_taskserv: pre-releases only, ordered by semver
	// (beta.10 > beta.9), a .zip archive.
	repo("kubernetes_taskserv", "Kubernetes", "k8s")
	// beta.9 publishes a checksum its archive does not match.
	for _, tag := range []string{"v1.28.0-beta.9", "v1.28.0-beta.10", "v1.28.0-alpha.1"} {
		assets := []testserver.Asset{a("kubernetes.zip", archive("k8s "+tag))}
		if tag == "v1.28.0-beta.9" {
			assets = append(assets, a("KUBERNETES.ZIP.SHA256", []byte(hexSum([]byte("something else"))+"\n")))
		}
		rel("kubernetes_taskserv", testserver.Release{Tag: tag, Prerelease: true, Assets: assets})
	}

	// buildkit_cluster: a release with no archive asset.
	repo("buildkit_cluster", "BuildKit cluster")
	rel("buildkit_cluster", testserver.Release{Tag: "v0.12.0", Assets: []testserver.Asset{a("README.md", []byte("# buildkit"))}})

	// gcp_prov and gcp_provider are one extension: "_prov" wins.
	repo("gcp_prov", "GCP provider (prov)")
	rel("gcp_prov", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{a("gcp_prov.tar.gz", archive("gcp_prov 1.0.0"))}})
	repo("gcp_provider", "GCP provider (provider)")
	rel("gcp_provider", testserver.Release{Tag: "v9.0.0", Assets: []testserver.Asset{a("gcp_provider.tar.gz", archive("gcp_provider 9.0.0"))}})

	// Extension repositories without a version: no release, only a draft,
	// releases turned off (after one was made).
	repo("empty_taskserv", "no release")
	repo("off_taskserv", "releases turned off")
	rel("off_taskserv", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{a("off_taskserv.tar.gz", archive("off"))}})
	off := false
	if _, _, err := s.Admin().EditRepo(f.org, "off_taskserv", sdk.EditRepoOption{HasReleases: &off}); err != nil {
		t.Fatalf("turn releases off: %v", err)
	}
	repo("drafts_cluster", "only a draft")
	rel("drafts_cluster", testserver.Release{Tag: "v1.0.0", Draft: true, Assets: []testserver.Asset{a("drafts_cluster.tar.gz", archive("draft"))}})

	// Repositories that are no extension, releases and all.
	for _, name := range []string{"docs", "aws_provx", "prov"} {
		repo(name, "not an extension")
		rel(name, testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{a(name+".tar.gz", archive(name))}})
	}
	return f
}

// TestDiscovery checks every rule of contract §1 against one organization
// of a real Gitea whose pages hold pageSize items, read anonymously (the
// organization is public).
func TestDiscovery(t *testing.T) {
	t.Parallel()
	g := sharedGitea(t)
	f := seedCatalog(t, g)
	b, logs := newBackend(t, gitea.Options{URL: g.URL, Organizations: []string{f.org}})

	exts, err := b.List(ctx(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	byKey := map[string]registry.Extension{}
	for _, e := range exts {
		if _, dup := byKey[e.Key()]; dup {
			t.Errorf("List holds %s twice", e.Key())
		}
		byKey[e.Key()] = e
	}

	t.Run("server pages hold pageSize items", func(t *testing.T) {
		// The listings below only prove paging if the server cuts them.
		repos, _, err := g.AdminClient(t).ListOrgRepos(f.org, sdk.ListOrgReposOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: 50}})
		if err != nil || len(repos) != pageSize {
			t.Fatalf("first page of repositories: %d items, %v; want %d", len(repos), err, pageSize)
		}
		rels, _, err := g.AdminClient(t).ListReleases(f.org, "aws_prov", sdk.ListReleasesOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: 50}})
		if err != nil || len(rels) != pageSize {
			t.Fatalf("first page of releases: %d items, %v; want %d", len(rels), err, pageSize)
		}
	})

	t.Run("releases turned off, read by an administrator", func(t *testing.T) {
		// Gitea still shows an administrator the releases of a repository
		// whose releases are turned off; they are still no versions.
		admin, _ := newBackend(t, gitea.Options{URL: g.URL, Organizations: []string{f.org}, Token: g.AdminToken})
		all, err := admin.List(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range all {
			if e.Name == "off" {
				t.Errorf("an administrator's list holds %s from a repository with releases turned off", e.Key())
			}
		}
		if _, err := admin.Get(ctx(t), registry.Taskserv, "off"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Get taskserv/off as administrator: %v, want not found", err)
		}
	})

	t.Run("repository suffixes", func(t *testing.T) {
		var keys []string
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		want := []string{"cluster/buildkit", "provider/aws", "provider/gcp", "provider/upcloud", "taskserv/kubernetes"}
		if !slices.Equal(keys, want) {
			t.Errorf("List = %v, want %v (other repositories, and those without a version, ignored)", keys, want)
		}
		for _, name := range []string{"docs", "aws_provx", "prov", "empty", "drafts", "off"} {
			for _, typ := range registry.Types {
				if _, err := b.Get(ctx(t), typ, name); !errors.Is(err, registry.ErrNotFound) {
					t.Errorf("Get(%s, %s): %v, want not found", typ, name, err)
				}
			}
		}
		// The suffix decides the type: aws is a provider, not a taskserv.
		if _, err := b.Get(ctx(t), registry.Taskserv, "aws"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Get(taskserv, aws): %v, want not found", err)
		}
		for _, name := range []string{"empty", "off"} {
			if _, err := b.Versions(ctx(t), registry.Taskserv, name); !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("Versions of %s_taskserv: %v, want not found", name, err)
			}
		}
		// Names are exact, although Gitea finds repositories whatever
		// their case.
		if _, err := b.Get(ctx(t), registry.Provider, "AWS"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Get(provider, AWS): %v, want not found", err)
		}
	})

	t.Run("metadata", func(t *testing.T) {
		rel := f.release("aws_prov", "v1.10.0")
		asset := f.asset("aws_prov", "v1.10.0", "aws_prov.tar.gz")
		want := registry.Extension{
			Name:        "aws",
			Type:        registry.Provider,
			Version:     "1.10.0",
			Description: "AWS provider",
			Author:      f.org,
			Repository:  f.repos["aws_prov"].HTMLURL,
			Source:      registry.SourceGitea,
			PublishedAt: rel.PublishedAt.UTC(),
			DownloadURL: asset.DownloadURL,
			Checksum:    sum(f.data["aws_prov v1.10.0 aws_prov.tar.gz"]),
			Size:        asset.Size,
			Tags:        f.repos["aws_prov"].Topics,
		}
		if want.Repository != g.URL+"/"+f.org+"/aws_prov" || want.DownloadURL != g.URL+"/"+f.org+"/aws_prov/releases/download/v1.10.0/aws_prov.tar.gz" || want.Size != int64(len(f.data["aws_prov v1.10.0 aws_prov.tar.gz"])) {
			t.Fatalf("Gitea describes the fixture unexpectedly: %+v %+v", f.repos["aws_prov"], asset)
		}
		got, err := b.Get(ctx(t), registry.Provider, "aws")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		for what, e := range map[string]registry.Extension{"Get": got, "List": byKey["provider/aws"]} {
			if !equalExt(e, want) {
				t.Errorf("%s:\n got %+v\nwant %+v", what, e, want)
			}
			if e.PublishedAt.Location() != time.UTC || e.PublishedAt.IsZero() {
				t.Errorf("%s: published_at %v is not a UTC time", what, e.PublishedAt)
			}
		}
	})

	t.Run("versions newest first, drafts and non-semver tags skipped", func(t *testing.T) {
		vs, err := b.Versions(ctx(t), registry.Provider, "aws")
		if err != nil {
			t.Fatalf("Versions: %v", err)
		}
		want := []string{"2.0.0-rc.1", "1.11.0", "1.10.0", "1.9.0", "1.2.0"}
		if got := versionStrings(vs); !slices.Equal(got, want) {
			t.Fatalf("Versions = %v, want %v", got, want)
		}
		tags := map[string]string{"2.0.0-rc.1": "v2.0.0-rc.1", "1.11.0": "v1.11.0", "1.10.0": "v1.10.0", "1.9.0": "1.9.0", "1.2.0": "v1.2.0"}
		for _, v := range vs {
			tag := tags[v.Version]
			asset := f.asset("aws_prov", tag, "aws_prov.tar.gz")
			rel := f.release("aws_prov", tag)
			if v.Ref != tag || v.DownloadURL != asset.DownloadURL || v.Size != asset.Size || !v.PublishedAt.Equal(rel.PublishedAt) {
				t.Errorf("version %s = %+v, want ref %s, download_url %s, size %d, published_at %v", v.Version, v, tag, asset.DownloadURL, asset.Size, rel.PublishedAt)
			}
			// 1.11.0 is marked a pre-release in Gitea, 2.0.0-rc.1 by its tag.
			if wantPre := v.Version == "1.11.0" || v.Version == "2.0.0-rc.1"; v.Prerelease != wantPre {
				t.Errorf("version %s: Prerelease %v, want %v", v.Version, v.Prerelease, wantPre)
			}
		}
		if i := registry.CurrentVersion(vs); i < 0 || vs[i].Version != "1.10.0" {
			t.Errorf("registry.CurrentVersion of the versions = %d, want 1.10.0's, as Get shows", i)
		}
	})

	t.Run("checksum file forms", func(t *testing.T) {
		vs, err := b.Versions(ctx(t), registry.Provider, "aws")
		if err != nil {
			t.Fatalf("Versions: %v", err)
		}
		want := map[string]string{
			"1.2.0":  sum(f.data["aws_prov v1.2.0 aws_prov.tar.gz"]),  // aws_prov.tar.gz.sha256, bare digest
			"1.9.0":  sum(f.data["aws_prov 1.9.0 aws_prov.tar.gz"]),   // SHA256SUMS, two lines
			"1.10.0": sum(f.data["aws_prov v1.10.0 aws_prov.tar.gz"]), // checksums.txt, binary-mode line
			"1.11.0": "",                                              // no checksum file
		}
		for _, v := range vs {
			if w, ok := want[v.Version]; ok && v.Checksum != w {
				t.Errorf("version %s checksum %q, want %q", v.Version, v.Checksum, w)
			}
		}
	})

	t.Run("current version is the highest stable one", func(t *testing.T) {
		// 2.0.0-rc.1 and 1.11.0 (marked pre-release in Gitea) are higher.
		if e := byKey["provider/aws"]; e.Version != "1.10.0" {
			t.Errorf("aws version %s, want 1.10.0", e.Version)
		}
		// With only pre-releases, the highest by semver: beta.10 > beta.9.
		k8s, err := b.Get(ctx(t), registry.Taskserv, "kubernetes")
		if err != nil {
			t.Fatal(err)
		}
		if k8s.Version != "1.28.0-beta.10" || byKey["taskserv/kubernetes"].Version != k8s.Version {
			t.Errorf("kubernetes version Get %s, List %s; want 1.28.0-beta.10", k8s.Version, byKey["taskserv/kubernetes"].Version)
		}
		vs, err := b.Versions(ctx(t), registry.Taskserv, "kubernetes")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := versionStrings(vs), []string{"1.28.0-beta.10", "1.28.0-beta.9", "1.28.0-alpha.1"}; !slices.Equal(got, want) {
			t.Errorf("kubernetes versions %v, want %v", got, want)
		}
	})

	t.Run("asset choice", func(t *testing.T) {
		// {repo}.tar.gz wins over an archive listed before it (1.10.0 is
		// tested in metadata); else the first .tar.gz/.tgz/.zip asset.
		if got := f.release("upcloud_provider", "2.1.3").Attachments; len(got) != 3 || got[1].Name != "extra.zip" {
			t.Fatalf("Gitea no longer lists extra.zip before upcloud-2.1.3.tgz; the fixture proves nothing")
		}
		up := byKey["provider/upcloud"]
		asset := f.asset("upcloud_provider", "2.1.3", "upcloud-2.1.3.tgz")
		if up.Version != "2.1.3" || up.DownloadURL != asset.DownloadURL || up.Size != asset.Size || up.Checksum != "" {
			t.Errorf("upcloud = %+v, want the .tgz asset %s (%d bytes) without checksum", up, asset.DownloadURL, asset.Size)
		}
		k8s := byKey["taskserv/kubernetes"]
		if zip := f.asset("kubernetes_taskserv", "v1.28.0-beta.10", "kubernetes.zip"); k8s.DownloadURL != zip.DownloadURL || k8s.Size != zip.Size {
			t.Errorf("kubernetes = %+v, want the .zip asset %s", k8s, zip.DownloadURL)
		}
		a, err := b.Open(ctx(t), registry.Provider, "upcloud", registry.Version{Version: "2.1.3"})
		if err != nil {
			t.Fatalf("Open upcloud: %v", err)
		}
		data, err := io.ReadAll(a.Body)
		a.Body.Close()
		if err != nil || string(data) != string(f.data["upcloud_provider 2.1.3 upcloud-2.1.3.tgz"]) || a.FileName != "upcloud-2.1.3.tgz" || a.Checksum != "" {
			t.Errorf("Open upcloud: %d bytes, %v, file %q, checksum %q", len(data), err, a.FileName, a.Checksum)
		}
	})

	t.Run("a checksum the archive does not match fails the download", func(t *testing.T) {
		vs, err := b.Versions(ctx(t), registry.Taskserv, "kubernetes")
		if err != nil {
			t.Fatal(err)
		}
		published := sum([]byte("something else"))
		if v, _ := registry.FindVersion(vs, semverOf(t, "1.28.0-beta.9")); v.Checksum != published {
			t.Errorf("beta.9 checksum %q, want %q (from KUBERNETES.ZIP.SHA256)", v.Checksum, published)
		}
		a, err := b.Open(ctx(t), registry.Taskserv, "kubernetes", registry.Version{Version: "1.28.0-beta.9"})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer a.Body.Close()
		if a.Checksum != published {
			t.Errorf("archive checksum %q, want %q", a.Checksum, published)
		}
		if data, err := io.ReadAll(a.Body); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("reading %d bytes: %v, want a checksum mismatch at the end", len(data), err)
		}
	})

	t.Run("no archive asset: the tag's source archive", func(t *testing.T) {
		e := byKey["cluster/buildkit"]
		rel := f.release("buildkit_cluster", "v0.12.0")
		if e.Version != "0.12.0" || e.DownloadURL != rel.TarURL || e.Size != 0 || e.Checksum != "" {
			t.Errorf("buildkit = %+v, want download_url %s, no size, no checksum", e, rel.TarURL)
		}
		a, err := b.Open(ctx(t), registry.Cluster, "buildkit", registry.Version{Version: "0.12.0"})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer a.Body.Close()
		if a.FileName != "buildkit_cluster-v0.12.0.tar.gz" {
			t.Errorf("file name %q", a.FileName)
		}
		files := tarGzNames(t, a.Body)
		if !slices.Contains(files, "buildkit_cluster/README.md") {
			t.Errorf("source archive holds %v, want buildkit_cluster/README.md", files)
		}
	})

	t.Run("same extension twice in one organization", func(t *testing.T) {
		gcp := byKey["provider/gcp"]
		if gcp.Description != "GCP provider (prov)" || gcp.Version != "1.0.0" {
			t.Errorf("gcp = %+v, want the _prov repository", gcp)
		}
		got, err := b.Get(ctx(t), registry.Provider, "gcp")
		if err != nil || got.Description != gcp.Description {
			t.Errorf("Get gcp = %+v, %v; want the _prov repository", got, err)
		}
		if _, err := b.List(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if n := logs.count("shadowed", f.org+"/gcp_provider"); n != 1 {
			t.Errorf("gcp_provider logged as shadowed %d times over two listings, want once:\n%s", n, logs)
		}
	})

	t.Run("open streams the asset and checks it", func(t *testing.T) {
		for _, tc := range []struct{ version, tag string }{{"1.2.0", "v1.2.0"}, {"1.9.0", "1.9.0"}, {"v1.10.0", "v1.10.0"}} {
			a, err := b.Open(ctx(t), registry.Provider, "aws", registry.Version{Version: tc.version})
			if err != nil {
				t.Fatalf("Open %s: %v", tc.version, err)
			}
			data, err := io.ReadAll(a.Body)
			a.Body.Close()
			want := f.data["aws_prov "+tc.tag+" aws_prov.tar.gz"]
			if err != nil || string(data) != string(want) {
				t.Errorf("Open %s: %d bytes, %v; want the %d bytes uploaded", tc.version, len(data), err, len(want))
			}
			if a.Size != int64(len(want)) || a.FileName != "aws_prov.tar.gz" || a.Checksum != sum(want) {
				t.Errorf("Open %s: size %d, file %q, checksum %q", tc.version, a.Size, a.FileName, a.Checksum)
			}
		}
		for _, v := range []string{"3.0.0", "4.0.0", "1.0.0"} {
			if _, err := b.Open(ctx(t), registry.Provider, "aws", registry.Version{Version: v}); !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("Open %s (draft, non-semver or absent): %v, want not found", v, err)
			}
		}
	})
}

// equalExt compares two extensions field by field, times by instant.
func equalExt(a, b registry.Extension) bool {
	ta, tb := a.PublishedAt, b.PublishedAt
	a.PublishedAt, b.PublishedAt = time.Time{}, time.Time{}
	return ta.Equal(tb) && reflect.DeepEqual(a, b)
}

func semverOf(t *testing.T, v string) *semver.Version {
	t.Helper()
	sv, err := registry.ParseVersion(v)
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

func versionStrings(vs []registry.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

// tarGzNames returns the names of the files of a .tar.gz stream.
func tarGzNames(t *testing.T, r io.Reader) []string {
	t.Helper()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("not a tar: %v", err)
		}
		names = append(names, strings.TrimPrefix(h.Name, "./"))
	}
}
