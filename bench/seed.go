package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
)

// distRegistry is a distribution registry process on a loopback port.
type distRegistry struct {
	host string
	cmd  *exec.Cmd
	done chan struct{}
}

// startDistRegistry runs the registry binary named by EXTREG_TEST_REGISTRY
// with filesystem storage under dir.
func startDistRegistry(dir string) (*distRegistry, error) {
	bin := os.Getenv("EXTREG_TEST_REGISTRY")
	if bin == "" {
		return nil, fmt.Errorf("EXTREG_TEST_REGISTRY is not set: run `bash scripts/install-tools.sh` and source its env file (make bench does)")
	}
	host, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), host)
	file := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", file)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &distRegistry{host: host, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(r.done) }()
	if err := waitHTTP("http://"+host+"/v2/", 20*time.Second); err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

func (r *distRegistry) stop() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

// seeder pushes synthetic extensions into a registry with oras-go: one
// layer blob, mounted into every repository, and one manifest per version.
type seeder struct {
	host      string
	client    *http.Client
	layer     ocispec.Descriptor
	layerData []byte
	from      string // the repository holding the layer and config
	pushed    atomic.Int64
}

func newSeeder(host string) *seeder {
	data := []byte("bench archive: the same bytes for every version\n")
	return &seeder{
		host:      host,
		client:    &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		layer:     content.NewDescriptorFromBytes("application/vnd.oci.image.layer.v1.tar+gzip", data),
		layerData: data,
	}
}

func (s *seeder) repo(path string) (*remote.Repository, error) {
	r, err := remote.NewRepository(s.host + "/" + path)
	if err != nil {
		return nil, err
	}
	r.PlainHTTP = true
	r.Client = s.client
	return r, nil
}

// seed pushes n extensions named {prefix}-{i} under namespace, each with
// the given versions, at most 32 repositories at a time.
func (s *seeder) seed(ctx context.Context, namespace, prefix string, n int, versions []string) error {
	if s.from == "" {
		s.from = namespace + "/seed-blobs"
		r, err := s.repo(s.from)
		if err != nil {
			return err
		}
		if err := r.Push(ctx, s.layer, bytes.NewReader(s.layerData)); err != nil {
			return fmt.Errorf("push layer: %w", err)
		}
		if err := r.Push(ctx, ocispec.DescriptorEmptyJSON, bytes.NewReader(ocispec.DescriptorEmptyJSON.Data)); err != nil {
			return fmt.Errorf("push config: %w", err)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range n {
		g.Go(func() error {
			name := fmt.Sprintf("%s-%05d", prefix, i)
			typ := []string{"provider", "taskserv", "cluster"}[i%3]
			return s.pushExtension(gctx, namespace+"/"+name, name, typ, versions, nil)
		})
	}
	return g.Wait()
}

// pushExtension pushes one repository: the layer (mounted, or layer when
// given), the empty config and one manifest per version.
func (s *seeder) pushExtension(ctx context.Context, path, name, typ string, versions []string, layer *ocispec.Descriptor) error {
	r, err := s.repo(path)
	if err != nil {
		return err
	}
	l := s.layer
	if layer != nil {
		l = *layer
	} else if err := r.Mount(ctx, s.layer, s.from, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(s.layerData)), nil }); err != nil {
		return fmt.Errorf("mount layer into %s: %w", path, err)
	}
	if err := r.Mount(ctx, ocispec.DescriptorEmptyJSON, s.from, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(ocispec.DescriptorEmptyJSON.Data)), nil
	}); err != nil {
		return fmt.Errorf("mount config into %s: %w", path, err)
	}
	l.Annotations = map[string]string{ocispec.AnnotationTitle: name + "_" + typ + ".tar.gz"}
	for i, v := range versions {
		m := ocispec.Manifest{
			Versioned:    specs.Versioned{SchemaVersion: 2},
			MediaType:    ocispec.MediaTypeImageManifest,
			ArtifactType: "application/vnd.provisioning.extension.v1",
			Config:       ocispec.DescriptorEmptyJSON,
			Layers:       []ocispec.Descriptor{l},
			Annotations: map[string]string{
				"io.provisioning.extension.type": typ,
				"io.provisioning.extension.tags": "bench,cloud-" + fmt.Sprint(len(name)%7),
				ocispec.AnnotationDescription:    fmt.Sprintf("Benchmark %s %s, version %s", typ, name, v),
				ocispec.AnnotationAuthors:        "bench",
				ocispec.AnnotationCreated:        time.Date(2025, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.RFC3339),
			},
		}
		b, _ := json.Marshal(m)
		desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, b)
		if err := r.PushReference(ctx, desc, bytes.NewReader(b), v); err != nil {
			return fmt.Errorf("push %s:%s: %w", path, v, err)
		}
	}
	s.pushed.Add(1)
	return nil
}

// pushBig pushes one extension whose archive is size random bytes, read
// from a file written under dir, and returns the layer.
func (s *seeder) pushBig(ctx context.Context, dir, path string, size int64) (ocispec.Descriptor, error) {
	file := filepath.Join(dir, "big.tar.gz")
	f, err := os.Create(file)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		f.Close()
		return ocispec.Descriptor{}, err
	}
	f.Close()
	layer := ocispec.Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil)), Size: size}
	r, err := s.repo(path)
	if err != nil {
		return layer, err
	}
	rf, err := os.Open(file)
	if err != nil {
		return layer, err
	}
	defer rf.Close()
	if err := r.Push(ctx, layer, rf); err != nil {
		return layer, fmt.Errorf("push big layer: %w", err)
	}
	os.Remove(file)
	if s.from == "" {
		return layer, fmt.Errorf("seed before pushBig")
	}
	return layer, s.pushExtension(ctx, path, filepath.Base(path), "cluster", []string{"1.0.0"}, &layer)
}
