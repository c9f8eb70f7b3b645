package oci

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	orasoci "oras.land/oras-go/v2/content/oci"

	registry "github.com/provisioning-platform/extension-registry"
)

// TestLayoutSeesOtherPublishers checks that a serving Backend picks up what
// another Backend on the same root (standing for a separate publish process)
// wrote, on its next call.
func TestLayoutSeesOtherPublishers(t *testing.T) {
	root := t.TempDir()
	server, publisher := mustLayout(t, root), mustLayout(t, root)
	ctx := testContext(t)
	file := mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"})

	if exts, err := server.List(ctx); err != nil || len(exts) != 0 {
		t.Fatalf("empty store: List = %v, %v", exts, err)
	}
	mustPublish(t, publisher, Artifact{Path: file, Type: registry.Taskserv, Name: "k3s", Version: "1.0.0"})
	if e, err := server.Get(ctx, registry.Taskserv, "k3s"); err != nil || e.Version != "1.0.0" {
		t.Fatalf("after the first publish: %+v, %v", e, err)
	}
	mustPublish(t, publisher, Artifact{Path: file, Type: registry.Taskserv, Name: "k3s", Version: "1.1.0"})
	vs, err := server.Versions(ctx, registry.Taskserv, "k3s")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Version != "1.1.0" {
		t.Errorf("after the second publish: %+v", vs)
	}
	if _, err := os.Stat(filepath.Join(root, DefaultNamespace, "k3s", "oci-layout")); err != nil {
		t.Errorf("layout not at {root}/{namespace}/{name}: %v", err)
	}
}

// TestLayoutConcurrentPublishAndRead reads while another Backend publishes
// into the same layout: every read succeeds and sees a consistent state.
func TestLayoutConcurrentPublishAndRead(t *testing.T) {
	root := t.TempDir()
	server, publisher := mustLayout(t, root), mustLayout(t, root)
	ctx := testContext(t)
	file := mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"})
	mustPublish(t, publisher, Artifact{Path: file, Type: registry.Cluster, Name: "c", Version: "0.0.1"})

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	wg.Go(func() {
		for i := range 15 {
			if _, err := publisher.Publish(ctx, Artifact{Path: file, Type: registry.Cluster, Name: "c", Version: fmt.Sprintf("1.0.%d", i)}); err != nil {
				errs <- err
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 15 {
				if _, err := server.Versions(ctx, registry.Cluster, "c"); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	vs, err := server.Versions(ctx, registry.Cluster, "c")
	if err != nil || len(vs) != 16 || vs[0].Version != "1.0.14" {
		t.Errorf("finally: %d versions, first %+v, %v", len(vs), vs, err)
	}
}

// TestLayoutDiscovery checks which directories of the root are repositories.
func TestLayoutDiscovery(t *testing.T) {
	root := t.TempDir()
	b := mustLayout(t, root)
	ctx := testContext(t)
	file := mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"})
	mustPublish(t, b, Artifact{Path: file, Type: registry.Provider, Name: "aws", Version: "1.0.0"})

	other := mustLayout(t, root)
	other.namespace = "elsewhere"
	mustPublish(t, other, Artifact{Path: file, Type: registry.Provider, Name: "outside", Version: "1.0.0"})
	if _, err := orasoci.New(filepath.Join(root, DefaultNamespace, "empty_cluster")); err != nil {
		t.Fatal(err) // a layout without tags
	}
	mustWrite(t, filepath.Join(root, DefaultNamespace, "notalayout", "README"), []byte("x"))

	exts, err := b.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range exts {
		keys = append(keys, e.Key())
	}
	if want := []string{"provider/aws"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("List = %v, want %v", keys, want)
	}
}

// TestLayoutProbe checks that Probe fails when the root is not a readable
// directory.
func TestLayoutProbe(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	b := mustLayout(t, root)
	ctx := testContext(t)
	if err := b.Probe(ctx); err != nil {
		t.Fatalf("fresh store: %v", err)
	}
	if err := os.Remove(root); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, root, []byte("a file, not a directory"))
	if err := b.Probe(ctx); !errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("root is a file: %v, want ErrUnavailable", err)
	}
	if _, err := b.List(ctx); !errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("List with a file as root: %v, want ErrUnavailable", err)
	}
	if _, err := NewLayout(LayoutOptions{}); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("NewLayout without a root: %v, want ErrInvalid", err)
	}
}
