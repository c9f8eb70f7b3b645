package oci

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestOrasPushedArtifacts checks that artifacts pushed by a plain
// `oras push` with --annotation flags are discovered exactly like those
// Publish pushes, and that a repository without a type is skipped without
// breaking the list and is warned about once.
func TestOrasPushedArtifacts(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	logger, logs := newLogger()
	ns := uniqueNamespace(t)
	b := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns, Logger: logger})
	ctx := testContext(t)
	dir := t.TempDir()

	archive := mustTarGz(t, dir, "foo.tar.gz", map[string]string{"main.k": "foo"})
	zipFile := mustZip(t, dir, "plain.zip", map[string]string{"x": "y"})
	mustWrite(t, filepath.Join(dir, "README.md"), []byte("# multi\n"))
	created := "2025-04-01T10:00:00Z"
	push := func(ref string, files []string, annotations ...string) {
		t.Helper()
		args := []string{"push", "--plain-http", reg.Host + "/" + ns + "/" + ref}
		args = append(args, files...)
		for _, a := range annotations {
			args = append(args, "--annotation", a)
		}
		testserver.OrasIn(t, dir, args...)
	}
	gz := ":application/vnd.oci.image.layer.v1.tar+gzip"
	meta := []string{
		"org.opencontainers.image.description=Foo task service",
		"org.opencontainers.image.authors=oras-user",
		"org.opencontainers.image.source=https://git.example.com/foo",
		"org.opencontainers.image.created=" + created,
		"io.provisioning.extension.tags=a, b,,c",
	}
	push("foo_taskserv:1.0.0", []string{"foo.tar.gz" + gz}, append(meta, "io.provisioning.extension.type=taskserv")...)
	push("foo_taskserv:v0.9.0", []string{"foo.tar.gz" + gz}, "io.provisioning.extension.type=taskserv")
	push("bar_cluster:0.3.0", []string{"foo.tar.gz" + gz}, "org.opencontainers.image.description=Bar by suffix")
	push("plain:1.0.0", []string{"plain.zip:application/zip"}, "io.provisioning.extension.type=provider")
	push("multi:2.0.0", []string{"README.md:text/markdown", "foo.tar.gz" + gz}, "io.provisioning.extension.type=cluster")
	push("mystery:1.0.0", []string{"foo.tar.gz" + gz})
	push("nolayer_taskserv:1.0.0", nil)

	// The same archive and metadata through Publish.
	when, _ := time.Parse(time.RFC3339, created)
	mustPublish(t, b, Artifact{
		Path: archive, Type: registry.Taskserv, Name: "pub", Version: "1.0.0",
		Description: "Foo task service", Author: "oras-user", Repository: "https://git.example.com/foo",
		Tags: []string{"a", "b", "c"}, Created: when,
	})

	for range 2 { // the warning about mystery is logged once, not per List
		exts, err := b.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, e := range exts {
			keys = append(keys, e.Key())
		}
		want := []string{"cluster/bar", "cluster/multi", "provider/plain", "taskserv/foo", "taskserv/pub"}
		if !reflect.DeepEqual(keys, want) {
			t.Fatalf("List = %v, want %v", keys, want)
		}
	}
	if n := strings.Count(logs.String(), ns+"/mystery"); n != 1 {
		t.Errorf("warnings about mystery: %d, want 1; logs:\n%s", n, logs)
	}

	t.Run("an oras-pushed artifact reads like a published one", func(t *testing.T) {
		foo, err := b.Get(ctx, registry.Taskserv, "foo")
		if err != nil {
			t.Fatal(err)
		}
		pub, err := b.Get(ctx, registry.Taskserv, "pub")
		if err != nil {
			t.Fatal(err)
		}
		pub.Name = "foo"
		if !reflect.DeepEqual(foo, pub) {
			t.Errorf("oras-pushed\n%+v\npublished\n%+v", foo, pub)
		}
		_, _, fa := mustOpenSum(t, b, registry.Taskserv, "foo", registry.Version{Version: "1.0.0"})
		_, _, pa := mustOpenSum(t, b, registry.Taskserv, "pub", registry.Version{Version: "1.0.0"})
		if fa.FileName != "foo.tar.gz" || pa.FileName != "foo.tar.gz" || fa.Checksum != pa.Checksum {
			t.Errorf("archives differ: %+v vs %+v", fa, pa)
		}
		vs, err := b.Versions(ctx, registry.Taskserv, "foo")
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[1].Ref != "v0.9.0" || vs[1].PublishedAt.IsZero() {
			t.Errorf("versions %+v: want 1.0.0 and v0.9.0 with oras's created time", vs)
		}
	})

	t.Run("cases", func(t *testing.T) {
		sum, size := fileSum(t, archive)
		zipSum, zipSize := fileSum(t, zipFile)
		for _, c := range []struct {
			name              string
			typ               registry.Type
			ext               string
			description, file string
			checksum          string
			size              int64
		}{
			{"type from the repository suffix", registry.Cluster, "bar", "Bar by suffix", "foo.tar.gz", sum, size},
			{"single layer that is not gzip", registry.Provider, "plain", "", "plain.zip", zipSum, zipSize},
			{"first tar+gzip layer among several", registry.Cluster, "multi", "", "foo.tar.gz", sum, size},
		} {
			e, err := b.Get(ctx, c.typ, c.ext)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if e.Description != c.description || e.Checksum != c.checksum || e.Size != c.size || e.PublishedAt.IsZero() {
				t.Errorf("%s: %+v", c.name, e)
			}
			got, n, a := mustOpenSum(t, b, c.typ, c.ext, registry.Version{Version: e.Version})
			if a.FileName != c.file || got != c.checksum || n != c.size {
				t.Errorf("%s: archive %+v streamed %s %d", c.name, a, got, n)
			}
		}
	})
}
