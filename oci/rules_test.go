package oci

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestProvWinsOverProvider pins the root package's naming rule in the OCI
// backend: of aws_prov and aws_provider in one namespace, aws_prov serves
// the extension, in List and in Get alike (before, OCI preferred
// _provider while Gitea preferred _prov).
func TestProvWinsOverProvider(t *testing.T) {
	b := mustLayout(t, "")
	dir := t.TempDir()
	for _, repo := range []string{"aws_provider", "aws_prov"} {
		mustPublish(t, b, Artifact{
			Path: mustTarGz(t, dir, repo+".tar.gz", map[string]string{"name": repo}),
			Type: registry.Provider, Name: repo, Version: "1.0.0", Description: "from " + repo,
		})
	}
	exts, err := b.List(testContext(t))
	if err != nil || len(exts) != 1 || exts[0].Name != "aws" || exts[0].Description != "from aws_prov" {
		t.Errorf("List = %+v, %v; want provider aws from aws_prov", exts, err)
	}
	e, err := b.Get(testContext(t), registry.Provider, "aws")
	if err != nil || e.Description != "from aws_prov" {
		t.Errorf("Get = %+v, %v; want the one of aws_prov", e, err)
	}
}

// TestPrereleaseVersions: OCI versions carry Prerelease from the tag's
// pre-release part, and the current version is the root rule's.
func TestPrereleaseVersions(t *testing.T) {
	b := mustLayout(t, "")
	dir := t.TempDir()
	for _, v := range []string{"1.0.0", "2.0.0-rc.1"} {
		mustPublish(t, b, Artifact{Path: mustTarGz(t, dir, v+".tar.gz", map[string]string{"v": v}), Type: registry.Taskserv, Name: "k3s", Version: v})
	}
	vs, err := b.Versions(testContext(t), registry.Taskserv, "k3s")
	if err != nil || len(vs) != 2 || vs[0].Version != "2.0.0-rc.1" || !vs[0].Prerelease || vs[1].Prerelease {
		t.Fatalf("Versions = %+v, %v; want 2.0.0-rc.1 (pre-release), 1.0.0", vs, err)
	}
	if e, err := b.Get(testContext(t), registry.Taskserv, "k3s"); err != nil || e.Version != "1.0.0" {
		t.Errorf("Get = %+v, %v; want current version 1.0.0", e, err)
	}
}

// rateLimiter answers the registry's tag lists with 429 and the given
// Retry-After, and passes every other request to the real registry.
type rateLimiter struct {
	retryAfter string
	tagLists   atomic.Int32
}

func (l *rateLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/tags/list") {
		l.tagLists.Add(1)
		return &http.Response{StatusCode: http.StatusTooManyRequests, Status: "429 Too Many Requests",
			Header:  http.Header{"Retry-After": {l.retryAfter}, "Content-Type": {"application/json"}},
			Body:    io.NopCloser(strings.NewReader(`{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`)),
			Request: req}, nil
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestRateLimitCarriesRetryAfter: the OCI backend retries through
// internal/upstream's policy, and a rate limit that outlasts it reports
// the registry's Retry-After.
func TestRateLimitCarriesRetryAfter(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	ns := uniqueNamespace(t)
	pub := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns})
	mustPublish(t, pub, Artifact{Path: mustTarGz(t, t.TempDir(), "a.tar.gz", map[string]string{"a": "a"}), Type: registry.Taskserv, Name: "k3s", Version: "1.0.0"})

	short := &rateLimiter{retryAfter: "0"}
	b := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns, Transport: short, Repositories: []string{"k3s"}})
	_, err := b.Get(testContext(t), registry.Taskserv, "k3s")
	if !errors.Is(err, registry.ErrRateLimited) || short.tagLists.Load() != 3 {
		t.Errorf("Get under a 429: %v after %d tag lists; want ErrRateLimited after two retries", err, short.tagLists.Load())
	}

	long := &rateLimiter{retryAfter: "45"}
	b = mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns, Transport: long, Repositories: []string{"k3s"}})
	start := time.Now()
	_, err = b.Get(testContext(t), registry.Taskserv, "k3s")
	if d, ok := registry.RetryAfter(err); !ok || d != 45*time.Second {
		t.Errorf("RetryAfter(%v) = %s, %v; want the registry's 45 s", err, d, ok)
	}
	if n := long.tagLists.Load(); n != 1 || time.Since(start) > 5*time.Second {
		t.Errorf("%d tag lists in %s: a Retry-After past the cap is reported, not waited for", n, time.Since(start))
	}
}
