package catalog

import (
	"context"
	"errors"
	"io"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// TestListOfAFailingSourceFails: ?source=gitea while Gitea fails is the
// failure, not an empty list (issue 9), without the index too.
func TestListOfAFailingSourceFails(t *testing.T) {
	g := &fakeBackend{src: registry.SourceGitea, err: registry.Errorf(registry.ErrUnavailable, "gitea down")}
	o := indexFixture()
	c := newTestCatalog(g, o)
	ctx := context.Background()
	if _, err := c.List(ctx, Filter{Source: registry.SourceGitea}); !errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("List(source=gitea) = %v, want ErrUnavailable", err)
	}
	if l, err := c.List(ctx, Filter{Source: registry.SourceOCI}); err != nil || len(l) != 2 {
		t.Errorf("List(source=oci) = %d, %v; want the 2 OCI extensions", len(l), err)
	}
}

// TestOpenAsksOnce: a download resolves the extension with one Get and one
// Versions call (it used to call Get twice).
func TestOpenAsksOnce(t *testing.T) {
	f := indexFixture()
	c := New(Options{Backends: []registry.Backend{f}})
	a, err := c.Open(context.Background(), registry.Taskserv, "kubernetes", "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(a.Body)
	a.Body.Close()
	if string(body) != "archive of v1.0.0" {
		t.Errorf("body = %q", body)
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("backend calls = %d, want 2 (Get, Versions)", got)
	}
}
