package httpapi_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/secret"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// TestOrasPushedArtifacts checks contract §2 from the client's side:
// artifacts pushed by a plain `oras push` with --annotation flags are served
// exactly like those of `extension-registry publish`; without a type
// annotation the repository suffix decides; a repository with neither is
// left out without breaking the list. (The oci package checks the same rules
// on the backend; this is what an API client sees.)
func TestOrasPushedArtifacts(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	cfg := registryConfig(t, reg.Host)
	ns := cfg.OCI.Namespace
	dir := t.TempDir()
	archive := mustTarGz(t, dir, "hetzner_provider.tar.gz", map[string]string{"main.k": "hetzner 0.3.0"})
	old := mustTarGz(t, dir, "hetzner-0.2.0.tar.gz", map[string]string{"main.k": "hetzner 0.2.0"})
	k3s := mustTarGz(t, dir, "k3s.tar.gz", map[string]string{"main.k": "k3s"})

	push := func(ref, file string, annotations ...string) {
		t.Helper()
		args := []string{"push", "--plain-http", reg.Host + "/" + ns + "/" + ref, file + ":application/vnd.oci.image.layer.v1.tar+gzip"}
		for _, a := range annotations {
			args = append(args, "--annotation", a)
		}
		testserver.OrasIn(t, dir, args...)
	}
	meta := []string{
		"io.provisioning.extension.type=provider",
		"org.opencontainers.image.description=Hetzner Cloud provider",
		"org.opencontainers.image.authors=hetzner-team",
		"org.opencontainers.image.source=https://git.example.com/hetzner",
		"org.opencontainers.image.created=2025-10-01T08:00:00Z",
		"io.provisioning.extension.tags=cloud, hetzner",
	}
	push("hetzner:0.3.0", "hetzner_provider.tar.gz", meta...)
	push("hetzner:v0.2.0", "hetzner-0.2.0.tar.gz", "io.provisioning.extension.type=provider", "org.opencontainers.image.created=2025-09-01T08:00:00Z")
	push("k3s_taskserv:1.27.5", "k3s.tar.gz", "org.opencontainers.image.description=Lightweight Kubernetes")
	push("mystery:1.0.0", "k3s.tar.gz", "org.opencontainers.image.description=no type anywhere")
	// Two layers: the download is the first tar+gzip one.
	mustWrite(t, filepath.Join(dir, "README.md"), []byte("# multi\n"))
	testserver.OrasIn(t, dir, "push", "--plain-http", reg.Host+"/"+ns+"/multi:2.0.0", "README.md:text/markdown",
		"k3s.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip", "--annotation", "io.provisioning.extension.type=cluster")
	// The same archive and metadata through publish, as "twin".
	mustPublish(t, publisher(t, cfg), oci.Artifact{
		Path: archive, Type: registry.Provider, Name: "twin", Version: "0.3.0",
		Description: "Hetzner Cloud provider", Author: "hetzner-team", Repository: "https://git.example.com/hetzner",
		Tags: []string{"cloud", "hetzner"}, Created: at("2025-10-01T08:00:00Z"),
	})
	s := startServer(t, cfg)

	exts, r := s.objects(t, "/api/v1/extensions")
	if got, want := names(exts), []string{"provider/hetzner@0.3.0", "taskserv/k3s@1.27.5", "cluster/multi@2.0.0", "provider/twin@0.3.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("list = %v, want %v (mystery left out)", got, want)
	}
	if r.header.Get("X-Total-Count") != "4" {
		t.Errorf("X-Total-Count %q", r.header.Get("X-Total-Count"))
	}

	t.Run("oras push with annotations reads like publish", func(t *testing.T) {
		var hetzner, twin map[string]any
		s.getJSON(t, "/api/v1/extensions/provider/hetzner", &hetzner)
		s.getJSON(t, "/api/v1/extensions/provider/twin", &twin)
		sum, size := fileSum(t, archive)
		want := map[string]any{
			"name": "hetzner", "type": "provider", "version": "0.3.0",
			"description": "Hetzner Cloud provider", "author": "hetzner-team", "repository": "https://git.example.com/hetzner",
			"source": "oci", "published_at": "2025-10-01T08:00:00Z",
			"download_url": s.URL + "/api/v1/extensions/provider/hetzner/0.3.0",
			"checksum":     sum, "size": float64(size), "tags": []any{"cloud", "hetzner"},
		}
		if !reflect.DeepEqual(hetzner, want) {
			t.Errorf("oras-pushed hetzner =\n%v\nwant\n%v", hetzner, want)
		}
		twin["name"], twin["download_url"] = "hetzner", hetzner["download_url"]
		if !reflect.DeepEqual(hetzner, twin) {
			t.Errorf("oras-pushed\n%v\npublished\n%v", hetzner, twin)
		}
		// Both downloads are saved under the archive's name (its title).
		for _, name := range []string{"hetzner", "twin"} {
			path := "/api/v1/extensions/provider/" + name + "/0.3.0"
			checkDownload(t, path, s.get(t, path), "hetzner_provider.tar.gz", sum, size)
		}
		curlOJ(t, s.URL+"/api/v1/extensions/provider/hetzner/0.3.0", "hetzner_provider.tar.gz", sum)
	})

	t.Run("a v-prefixed tag is a version", func(t *testing.T) {
		vs, _ := s.objects(t, "/api/v1/extensions/provider/hetzner/versions")
		var got []string
		for _, v := range vs {
			got = append(got, v["version"].(string)+"@"+v["published_at"].(string))
		}
		if want := []string{"0.3.0@2025-10-01T08:00:00Z", "0.2.0@2025-09-01T08:00:00Z"}; !reflect.DeepEqual(got, want) {
			t.Errorf("versions = %v, want %v", got, want)
		}
		sum, size := fileSum(t, old)
		for _, v := range []string{"0.2.0", "v0.2.0"} {
			path := "/api/v1/extensions/provider/hetzner/" + v
			checkDownload(t, path, s.get(t, path), "hetzner-0.2.0.tar.gz", sum, size)
		}
	})

	t.Run("type from the repository suffix", func(t *testing.T) {
		var e map[string]any
		s.getJSON(t, "/api/v1/extensions/taskserv/k3s", &e)
		if e["name"] != "k3s" || e["type"] != "taskserv" || e["description"] != "Lightweight Kubernetes" {
			t.Errorf("k3s_taskserv = %v", e)
		}
		sum, size := fileSum(t, k3s)
		checkDownload(t, "k3s", s.get(t, "/api/v1/extensions/taskserv/k3s/1.27.5"), "k3s.tar.gz", sum, size)
		// It is not also served under its repository name.
		checkError(t, "k3s_taskserv", s.get(t, "/api/v1/extensions/taskserv/k3s_taskserv"), 404, "not_found", "Extension taskserv/k3s_taskserv not found", true)
	})

	t.Run("the first tar+gzip layer of several", func(t *testing.T) {
		var e map[string]any
		s.getJSON(t, "/api/v1/extensions/cluster/multi", &e)
		sum, size := fileSum(t, k3s)
		if e["checksum"] != sum || e["size"] != float64(size) {
			t.Errorf("multi = %v, want the archive layer (%s, %d bytes)", e, sum, size)
		}
		checkDownload(t, "multi", s.get(t, "/api/v1/extensions/cluster/multi/2.0.0"), "k3s.tar.gz", sum, size)
	})

	t.Run("a repository without a type is skipped", func(t *testing.T) {
		for _, typ := range []string{"provider", "taskserv", "cluster"} {
			path := "/api/v1/extensions/" + typ + "/mystery"
			checkError(t, path, s.get(t, path), 404, "not_found", "Extension "+typ+"/mystery not found", true)
		}
		if exts, _ := s.objects(t, "/api/v1/extensions/search?q=no+type"); len(exts) != 0 {
			t.Errorf("search finds the skipped repository: %v", names(exts))
		}
		if n := strings.Count(s.logs.String(), ns+"/mystery"); n != 1 {
			t.Errorf("the skipped repository was logged %d times, want once", n)
		}
	})
}

