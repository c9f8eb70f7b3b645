package web_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestGiteaExtensionPage serves a real Gitea next to the demo store: an
// extension with a stable release, a release Gitea marks pre-release and a
// release candidate. The page marks both pre-releases, shows the stable one
// as current, and its download link (through the registry) gives the bytes
// of the checksum Gitea publishes.
func TestGiteaExtensionPage(t *testing.T) {
	g := testserver.SharedGitea(t, testserver.GiteaOptions{})
	s := g.Seed(t)
	org := testserver.UniqueName("web")
	s.Org(org, sdk.VisibleTypePublic)
	s.Repo(org, "helm_taskserv", "Helm, the package manager for Kubernetes", "kubernetes", "charts")
	stable := []byte("helm 1.0.0\n")
	s.Release(org, "helm_taskserv", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{
		{Name: "helm_taskserv.tar.gz", Data: stable},
		{Name: "helm_taskserv.tar.gz.sha256", Data: []byte(testserver.SHA256(stable) + "  helm_taskserv.tar.gz\n")},
	}})
	s.Release(org, "helm_taskserv", testserver.Release{Tag: "v1.1.0", Prerelease: true, Assets: []testserver.Asset{{Name: "helm_taskserv.tar.gz", Data: []byte("helm 1.1.0\n")}}})
	s.Release(org, "helm_taskserv", testserver.Release{Tag: "v2.0.0-rc.1", Assets: []testserver.Asset{{Name: "helm_taskserv.tar.gz", Data: []byte("helm 2.0.0-rc.1\n")}}})

	cfg := demoConfig(t)
	cfg.Gitea = config.Gitea{URL: g.URL, Organizations: []string{org}}
	base := serve(t, cfg)

	p := get(t, base+"/?source=gitea", http.StatusOK)
	checkManners(t, "gitea home", p)
	if got := cardNames(p); !reflect.DeepEqual(got, []string{"helm"}) {
		t.Fatalf("source=gitea shows %v", got)
	}
	if c := text(findAll(p.doc, tag("li", "card"))[0]); !strings.Contains(c, "v1.0.0") || strings.Contains(c, "pre-release") {
		t.Errorf("the card shows %q, want the stable 1.0.0", c)
	}

	p = get(t, base+"/extensions/taskserv/helm", http.StatusOK)
	checkManners(t, "helm", p)
	type row struct {
		version             string
		current, prerelease bool
	}
	var rows []row
	for _, tr := range findAll(p.doc, tag("tr", "version")) {
		rows = append(rows, row{
			version:    text(findAll(tr, tag("span", "vname"))[0]),
			current:    len(findAll(tr, tag("span", "cur"))) == 1,
			prerelease: len(findAll(tr, tag("span", "pre"))) == 1,
		})
	}
	want := []row{{"2.0.0-rc.1", false, true}, {"1.1.0", false, true}, {"1.0.0", true, false}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("versions %+v, want %+v", rows, want)
	}
	tr := findAll(p.doc, tag("tr", "version"))[2]
	sum := attr(findAll(tr, tag("code", "checksum"))[0], "title")
	if sum != testserver.Digest(stable) {
		t.Errorf("1.0.0 shows checksum %q, want Gitea's %s", sum, testserver.Digest(stable))
	}
	dl := fetch(t, http.MethodGet, base+attr(findAll(tr, tag("a", "download"))[0], "href"))
	if dl.status != http.StatusOK || testserver.Digest([]byte(dl.body)) != sum {
		t.Errorf("the download link gives %d, %q", dl.status, dl.body)
	}
	if !strings.Contains(text(p.doc), "charts") || !strings.Contains(text(p.doc), "gitea") {
		t.Error("the page lacks the topics or the source")
	}
}
