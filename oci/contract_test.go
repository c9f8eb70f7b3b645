package oci

import (
	"bytes"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/backendtest"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestContract runs the Backend contract suite against a remote registry
// and against the embedded layout store.
func TestContract(t *testing.T) {
	t.Run("remote registry", func(t *testing.T) {
		backendtest.Run(t, func(t *testing.T) (registry.Backend, backendtest.Seeder) {
			reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
			b := mustRemote(t, RemoteOptions{Registry: reg.Host})
			// The seeder is a second Backend on the same namespace: a
			// publisher separate from the reader, as in production.
			return b, &ociSeeder{pub: mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: b.Namespace()})}
		})
	})
	t.Run("layout store", func(t *testing.T) {
		backendtest.Run(t, func(t *testing.T) (registry.Backend, backendtest.Seeder) {
			root := t.TempDir()
			return mustLayout(t, root), &ociSeeder{pub: mustLayout(t, root)}
		})
	})
}

// ociSeeder pushes releases with oras-go into the store of pub: an OCI 1.1
// artifact with one tar+gzip layer, tagged exactly as Release.Tag says
// (keeping a leading "v"), with the type annotation only when the release
// declares a type.
type ociSeeder struct {
	pub *Backend
}

func (s *ociSeeder) Publish(tb testing.TB, r backendtest.Release) {
	tb.Helper()
	ctx := testContext(tb)
	path := s.pub.namespace + "/" + r.Repo
	target, err := s.pub.store.target(ctx, path)
	if err != nil {
		tb.Fatalf("seed %s: %v", path, err)
	}
	layer := ocispec.Descriptor{
		MediaType:   MediaTypeTarGzip,
		Digest:      digest.FromBytes(r.Data),
		Size:        int64(len(r.Data)),
		Annotations: map[string]string{ocispec.AnnotationTitle: r.Repo + ".tar.gz"},
	}
	if err := target.Push(ctx, layer, bytes.NewReader(r.Data)); err != nil {
		tb.Fatalf("seed %s: push layer: %v", path, err)
	}
	ann := map[string]string{
		ocispec.AnnotationCreated:     time.Now().UTC().Format(time.RFC3339),
		ocispec.AnnotationDescription: r.Description,
	}
	if r.Type != "" {
		ann[AnnotationType] = string(r.Type)
	}
	manifest, err := oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, ArtifactType, oras.PackManifestOptions{
		Layers:              []ocispec.Descriptor{layer},
		ManifestAnnotations: ann,
	})
	if err != nil {
		tb.Fatalf("seed %s: push manifest: %v", path, err)
	}
	if err := target.Tag(ctx, manifest, r.Tag); err != nil {
		tb.Fatalf("seed %s:%s: tag: %v", path, r.Tag, err)
	}
}