// TestRegistryCredentials runs against a registry protected by htpasswd:
// with the configured credentials everything is served; with wrong or no
// credentials the API answers 401 auth_error and /health is degraded, and
// the password never shows in an answer or a metric.
func TestRegistryCredentials(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{Htpasswd: true})
	cfg := registryConfig(t, reg.Host)
	cfg.OCI.Username, cfg.OCI.Password = reg.Username, secret.New(reg.Password)
	file := mustTarGz(t, t.TempDir(), "vault.tar.gz", map[string]string{"a": "b"})
	mustPublish(t, publisher(t, cfg), oci.Artifact{Path: file, Type: registry.Provider, Name: "vault", Version: "1.0.0", Description: "Secret store"})
	sum, size := fileSum(t, file)

	t.Run("right credentials", func(t *testing.T) {
		s := startServer(t, cfg)
		exts, _ := s.objects(t, "/api/v1/extensions")
		if got := names(exts); !reflect.DeepEqual(got, []string{"provider/vault@1.0.0"}) {
			t.Errorf("list = %v", got)
		}
		checkDownload(t, "vault", s.get(t, "/api/v1/extensions/provider/vault/1.0.0"), "vault.tar.gz", sum, size)
		if status, oci := s.ociHealth(t, client); status != "healthy" || oci["healthy"] != true {
			t.Errorf("health %s %v", status, oci)
		}
	})

	const wrong = "wrong-password-7f3a"
	for _, c := range []struct{ name, user, password string }{
		{"wrong password", reg.Username, wrong},
		{"no credentials", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := cfg
			cfg.OCI.Username, cfg.OCI.Password = c.user, secret.New(c.password)
			s := startServer(t, cfg)
			var bodies []string
			for _, path := range []string{"/api/v1/extensions", "/api/v1/extensions/provider/vault", "/api/v1/extensions/provider/vault/1.0.0"} {
				r := s.get(t, path)
				checkError(t, path, r, http.StatusUnauthorized, "auth_error", "Authentication", false)
				bodies = append(bodies, string(r.body))
			}
			status, oci := s.ociHealth(t, client)
			msg, _ := oci["error"].(string)
			if status != "degraded" || oci["healthy"] != false || !strings.Contains(msg, "credentials") {
				t.Errorf("health %s %v, want degraded naming the credentials", status, oci)
			}
			bodies = append(bodies, msg, s.scrape(t).text)
			for _, b := range bodies {
				if strings.Contains(b, wrong) || strings.Contains(b, reg.Password) {
					t.Errorf("an answer shows a password: %s", b)
				}
			}
		})
	}
}

