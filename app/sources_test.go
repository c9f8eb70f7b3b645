package app

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	sdk "code.gitea.io/sdk/gitea"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/secret"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// srcLogs collects what a registry logs, safe for concurrent writers.
type srcLogs = testserver.LogBuffer

// srcFixture is the same extension, provider/aws, published in a real
// Gitea (a private organization, version 1.2.0) and in the embedded OCI
// store (version 2.0.0), plus one extension only in each.
type srcFixture struct {
	gitea   *testserver.Gitea
	org     string
	token   string
	dataDir string
	// giteaAWS and giteaK8s are the archives uploaded to Gitea.
	giteaAWS, giteaK8s []byte
	awsAsset           *sdk.Attachment
}

func srcSeed(t *testing.T) *srcFixture {
	t.Helper()
	g := testserver.StartGitea(t, testserver.GiteaOptions{})
	s := g.Seed(t)
	f := &srcFixture{
		gitea:    g,
		org:      testserver.UniqueName("sources"),
		dataDir:  t.TempDir(),
		giteaAWS: []byte("the gitea archive of aws 1.2.0\n" + strings.Repeat("aws", 4000)),
		giteaK8s: []byte("the gitea archive of kubernetes 1.28.0\n"),
	}
	s.Org(f.org, sdk.VisibleTypePrivate)
	s.Repo(f.org, "aws_prov", "AWS provider from Gitea", "cloud")
	rel := s.Release(f.org, "aws_prov", testserver.Release{Tag: "v1.2.0", Assets: []testserver.Asset{
		{Name: "aws_prov.tar.gz", Data: f.giteaAWS},
		{Name: "aws_prov.tar.gz.sha256", Data: []byte(srcHex(f.giteaAWS) + "  aws_prov.tar.gz\n")},
	}})
	for _, a := range rel.Attachments {
		if a.Name == "aws_prov.tar.gz" {
			f.awsAsset = a
		}
	}
	s.Repo(f.org, "kubernetes_taskserv", "Kubernetes from Gitea")
	s.Release(f.org, "kubernetes_taskserv", testserver.Release{Tag: "1.28.0", Assets: []testserver.Asset{{Name: "kubernetes_taskserv.tar.gz", Data: f.giteaK8s}}})
	// The registry reads the private organization with a user's token.
	const password = "Sources-pass-1234"
	user := testserver.UniqueName("registry")
	s.User(user, password)
	s.AddReader(f.org, user)
	f.token = s.Token(user, password, "read:organization", "read:repository")

	cfg := config.Default()
	cfg.DataDir = f.dataDir
	store, err := NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, a := range []oci.Artifact{
		{Type: registry.Provider, Name: "aws", Version: "2.0.0", Description: "AWS provider from OCI", Author: "oci-team"},
		{Type: registry.Cluster, Name: "buildkit", Version: "0.12.0", Description: "BuildKit from OCI"},
	} {
		a.Path = filepath.Join(dir, a.Name)
		if err := os.MkdirAll(a.Path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(a.Path, "README.md"), []byte(a.Description), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Publish(t.Context(), a); err != nil {
			t.Fatalf("publish %s: %v", a.Name, err)
		}
	}
	return f
}

// srcStart runs a registry over the fixture with the given source order
// and returns its base URL and logs.
func srcStart(t *testing.T, f *srcFixture, sources ...string) (string, *srcLogs) {
	t.Helper()
	return srcStartWith(t, f, func(cfg *config.Config) { cfg.Sources = sources })
}

// srcStartWith is srcStart with a configuration that change adjusts.
func srcStartWith(t *testing.T, f *srcFixture, change func(*config.Config)) (string, *srcLogs) {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = f.dataDir
	cfg.Gitea = config.Gitea{URL: f.gitea.URL, Organizations: []string{f.org}, Token: secret.New(f.token)}
	change(&cfg)
	logs := &srcLogs{}
	// Cleanups run last first: the token check sees every log line.
	t.Cleanup(func() {
		if strings.Contains(logs.String(), f.token) {
			t.Error("the Gitea token shows in the registry's logs")
		}
	})
	base := runForTest(t, cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return base, logs
}

// srcGet sends GET url and returns the status, headers and body.
func srcGet(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header, body
}

// srcList decodes a 200 JSON list of extensions from url, keyed by
// "type/name".
func srcList(t *testing.T, url string) map[string]registry.Extension {
	t.Helper()
	code, _, body := srcGet(t, url)
	var exts []registry.Extension
	if code != http.StatusOK || json.Unmarshal(body, &exts) != nil {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	out := map[string]registry.Extension{}
	for _, e := range exts {
		out[e.Key()] = e
	}
	return out
}

// srcKeys returns the keys of m, ordered by type (as registry.Types) then
// name, comma separated.
func srcKeys(m map[string]registry.Extension) string {
	rank := func(k string) int {
		typ, _, _ := strings.Cut(k, "/")
		return slices.Index(registry.Types, registry.Type(typ))
	}
	ks := slices.Collect(maps.Keys(m))
	slices.SortFunc(ks, func(a, b string) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return strings.Join(ks, ",")
}

func srcHex(data []byte) string { return testserver.SHA256(data) }

// TestSourcesPrecedence runs the whole service over a real Gitea and the
// embedded OCI store that both hold provider/aws, in both source orders,
// and checks contract §4 as a client sees it through /api/v1: the first
// source serves the extension (list, get, versions, download), the other
// copy is neither listed nor downloadable and is logged once, ?source=
// filters by the source that serves, and a Gitea download streams the
// release asset with its headers.
func TestSourcesPrecedence(t *testing.T) {
	f := srcSeed(t)

	for _, order := range [][]string{{"gitea", "oci"}, {"oci", "gitea"}} {
		t.Run(strings.Join(order, ","), func(t *testing.T) {
			base, logs := srcStart(t, f, order...)
			api := base + "/api/v1"
			first := registry.Source(order[0])

			all := srcList(t, api+"/extensions")
			if got := srcKeys(all); got != "provider/aws,taskserv/kubernetes,cluster/buildkit" {
				t.Fatalf("list = %s", got)
			}
			aws := all["provider/aws"]
			if aws.Source != first {
				t.Errorf("provider/aws from %s, want %s (first in sources)", aws.Source, first)
			}
			if k := all["taskserv/kubernetes"]; k.Source != registry.SourceGitea || k.Version != "1.28.0" {
				t.Errorf("taskserv/kubernetes = %+v, want Gitea's 1.28.0", k)
			}
			if b := all["cluster/buildkit"]; b.Source != registry.SourceOCI {
				t.Errorf("cluster/buildkit = %+v, want OCI's", b)
			}

			var wantAWS registry.Extension
			switch first {
			case registry.SourceGitea:
				wantAWS = registry.Extension{Version: "1.2.0", Description: "AWS provider from Gitea", Author: f.org,
					Repository: f.gitea.URL + "/" + f.org + "/aws_prov", DownloadURL: f.awsAsset.DownloadURL,
					Checksum: "sha256:" + srcHex(f.giteaAWS), Size: int64(len(f.giteaAWS))}
			case registry.SourceOCI:
				wantAWS = registry.Extension{Version: "2.0.0", Description: "AWS provider from OCI", Author: "oci-team",
					DownloadURL: api + "/extensions/provider/aws/2.0.0"}
			}
			if aws.Version != wantAWS.Version || aws.Description != wantAWS.Description || aws.Author != wantAWS.Author ||
				aws.DownloadURL != wantAWS.DownloadURL || (wantAWS.Checksum != "" && aws.Checksum != wantAWS.Checksum) ||
				(wantAWS.Size != 0 && aws.Size != wantAWS.Size) || (wantAWS.Repository != "" && aws.Repository != wantAWS.Repository) {
				t.Errorf("provider/aws =\n %+v\nwant (where set)\n %+v", aws, wantAWS)
			}

			// Get and versions follow the same source.
			code, _, body := srcGet(t, api+"/extensions/provider/aws")
			var got registry.Extension
			if code != http.StatusOK || json.Unmarshal(body, &got) != nil || got.Source != first || got.Version != wantAWS.Version {
				t.Errorf("GET provider/aws: %d %s", code, body)
			}
			code, _, body = srcGet(t, api+"/extensions/provider/aws/versions")
			var vs []registry.Version
			if code != http.StatusOK || json.Unmarshal(body, &vs) != nil || len(vs) != 1 || vs[0].Version != wantAWS.Version {
				t.Errorf("GET provider/aws/versions: %d %s; want only %s", code, body, wantAWS.Version)
			}

			// ?source= keeps the extensions the named source serves.
			bySource := map[registry.Source]string{
				registry.SourceGitea: "provider/aws,taskserv/kubernetes",
				registry.SourceOCI:   "cluster/buildkit",
			}
			if first == registry.SourceOCI {
				bySource = map[registry.Source]string{
					registry.SourceGitea: "taskserv/kubernetes",
					registry.SourceOCI:   "provider/aws,cluster/buildkit",
				}
			}
			for src, want := range bySource {
				list := srcList(t, api+"/extensions?source="+string(src))
				if got := srcKeys(list); got != want {
					t.Errorf("?source=%s: %s, want %s", src, got, want)
				}
				for k, e := range list {
					if e.Source != src {
						t.Errorf("?source=%s lists %s from %s", src, k, e.Source)
					}
				}
			}

			// The served copy downloads; the shadowed one does not.
			served, shadowed := "1.2.0", "2.0.0"
			if first == registry.SourceOCI {
				served, shadowed = shadowed, served
			}
			if code, _, body := srcGet(t, api+"/extensions/provider/aws/"+shadowed); code != http.StatusNotFound {
				t.Errorf("download of the shadowed copy's %s: %d %s, want 404", shadowed, code, body)
			}
			code, h, data := srcGet(t, api+"/extensions/provider/aws/"+served)
			if code != http.StatusOK {
				t.Fatalf("download of %s: %d %s", served, code, data)
			}
			if first == registry.SourceGitea {
				srcCheckDownload(t, h, data, "aws_prov.tar.gz", f.giteaAWS, "sha256:"+srcHex(f.giteaAWS))
			} else if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
				t.Errorf("OCI download of aws %s is not a gzip stream", served)
			}
			// A Gitea extension no other source has downloads in both
			// orders, from the private organization, with the configured
			// token; it has no checksum file.
			code, h, data = srcGet(t, api+"/extensions/taskserv/kubernetes/1.28.0")
			if code != http.StatusOK {
				t.Fatalf("download of kubernetes: %d %s", code, data)
			}
			srcCheckDownload(t, h, data, "kubernetes_taskserv.tar.gz", f.giteaK8s, "")

			// Shadowing was logged once, however many requests listed.
			loser := order[1]
			if n := logs.Lines("shadowed", "provider/aws", "shadowed="+loser); n != 1 {
				t.Errorf("the shadowed provider/aws of %s logged %d times, want once:\n%s", loser, n, logs)
			}
			if n := logs.Lines("shadowed", "extension="); n != 1 {
				t.Errorf("%d shadowing lines, want 1 (only provider/aws is in both):\n%s", n, logs)
			}
		})
	}
}

// srcCheckDownload checks a download answer: the bytes uploaded to Gitea,
// and the headers a client saves them with.
func srcCheckDownload(t *testing.T, h http.Header, data []byte, file string, want []byte, checksum string) {
	t.Helper()
	if !bytes.Equal(data, want) {
		t.Errorf("%s: %d bytes, want the %d bytes uploaded to Gitea", file, len(data), len(want))
	}
	if ct := h.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("%s: Content-Type %q", file, ct)
	}
	if cl := h.Get("Content-Length"); cl != strconv.Itoa(len(want)) {
		t.Errorf("%s: Content-Length %q, want %d", file, cl, len(want))
	}
	_, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil || params["filename"] != file || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("Content-Disposition %q, want an attachment named %s", h.Get("Content-Disposition"), file)
	}
	if got := h.Get("X-Checksum"); got != checksum {
		t.Errorf("%s: X-Checksum %q, want %q", file, got, checksum)
	}
}

// TestSourceFailures checks what a client sees when the Gitea source is
// unusable: a configured organization that does not exist, or a Gitea that
// stopped. With the OCI store beside it, lists serve what OCI holds and
// /health is degraded naming the cause; with Gitea alone, lists answer 503
// (never 404: the list exists, its source does not).
func TestSourceFailures(t *testing.T) {
	f := srcSeed(t)
	missing := testserver.UniqueName("missing")
	errorBody := func(t *testing.T, body []byte) map[string]string {
		t.Helper()
		var e map[string]string
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("not an error body: %s", body)
		}
		return e
	}
	health := func(t *testing.T, base string) (string, string) {
		t.Helper()
		code, _, body := srcGet(t, base+"/api/v1/health")
		var h struct {
			Status   string `json:"status"`
			Backends map[string]struct {
				Healthy bool   `json:"healthy"`
				Error   string `json:"error"`
			} `json:"backends"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &h) != nil {
			t.Fatalf("health: %d %s", code, body)
		}
		return h.Status, h.Backends["gitea"].Error
	}

	t.Run("missing organization beside OCI", func(t *testing.T) {
		base, _ := srcStartWith(t, f, func(c *config.Config) { c.Gitea.Organizations = []string{missing} })
		if got := srcKeys(srcList(t, base+"/api/v1/extensions")); got != "provider/aws,cluster/buildkit" {
			t.Errorf("list = %s, want what OCI holds", got)
		}
		if status, cause := health(t, base); status != "degraded" || !strings.Contains(cause, missing) {
			t.Errorf("health = %s (%q), want degraded naming %s", status, cause, missing)
		}
	})
	t.Run("missing organization alone", func(t *testing.T) {
		base, _ := srcStartWith(t, f, func(c *config.Config) {
			c.Gitea.Organizations = []string{missing}
			c.Sources = []string{"gitea"}
		})
		for _, path := range []string{"/api/v1/extensions", "/api/v1/extensions/search?q=aws"} {
			code, _, body := srcGet(t, base+path)
			e := errorBody(t, body)
			if code != http.StatusServiceUnavailable || e["error"] != "service_unavailable" || !strings.Contains(e["message"], missing) {
				t.Errorf("%s = %d %s, want 503 naming the organization", path, code, body)
			}
		}
		// A single extension is not a plain 404 either: the missing
		// organization may hold it.
		if code, _, body := srcGet(t, base+"/api/v1/extensions/provider/aws"); code != http.StatusServiceUnavailable || !strings.Contains(errorBody(t, body)["message"], missing) {
			t.Errorf("get = %d %s, want 503 naming the organization", code, body)
		}
	})
	t.Run("Gitea stopped", func(t *testing.T) {
		base, _ := srcStartWith(t, f, func(c *config.Config) { c.Sources = []string{"gitea", "oci"} })
		if got := srcKeys(srcList(t, base+"/api/v1/extensions?source=gitea")); got != "provider/aws,taskserv/kubernetes" {
			t.Fatalf("gitea list before the stop = %s", got)
		}
		f.gitea.Close()
		if status, cause := health(t, base); status != "degraded" || cause == "" {
			t.Errorf("health = %s (%q), want degraded with a cause", status, cause)
		}
		// Cached answers keep being served; a download must reach Gitea.
		code, _, body := srcGet(t, base+"/api/v1/extensions/provider/aws/1.2.0")
		if code != http.StatusServiceUnavailable || errorBody(t, body)["error"] != "service_unavailable" {
			t.Errorf("download with Gitea stopped = %d %s, want 503", code, body)
		}
	})
}
