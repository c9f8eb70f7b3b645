package web_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// Annotations an attacker controls: every one of them must reach the page
// as text.
const (
	evilDescription = `<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2"> Tom & Jerry's 'quoted' "provider"`
	evilAuthor      = `"><script>window.__pwned=3</script>`
	evilSource      = `javascript:window.__pwned=4`
	evilTags        = `<b>bold</b>,x' onmouseover='window.__pwned=5,"quoted"`
)

var nsCounter atomic.Int64

// hostileRegistry pushes, with the oras CLI, into a real distribution
// registry the demo examples plus a provider "evil" whose annotations hold
// markup, quotes and a javascript: URL, and returns the configuration that
// serves that registry.
func hostileRegistry(t *testing.T) config.Config {
	t.Helper()
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.OCI.Registry = reg.Host
	cfg.OCI.Insecure = true
	cfg.OCI.Namespace = fmt.Sprintf("web%d/provisioning-extensions", nsCounter.Add(1))

	b, err := app.NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.PublishExamples(t.Context(), b, "../examples"); err != nil {
		t.Fatalf("PublishExamples to %s: %v", reg.Host, err)
	}
	dir := t.TempDir()
	writeTarGz(t, filepath.Join(dir, "evil_provider.tar.gz"), map[string]string{"main.k": "evil"})
	testserver.OrasIn(t, dir, "push", "--plain-http", reg.Host+"/"+cfg.OCI.Namespace+"/evil:1.0.0-rc.1",
		"evil_provider.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip",
		"--annotation", "io.provisioning.extension.type=provider",
		"--annotation", "org.opencontainers.image.description="+evilDescription,
		"--annotation", "org.opencontainers.image.authors="+evilAuthor,
		"--annotation", "org.opencontainers.image.source="+evilSource,
		"--annotation", "io.provisioning.extension.tags="+evilTags,
		"--annotation", "org.opencontainers.image.created=2025-11-02T09:00:00Z")
	return cfg
}

// writeTarGz writes a gzip tar of files at path.
func writeTarGz(t *testing.T, path string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAnnotationsAreShownAsText(t *testing.T) {
	base := serve(t, hostileRegistry(t))
	for _, path := range []string{"/", "/search?q=evil", "/search?q=jerry", "/extensions/provider/evil"} {
		t.Run(path, func(t *testing.T) {
			p := get(t, base+path, http.StatusOK)
			checkManners(t, path, p)
			// Only the page's own script and no element an annotation made.
			for _, s := range findAll(p.doc, tag("script")) {
				if attr(s, "src") == "" {
					t.Error("an inline script made it into the page")
				}
			}
			if n := len(findAll(p.doc, tag("img"))) + len(findAll(p.doc, tag("b"))); n != 0 {
				t.Errorf("%d elements from annotations made it into the page", n)
			}
			if strings.Contains(p.body, "<script>window") || strings.Contains(p.body, `onerror="`) || strings.Contains(p.body, "' onmouseover='") {
				t.Error("raw annotation markup in the page")
			}
			if !strings.Contains(text(p.doc), `"><img src=x onerror="window.__pwned=2"> Tom & Jerry's 'quoted' "provider"`) {
				t.Error("the description is not shown as text")
			}
		})
	}
	p := get(t, base+"/extensions/provider/evil", http.StatusOK)
	all := text(p.doc)
	for _, s := range []string{evilAuthor, "<b>bold</b>", "x' onmouseover='window.__pwned=5", `"quoted"`, evilSource, "pre-release"} {
		if !strings.Contains(all, s) {
			t.Errorf("the page does not show %q as text", s)
		}
	}
	for _, a := range findAll(p.doc, tag("a")) {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(attr(a, "href"))), "javascript:") {
			t.Error("a javascript: repository became a link")
		}
	}
	// The demo extensions come from the same registry, downloads included.
	home := get(t, base+"/", http.StatusOK)
	if got := len(cardNames(home)); got != len(demoExtensions)+1 {
		t.Errorf("home shows %d extensions from the registry, want %d", got, len(demoExtensions)+1)
	}
}