// TestExplicitRepositories serves a registry whose /v2/_catalog is disabled
// (a proxy answers it 404, as GHCR and Docker Hub do): with oci.repositories
// the listed extensions are served and the catalog is never asked; without
// it the list is a 503.
func TestExplicitRepositories(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	cfg := registryConfig(t, reg.Host)
	pub := publisher(t, cfg)
	file := mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"})
	mustPublish(t, pub, oci.Artifact{Path: file, Type: registry.Provider, Name: "aws", Version: "1.0.0"})
	mustPublish(t, pub, oci.Artifact{Path: file, Type: registry.Taskserv, Name: "k3s_taskserv", Version: "1.27.5"})
	mustPublish(t, pub, oci.Artifact{Path: file, Type: registry.Cluster, Name: "unlisted", Version: "1.0.0"})
	px := startProxy(t, reg.Host, true)
	cfg.OCI.Registry = px.host

	t.Run("with the list", func(t *testing.T) {
		cfg := cfg
		cfg.OCI.Repositories = []string{"aws", cfg.OCI.Namespace + "/k3s_taskserv"}
		s := startServer(t, cfg)
		exts, _ := s.objects(t, "/api/v1/extensions")
		if got, want := names(exts), []string{"provider/aws@1.0.0", "taskserv/k3s@1.27.5"}; !reflect.DeepEqual(got, want) {
			t.Errorf("list = %v, want %v", got, want)
		}
		var e map[string]any
		s.getJSON(t, "/api/v1/extensions/taskserv/k3s", &e)
		checkError(t, "unlisted", s.get(t, "/api/v1/extensions/cluster/unlisted"), 404, "not_found", "Extension cluster/unlisted not found", true)
		if status, _ := s.ociHealth(t, client); status != "healthy" {
			t.Errorf("health %s", status)
		}
		if n := px.catalog.Load(); n != 0 {
			t.Errorf("/v2/_catalog asked %d times despite oci.repositories", n)
		}
	})

	t.Run("without the list", func(t *testing.T) {
		s := startServer(t, cfg)
		checkError(t, "list", s.get(t, "/api/v1/extensions"), http.StatusServiceUnavailable, "service_unavailable", "explicit repository list", false)
		if px.catalog.Load() == 0 {
			t.Error("the catalog was not asked")
		}
		if !strings.Contains(s.logs.String(), "explicit repository list") {
			t.Errorf("the log does not hint at oci.repositories:\n%s", s.logs)
		}
	})
}

// TestRegistryFailures maps the registry's failures to the API's errors: a
// registry rate limiting the service (429, after the client's retries) is a
// 429 rate_limit with Retry-After, a failing one a 503 service_unavailable.
// Failures are not cached: the service recovers with the registry.
func TestRegistryFailures(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	cfg := registryConfig(t, reg.Host)
	file := mustTarGz(t, t.TempDir(), "aws.tar.gz", map[string]string{"a": "b"})
	mustPublish(t, publisher(t, cfg), oci.Artifact{Path: file, Type: registry.Provider, Name: "aws", Version: "1.2.0"})
	px := startProxy(t, reg.Host, false)
	px.fail.Store(http.StatusTooManyRequests)
	cfg.OCI.Registry = px.host
	s := startServer(t, cfg)

	for _, path := range []string{"/api/v1/extensions", "/api/v1/extensions/provider/aws/1.2.0"} {
		r := s.get(t, path)
		checkError(t, "429: "+path, r, http.StatusTooManyRequests, "rate_limit", "rate limiting", false)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("429: %s: no Retry-After", path)
		}
	}
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusInternalServerError} {
		px.fail.Store(int64(status))
		checkError(t, fmt.Sprint(status), s.get(t, "/api/v1/extensions/provider/aws"), http.StatusServiceUnavailable, "service_unavailable", "unavailable", false)
	}
	px.fail.Store(0)
	exts, _ := s.objects(t, "/api/v1/extensions")
	if got := names(exts); !reflect.DeepEqual(got, []string{"provider/aws@1.2.0"}) {
		t.Errorf("after the registry recovered: %v", got)
	}
	checkDownload(t, "after recovery", s.get(t, "/api/v1/extensions/provider/aws/1.2.0"), "aws.tar.gz", bytesSumFile(t, file), fileSize(t, file))
}

func bytesSumFile(t *testing.T, path string) string { s, _ := fileSum(t, path); return s }
func fileSize(t *testing.T, path string) int64      { _, n := fileSum(t, path); return n }
