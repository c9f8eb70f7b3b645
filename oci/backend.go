// Package oci implements the registry's OCI backend: extensions published as
// OCI artifacts, one repository per extension under a namespace, read from a
// remote OCI registry (NewRemote) or from the embedded store, a directory of
// OCI image layouts (NewLayout). Both flavours share one implementation of
// the discovery rules, and both can Publish.
//
// A repository {namespace}/{name} holds one extension. Its versions are the
// tags that are semantic versions, with or without a leading "v". The
// extension's type and metadata come from the annotations of the current
// version's manifest (see the Annotation constants); without a type
// annotation, the repository name's suffix decides ("k3s_taskserv" is the
// taskserv "k3s"). The download is the manifest's single layer, or its first
// tar+gzip layer (see LayerMediaTypes).
package oci

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"
	"oras.land/oras-go/v2"

	registry "github.com/provisioning-platform/extension-registry"
)

// DefaultNamespace is the repository prefix used when none is configured.
const DefaultNamespace = registry.DefaultOCINamespace

// manifestCacheSize bounds the number of parsed manifests kept by digest.
const manifestCacheSize = 4096

// repo is the read side of one repository, remote or in a layout.
type repo interface {
	Tags(ctx context.Context, last string, fn func(tags []string) error) error
	Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error)
	Fetch(ctx context.Context, target ocispec.Descriptor) (io.ReadCloser, error)
}

// store is what differs between a remote registry and the layout store.
type store interface {
	// repositories returns the full paths of the repositories under prefix
	// (which ends in "/").
	repositories(ctx context.Context, prefix string) ([]string, error)
	// open returns the read side of one repository. It may fail later, on
	// first use, with ErrNotFound when the repository does not exist.
	open(ctx context.Context, path string) (repo, error)
	// target returns a writable repository, created when missing.
	target(ctx context.Context, path string) (oras.Target, error)
	// lock serialises the writers of the repository at path, across
	// processes for the layout store; unlock releases it.
	lock(ctx context.Context, path string) (unlock func(), err error)
	// probe checks that the store answers and accepts the credentials.
	probe(ctx context.Context) error
	// allowed reports whether path may be read directly (Get, Open): false
	// for a repository missing from an explicit list.
	allowed(path string) bool
}

// Backend is the OCI backend: a registry.Backend and registry.Prober over a
// remote registry or the embedded layout store. It is safe for concurrent
// use. Build one with NewRemote or NewLayout.
type Backend struct {
	store     store
	namespace string
	log       *slog.Logger

	manifests *lru.Cache[string, *manifestInfo]
	warned    sync.Map // repository path → struct{}: warnings logged once

	// concurrency bounds the repositories (List) and versions (Versions)
	// inspected at once; sem bounds the requests in flight to the store.
	concurrency int
	sem         *semaphore.Weighted
	// refresh remembers what List found per repository (refresh.go).
	refresh    refreshCache
	revalidate time.Duration
	now        func() time.Time
}

// tuning is what NewRemote and NewLayout pass on to newBackend.
type tuning struct {
	concurrency int
	revalidate  time.Duration
}

var (
	_ registry.Backend = (*Backend)(nil)
	_ registry.Prober  = (*Backend)(nil)
)

func newBackend(s store, namespace string, logger *slog.Logger, tune tuning) (*Backend, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	namespace = strings.Trim(namespace, "/")
	if !registry.ValidOCIPath(namespace) {
		return nil, invalid("Invalid OCI namespace %q: must be lowercase path components of [a-z0-9._-]", namespace)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cache, err := lru.New[string, *manifestInfo](manifestCacheSize)
	if err != nil {
		return nil, err
	}
	if tune.concurrency <= 0 {
		tune.concurrency = DefaultConcurrency
	}
	if tune.revalidate <= 0 {
		tune.revalidate = DefaultRevalidate
	}
	return &Backend{
		store: s, namespace: namespace, log: logger, manifests: cache,
		concurrency: tune.concurrency, sem: semaphore.NewWeighted(int64(tune.concurrency)),
		revalidate: tune.revalidate, now: time.Now,
	}, nil
}

// Source returns registry.SourceOCI.
func (b *Backend) Source() registry.Source { return registry.SourceOCI }

// Namespace returns the repository prefix the backend reads, without a
// trailing slash.
func (b *Backend) Namespace() string { return b.namespace }

// Probe checks, within the context's deadline, that the store answers: for a
// remote registry a /v2/ ping with the credentials (ErrUnauthorized,
// ErrUnavailable, ErrTimeout… when it fails), for the layout store that its
// root is a readable directory (ErrUnavailable).
func (b *Backend) Probe(ctx context.Context) error {
	return b.store.probe(ctx)
}

// warnOnce logs a warning about a repository the first time only.
func (b *Backend) warnOnce(path, msg string, args ...any) {
	if _, seen := b.warned.LoadOrStore(path, struct{}{}); seen {
		return
	}
	b.log.Warn(msg, append([]any{"repository", path}, args...)...)
}

// candidatePaths returns the repositories that may hold the extension
// (typ, name), in order of preference: {namespace}/{name}, then the
// repository names of the naming convention (registry.RepositoryNames).
func (b *Backend) candidatePaths(typ registry.Type, name string) []string {
	paths := []string{b.namespace + "/" + name}
	for _, n := range registry.RepositoryNames(typ, name) {
		paths = append(paths, b.namespace+"/"+n)
	}
	return paths
}
