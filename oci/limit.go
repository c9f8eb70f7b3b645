package oci

import (
	"context"
	"io"
	"slices"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"
	orasregistry "oras.land/oras-go/v2/registry"
)

// DefaultConcurrency bounds the requests one Backend has in flight toward
// its store when no Concurrency is configured.
const DefaultConcurrency = 8

// limitedRepo holds a slot of the backend's semaphore for each request to
// the repository until its answer arrives. A download's body streams after
// Fetch returns and holds no slot, so downloads never starve the listings.
type limitedRepo struct {
	repo
	sem *semaphore.Weighted
}

func (l limitedRepo) Tags(ctx context.Context, last string, fn func(tags []string) error) error {
	if err := l.sem.Acquire(ctx, 1); err != nil {
		return err
	}
	defer l.sem.Release(1)
	return l.repo.Tags(ctx, last, fn)
}

func (l limitedRepo) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	if err := l.sem.Acquire(ctx, 1); err != nil {
		return ocispec.Descriptor{}, err
	}
	defer l.sem.Release(1)
	return l.repo.Resolve(ctx, reference)
}

// Fetch holds a slot until the answer arrives; for a manifest, which the
// listing reads whole, until its body is closed, so that reading the
// manifests of many repositories never has more than the bound in flight.
func (l limitedRepo) Fetch(ctx context.Context, target ocispec.Descriptor) (io.ReadCloser, error) {
	if err := l.sem.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	rc, err := l.repo.Fetch(ctx, target)
	if err != nil || !slices.Contains(manifestMediaTypes, target.MediaType) {
		l.sem.Release(1)
		return rc, err
	}
	return &releasingBody{ReadCloser: rc, release: func() { l.sem.Release(1) }}, nil
}

// releasingBody releases its slot once, when it is closed.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// referenceFetcher fetches a manifest by tag in one request; ok is false
// when the repository cannot.
type referenceFetcher interface {
	fetchReference(ctx context.Context, reference string) (_ ocispec.Descriptor, _ io.ReadCloser, ok bool, _ error)
}

// fetchReference passes a remote repository's FetchReference through, behind
// the semaphore until the answer's headers arrive (as Fetch).
func (l limitedRepo) fetchReference(ctx context.Context, reference string) (ocispec.Descriptor, io.ReadCloser, bool, error) {
	rf, ok := l.repo.(orasregistry.ReferenceFetcher)
	if !ok {
		return ocispec.Descriptor{}, nil, false, nil
	}
	if err := l.sem.Acquire(ctx, 1); err != nil {
		return ocispec.Descriptor{}, nil, true, err
	}
	defer l.sem.Release(1)
	desc, rc, err := rf.FetchReference(ctx, reference)
	return desc, rc, true, err
}

// firstReadKey marks the context of the first read of a repository.
type firstReadKey struct{}

// withFirstRead marks ctx as reading a repository for the first time:
// its manifests are fetched by tag in one request each (see inspect).
func withFirstRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, firstReadKey{}, true)
}

// firstRead reports whether ctx reads a repository for the first time.
func firstRead(ctx context.Context) bool { return ctx.Value(firstReadKey{}) != nil }

// fingerprint passes the layout store's exact fingerprint through.
func (l limitedRepo) fingerprint() (string, bool) {
	if f, ok := l.repo.(exactFingerprinter); ok {
		return f.fingerprint()
	}
	return "", false
}

// open opens the repository at path behind the backend's semaphore.
func (b *Backend) open(ctx context.Context, path string) (repo, error) {
	r, err := b.store.open(ctx, path)
	if err != nil {
		return nil, err
	}
	return limitedRepo{repo: r, sem: b.sem}, nil
}

// repositories lists the namespace's repositories behind the semaphore.
func (b *Backend) repositories(ctx context.Context) ([]string, error) {
	if err := b.sem.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	defer b.sem.Release(1)
	return b.store.repositories(ctx, b.namespace+"/")
}
