package oci

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// countingProxy is a reverse proxy in front of a real registry that counts
// requests and can refuse the catalog like GHCR or Docker Hub do.
type countingProxy struct {
	host          string // host:port of the proxy
	catalog, tags atomic.Int64
	pagedTags     atomic.Int64 // tag list requests continuing after "last"
}

func startProxy(tb testing.TB, registryHost string, catalogStatus int) *countingProxy {
	tb.Helper()
	target, err := url.Parse("http://" + registryHost)
	if err != nil {
		tb.Fatal(err)
	}
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v2/_catalog":
			p.catalog.Add(1)
			if catalogStatus != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(catalogStatus)
				fmt.Fprintf(w, `{"errors":[{"code":"UNSUPPORTED","message":"catalog disabled"}]}`)
				return
			}
		case strings.HasSuffix(r.URL.Path, "/tags/list"):
			p.tags.Add(1)
			if r.URL.Query().Get("last") != "" {
				p.pagedTags.Add(1)
			}
		}
		rp.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	p.host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// TestExplicitRepositories covers registries whose catalog is disabled: with
// an explicit list the backend never calls /v2/_catalog; without one, List
// fails: ErrUnavailable for a 404 (the registry cannot be listed),
// ErrUnauthorized for a 401.
func TestExplicitRepositories(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	ns := uniqueNamespace(t)
	ctx := testContext(t)
	publisher := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns})
	file := mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"})
	for _, name := range []string{"aws", "k3s_taskserv", "unlisted"} {
		typ := registry.Provider
		if name == "k3s_taskserv" {
			typ = registry.Taskserv
		}
		mustPublish(t, publisher, Artifact{Path: file, Type: typ, Name: name, Version: "1.0.0"})
	}

	for _, status := range []int{http.StatusNotFound, http.StatusUnauthorized} {
		t.Run(fmt.Sprintf("catalog answers %d", status), func(t *testing.T) {
			proxy := startProxy(t, reg.Host, status)
			b := mustRemote(t, RemoteOptions{
				Registry: proxy.host, Namespace: ns,
				Repositories: []string{"aws", ns + "/k3s_taskserv", " ", "aws", "missing"},
			})
			exts, err := b.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range exts {
				keys = append(keys, e.Key())
			}
			if want := []string{"provider/aws", "taskserv/k3s"}; !reflect.DeepEqual(keys, want) {
				t.Errorf("List = %v, want %v", keys, want)
			}
			if _, err := b.Get(ctx, registry.Taskserv, "k3s"); err != nil {
				t.Errorf("Get k3s: %v", err)
			}
			if _, err := b.Get(ctx, registry.Provider, "unlisted"); !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("Get of a repository missing from the list: %v, want ErrNotFound", err)
			}
			if n := proxy.catalog.Load(); n != 0 {
				t.Errorf("/v2/_catalog called %d times with an explicit list", n)
			}

			without := mustRemote(t, RemoteOptions{Registry: proxy.host, Namespace: ns})
			want := registry.ErrUnavailable // the registry cannot be listed
			if status == http.StatusUnauthorized {
				want = registry.ErrUnauthorized
			}
			if _, err := without.List(ctx); !errors.Is(err, want) {
				t.Errorf("List without the list: %v, want %v", err, want)
			}
		})
	}

	t.Run("invalid entries are refused at construction", func(t *testing.T) {
		for _, entry := range []string{"a/b", "other-ns/aws/x", "Upper", ".."} {
			_, err := NewRemote(RemoteOptions{Registry: reg.Host, Namespace: ns, Repositories: []string{entry}})
			if !errors.Is(err, registry.ErrInvalid) {
				t.Errorf("%q: %v, want ErrInvalid", entry, err)
			}
		}
	})
}

// TestPaging checks that every catalog page and every tag page is followed.
func TestPaging(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	ns := uniqueNamespace(t)
	ctx := testContext(t)
	publisher := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns})
	file := mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"})
	names := []string{"a1", "a2", "a3", "a4", "a5"}
	versions := []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.0.1"}
	for _, n := range names {
		for _, v := range versions {
			mustPublish(t, publisher, Artifact{Path: file, Type: registry.Cluster, Name: n, Version: v})
		}
	}

	proxy := startProxy(t, reg.Host, 0)
	b := mustRemote(t, RemoteOptions{Registry: proxy.host, Namespace: ns, PageSize: 2})
	exts, err := b.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(exts) != len(names) {
		t.Fatalf("List found %d extensions, want %d: %+v", len(exts), len(names), exts)
	}
	for _, e := range exts {
		if e.Version != "2.0.1" {
			t.Errorf("%s: current %s, want 2.0.1 (on the last tag page)", e.Key(), e.Version)
		}
	}
	vs, err := b.Versions(ctx, registry.Cluster, "a3")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(versions) {
		t.Errorf("Versions = %+v, want %d", vs, len(versions))
	}
	if proxy.catalog.Load() < 3 || proxy.pagedTags.Load() == 0 {
		t.Errorf("catalog requests %d, paged tag requests %d: paging was not exercised", proxy.catalog.Load(), proxy.pagedTags.Load())
	}
}
