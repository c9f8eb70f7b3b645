package oci

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// flavours returns a constructor of a fresh, empty Backend per flavour.
func flavours() []struct {
	name string
	new  func(t *testing.T) *Backend
} {
	return []struct {
		name string
		new  func(t *testing.T) *Backend
	}{
		{"remote registry", func(t *testing.T) *Backend {
			reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
			return mustRemote(t, RemoteOptions{Registry: reg.Host})
		}},
		{"layout store", func(t *testing.T) *Backend { return mustLayout(t, "") }},
	}
}

// published is one version the suite publishes, and what it expects back.
type published struct {
	Artifact
	file string // the archive as pushed (the packed directory for a directory)
}

var day = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// TestBackendSuite runs the same behaviour against the remote registry and
// the layout store: what is published is listed, described, versioned and
// downloaded exactly.
func TestBackendSuite(t *testing.T) {
	for _, f := range flavours() {
		t.Run(f.name, func(t *testing.T) { runSuite(t, f.new(t)) })
	}
}

func runSuite(t *testing.T, b *Backend) {
	ctx := testContext(t)
	dir := t.TempDir()

	// A taskserv with versions in an order string sorting gets wrong, a
	// pre-release of the current version, a newer pre-release, and tags
	// that are not semantic versions.
	var k8s []published
	for i, v := range []string{"1.9.0", "1.10.0", "1.10.0-rc.1", "v2.0.0-beta.1"} {
		file := mustTarGz(t, dir, fmt.Sprintf("k8s-%d.tar.gz", i), map[string]string{"VERSION": v})
		a := Artifact{
			Path: file, Type: registry.Taskserv, Name: "k8s", Version: v,
			Description: "Kubernetes " + v, Author: "platform-team", Repository: "https://git.example.com/k8s",
			Tags: []string{"kubernetes", " containers ", ""}, Created: day.Add(time.Duration(i) * time.Hour),
		}
		mustPublish(t, b, a)
		k8s = append(k8s, published{a, file})
	}
	mustTag(t, b, "k8s", "1.10.0", "latest")
	mustTag(t, b, "k8s", "1.9.0", "v1.8.0") // a tag with a leading v
	mustTag(t, b, "k8s", "1.9.0", "1.8")    // not strict semver: skipped

	extDir := filepath.Join(dir, "aws-src")
	mustWrite(t, filepath.Join(extDir, "kcl.mod"), []byte("[package]\nname = \"aws\"\n"))
	mustWrite(t, filepath.Join(extDir, "nulib", "aws.nu"), []byte("export def main [] {}\n"))
	mustPublish(t, b, Artifact{Path: extDir, Type: registry.Provider, Name: "aws", Version: "0.1.0", Created: day})

	zipFile := mustZip(t, dir, "buildkit.zip", map[string]string{"README": "bk"})
	mustPublish(t, b, Artifact{Path: zipFile, Type: registry.Cluster, Name: "buildkit", Version: "1.0.0", Created: day, Description: "BuildKit"})

	pre := mustTarGz(t, dir, "pre.tar.gz", map[string]string{"a": "b"})
	mustPublish(t, b, Artifact{Path: pre, Type: registry.Provider, Name: "preonly", Version: "0.1.0-beta", Created: day})
	mustPublish(t, b, Artifact{Path: pre, Type: registry.Provider, Name: "preonly", Version: "0.2.0-alpha.1", Created: day.Add(time.Hour)})

	sum := func(p published) (string, int64) { return fileSum(t, p.file) }
	k8sSum, k8sSize := sum(k8s[1])
	wantK8s := registry.Extension{
		Name: "k8s", Type: registry.Taskserv, Version: "1.10.0", Description: "Kubernetes 1.10.0",
		Author: "platform-team", Repository: "https://git.example.com/k8s", Source: registry.SourceOCI,
		PublishedAt: day.Add(time.Hour), Checksum: k8sSum, Size: k8sSize, Tags: []string{"kubernetes", "containers"},
	}

	t.Run("List returns every extension described by its current version", func(t *testing.T) {
		exts, err := b.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, e := range exts {
			keys = append(keys, e.Key()+"@"+e.Version)
			if e.DownloadURL != "" {
				t.Errorf("%s: DownloadURL = %q, want empty", e.Key(), e.DownloadURL)
			}
		}
		want := []string{"cluster/buildkit@1.0.0", "provider/aws@0.1.0", "provider/preonly@0.2.0-alpha.1", "taskserv/k8s@1.10.0"}
		if !reflect.DeepEqual(keys, want) {
			t.Fatalf("List = %v, want %v", keys, want)
		}
		if got := exts[3]; !reflect.DeepEqual(got, wantK8s) {
			t.Errorf("k8s =\n%+v\nwant\n%+v", got, wantK8s)
		}
	})

	t.Run("Get equals the List entry", func(t *testing.T) {
		got, err := b.Get(ctx, registry.Taskserv, "k8s")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, wantK8s) {
			t.Errorf("Get =\n%+v\nwant\n%+v", got, wantK8s)
		}
		cl, err := b.Get(ctx, registry.Cluster, "buildkit")
		if err != nil {
			t.Fatal(err)
		}
		if cl.Description != "BuildKit" || cl.Tags != nil || cl.Author != "" || !cl.PublishedAt.Equal(day) {
			t.Errorf("buildkit = %+v", cl)
		}
	})

	t.Run("Versions are newest first by semver with their own metadata", func(t *testing.T) {
		vs, err := b.Versions(ctx, registry.Taskserv, "k8s")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range vs {
			got = append(got, v.Version+"="+v.Ref)
		}
		want := []string{"2.0.0-beta.1=2.0.0-beta.1", "1.10.0=1.10.0", "1.10.0-rc.1=1.10.0-rc.1", "1.9.0=1.9.0", "1.8.0=v1.8.0"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Versions = %v, want %v", got, want)
		}
		byVersion := map[string]published{"2.0.0-beta.1": k8s[3], "1.10.0": k8s[1], "1.10.0-rc.1": k8s[2], "1.9.0": k8s[0], "1.8.0": k8s[0]}
		for _, v := range vs {
			p := byVersion[v.Version]
			wantSum, wantSize := sum(p)
			if v.Checksum != wantSum || v.Size != wantSize || !v.PublishedAt.Equal(p.Created) || v.DownloadURL != "" {
				t.Errorf("%s: got %+v, want checksum %s size %d published %s", v.Version, v, wantSum, wantSize, p.Created)
			}
		}
	})

	t.Run("Open streams each version's archive", func(t *testing.T) {
		vs, err := b.Versions(ctx, registry.Taskserv, "k8s")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			got, n, a := mustOpenSum(t, b, registry.Taskserv, "k8s", v)
			if got != v.Checksum || a.Checksum != v.Checksum || n != v.Size || a.Size != v.Size {
				t.Errorf("%s: streamed %s (%d bytes), archive %+v, version %+v", v.Version, got, n, a, v)
			}
			if want := filepath.Base(byFile(k8s, v.Checksum, sum)); a.FileName != want {
				t.Errorf("%s: FileName = %q, want %q", v.Version, a.FileName, want)
			}
		}
		// Without Ref, the version alone finds the tag, with or without v.
		for _, v := range []registry.Version{{Version: "1.9.0"}, {Version: "v1.10.0"}, {Version: "1.8.0"}} {
			if _, _, a := mustOpenSum(t, b, registry.Taskserv, "k8s", v); a.Size <= 0 {
				t.Errorf("%s: size %d", v.Version, a.Size)
			}
		}
	})

	t.Run("file names of packed directories and zip archives", func(t *testing.T) {
		for _, c := range []struct {
			typ           registry.Type
			name, version string
			want          string
		}{
			{registry.Provider, "aws", "0.1.0", "aws_provider.tar.gz"},
			{registry.Cluster, "buildkit", "1.0.0", "buildkit.zip"},
		} {
			got, n, a := mustOpenSum(t, b, c.typ, c.name, registry.Version{Version: c.version})
			if a.FileName != c.want || got != a.Checksum || n != a.Size {
				t.Errorf("%s: archive %+v, streamed %s %d", c.name, a, got, n)
			}
		}
	})

	t.Run("missing things are ErrNotFound", func(t *testing.T) {
		for _, c := range []struct {
			name string
			err  error
			want error
		}{
			{"unknown name", get(b, registry.Taskserv, "nope"), registry.ErrNotFound},
			{"known name of another type", get(b, registry.Provider, "k8s"), registry.ErrNotFound},
			{"unknown type", get(b, registry.Type("plugin"), "k8s"), registry.ErrInvalidType},
			{"name that is no repository", get(b, registry.Taskserv, "../k8s"), registry.ErrNotFound},
			{"versions of unknown", versions(b, registry.Cluster, "k8s"), registry.ErrNotFound},
			{"unknown version", open(b, registry.Taskserv, "k8s", registry.Version{Version: "9.9.9"}), registry.ErrNotFound},
			{"tag that is no version", open(b, registry.Taskserv, "k8s", registry.Version{Version: "latest"}), registry.ErrInvalidVersion},
			{"version of another extension", open(b, registry.Provider, "aws", registry.Version{Version: "1.10.0"}), registry.ErrNotFound},
		} {
			if !errors.Is(c.err, c.want) {
				t.Errorf("%s: error %v, want %v", c.name, c.err, c.want)
			}
		}
	})

	t.Run("Publish refuses bad artifacts", func(t *testing.T) {
		good := Artifact{Path: pre, Type: registry.Cluster, Name: "fine", Version: "1.0.0"}
		notArchive := mustWrite(t, filepath.Join(dir, "notes.txt"), []byte("x"))
		fakeGz := mustWrite(t, filepath.Join(dir, "fake.tar.gz"), []byte("not gzip"))
		for _, c := range []struct {
			name string
			edit func(*Artifact)
			want error
		}{
			{"unknown type", func(a *Artifact) { a.Type = "plugin" }, registry.ErrInvalidType},
			{"version that is no semver", func(a *Artifact) { a.Version = "1.0" }, registry.ErrInvalidVersion},
			{"version with build metadata (no OCI tag can hold it)", func(a *Artifact) { a.Version = "1.0.1+build.5" }, registry.ErrInvalidVersion},
			{"empty name", func(a *Artifact) { a.Name = "" }, registry.ErrInvalid},
			{"upper-case name", func(a *Artifact) { a.Name = "Fine" }, registry.ErrInvalid},
			{"name with a slash", func(a *Artifact) { a.Name = "a/b" }, registry.ErrInvalid},
			{"dot-dot name", func(a *Artifact) { a.Name = ".." }, registry.ErrInvalid},
			{"missing path", func(a *Artifact) { a.Path = filepath.Join(dir, "missing.tar.gz") }, registry.ErrInvalid},
			{"file that is no archive", func(a *Artifact) { a.Path = notArchive }, registry.ErrInvalid},
			{"archive that is not gzip", func(a *Artifact) { a.Path = fakeGz }, registry.ErrInvalid},
			{"tag with a comma", func(a *Artifact) { a.Tags = []string{"a,b"} }, registry.ErrInvalid},
			{"another type into an existing repository", func(a *Artifact) { a.Type, a.Name = registry.Provider, "k8s" }, registry.ErrInvalid},
		} {
			a := good
			c.edit(&a)
			if _, err := b.Publish(ctx, a); !errors.Is(err, c.want) {
				t.Errorf("%s: error %v, want %v", c.name, err, c.want)
			}
		}
		if _, err := b.Get(ctx, registry.Cluster, "fine"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("a refused artifact was published: %v", err)
		}
	})

	t.Run("a new version shows on the next call", func(t *testing.T) {
		file := mustTarGz(t, dir, "k8s-next.tar.gz", map[string]string{"VERSION": "1.11.0"})
		mustPublish(t, b, Artifact{Path: file, Type: registry.Taskserv, Name: "k8s", Version: "1.11.0", Created: day})
		got, err := b.Get(ctx, registry.Taskserv, "k8s")
		if err != nil {
			t.Fatal(err)
		}
		// The metadata follows the current version, which has none.
		if got.Version != "1.11.0" || got.Description != "" || got.Tags != nil {
			t.Errorf("after publishing 1.11.0: %+v", got)
		}
	})

	t.Run("Probe", func(t *testing.T) {
		if err := b.Probe(ctx); err != nil {
			t.Fatal(err)
		}
		if b.Source() != registry.SourceOCI {
			t.Errorf("Source = %q", b.Source())
		}
	})
}

// byFile returns the file of the version whose checksum is sum.
func byFile(ps []published, checksum string, sum func(published) (string, int64)) string {
	for _, p := range ps {
		if s, _ := sum(p); s == checksum {
			return p.file
		}
	}
	return ""
}

func get(b *Backend, typ registry.Type, name string) error {
	_, err := b.Get(context.Background(), typ, name)
	return err
}

func versions(b *Backend, typ registry.Type, name string) error {
	_, err := b.Versions(context.Background(), typ, name)
	return err
}

func open(b *Backend, typ registry.Type, name string, v registry.Version) error {
	a, err := b.Open(context.Background(), typ, name, v)
	if err == nil {
		a.Body.Close()
	}
	return err
}