func TestSourceDownPage(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Gitea.URL = "http://" + testserver.ClosedAddr(t)
	cfg.Gitea.Organizations = []string{"provisioning"}
	base := serve(t, cfg)

	p := get(t, base+"/", http.StatusOK)
	checkManners(t, "home", p)
	if got := len(cardNames(p)); got != len(demoExtensions) {
		t.Errorf("with gitea down home shows %d extensions, want the %d of oci", got, len(demoExtensions))
	}
	notice := findAll(p.doc, tag("div", "notice"))
	if len(notice) != 1 || !strings.Contains(text(notice[0]), "gitea") || !strings.Contains(text(notice[0]), "unavailable") {
		t.Fatalf("no notice naming the failing source: %v", notice)
	}
	if ext := get(t, base+"/extensions/taskserv/kubernetes", http.StatusOK); len(findAll(ext.doc, tag("div", "notice"))) != 1 {
		t.Error("the extension page does not say a source is down")
	}

	// With every source down nothing is known: a 503 page that says why.
	only := config.Default()
	only.Listen, only.DataDir = "127.0.0.1:0", t.TempDir()
	only.Sources = []string{string(registry.SourceGitea)}
	only.Gitea.URL, only.Gitea.Organizations = cfg.Gitea.URL, cfg.Gitea.Organizations
	down := serve(t, only)
	for _, path := range []string{"/", "/search?q=kube", "/extensions/taskserv/kubernetes"} {
		p := get(t, down+path, http.StatusServiceUnavailable)
		checkManners(t, path, p)
		if !strings.Contains(text(p.doc), "gitea") {
			t.Errorf("%s: the 503 page does not name the source: %s", path, text(p.doc))
		}
	}
}

func TestPagesStayUnder100KB(t *testing.T) {
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	b, err := app.NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "x.tar.gz")
	writeTarGz(t, archive, map[string]string{"main.k": "x"})
	worst := strings.Repeat(`<"'&`, 3_000) // past every cap, each character escaped to 4-5 bytes
	var tags []string
	for i := range 25 {
		tags = append(tags, fmt.Sprintf("%d%s", i, strings.Repeat(`"<`, 50)))
	}
	long := strings.Repeat("n", 120)
	publish := func(name, version string) {
		t.Helper()
		if _, err := b.Publish(t.Context(), oci.Artifact{
			Path: archive, Type: registry.Provider, Name: name, Version: version,
			Description: worst, Author: worst[:2_000], Repository: "https://example.com/" + worst[:1000], Tags: tags,
			Created: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		}); err != nil {
			t.Fatalf("publish %s %s: %v", name, version, err)
		}
	}
	for i := range 21 {
		publish(long, fmt.Sprintf("1.0.%d-%s", i, strings.Repeat("r", 110)))
	}
	for i := range perPageForTest + 1 {
		publish(fmt.Sprintf("%s%03d", long, i), "1.0.0")
	}
	base := serve(t, cfg)
	for _, path := range []string{"/", "/?page=2", "/search?q=nnn", "/extensions/provider/" + long, "/extensions/provider/" + long + "?page=2"} {
		p := get(t, base+path, http.StatusOK)
		checkManners(t, path, p)
		t.Logf("%s: %d bytes", path[:min(len(path), 40)], len(p.body))
	}
	ext := get(t, base+"/extensions/provider/"+long, http.StatusOK)
	rows := len(findAll(ext.doc, tag("tr", "version")))
	next := findAll(ext.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "rel") == "next" })
	if rows == 0 || rows >= 21 || len(next) != 1 {
		t.Fatalf("21 versions: %d rows on the first page, %d next links; want paging", rows, len(next))
	}
	second := get(t, base+attr(next[0], "href"), http.StatusOK)
	if got := len(findAll(second.doc, tag("tr", "version"))); rows+got != 21 {
		t.Errorf("the two pages show %d+%d versions, want 21", rows, got)
	}
}

// perPageForTest is at least the number of cards a list page shows.
const perPageForTest = 40
