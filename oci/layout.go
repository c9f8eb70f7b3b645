package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orasoci "oras.land/oras-go/v2/content/oci"

	registry "github.com/provisioning-platform/extension-registry"
)

// LayoutOptions configures the embedded store: an OCI image layout
// directory per repository, at {Root}/{namespace}/{name}.
type LayoutOptions struct {
	// Root is the store's directory, created when missing. Required.
	Root string
	// Namespace is the repository prefix; empty means DefaultNamespace.
	Namespace string
	// Logger receives the warnings of discovery; nil discards them.
	Logger *slog.Logger
	// Concurrency bounds the repositories List reads at once. Zero means
	// DefaultConcurrency.
	Concurrency int
}

// NewLayout returns a Backend over the embedded store under opts.Root,
// creating the directory when missing. Repositories are the directories
// below {Root}/{namespace} holding an "oci-layout" file. Every call reads
// each layout's index.json again, so a serving process sees what a separate
// publish process wrote on its next (uncached) call.
func NewLayout(opts LayoutOptions) (*Backend, error) {
	if opts.Root == "" {
		return nil, invalid("The OCI layout store needs a root directory")
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, &registry.Error{Kind: registry.ErrInvalid, Message: "Invalid OCI layout root " + opts.Root, Err: err}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, &registry.Error{Kind: registry.ErrUnavailable, Message: "Cannot create the OCI layout root " + root, Err: err}
	}
	return newBackend(&layoutStore{root: root, snapshots: map[string]*snapshot{}}, opts.Namespace, opts.Logger, tuning{concurrency: opts.Concurrency})
}

// layoutStore reads and writes the layouts under root.
type layoutStore struct {
	root string

	mu        sync.Mutex
	snapshots map[string]*snapshot // by repository path
}

// snapshot is a read-only view of one layout as of one index.json.
type snapshot struct {
	sum   [sha256.Size]byte
	store *orasoci.ReadOnlyStore
}

// layoutRepo is the read side of a snapshot. Its fingerprint, the checksum
// of index.json, changes whenever a tag is added, removed or moved.
type layoutRepo struct {
	*orasoci.ReadOnlyStore
	sum [sha256.Size]byte
}

func (r layoutRepo) fingerprint() (string, bool) { return hex.EncodeToString(r.sum[:]), true }

func (s *snapshot) repo() repo { return layoutRepo{ReadOnlyStore: s.store, sum: s.sum} }

func (s *layoutStore) dir(path string) string {
	return filepath.Join(s.root, filepath.FromSlash(path))
}

func (s *layoutStore) repositories(ctx context.Context, prefix string) ([]string, error) {
	var paths []string
	start := s.dir(prefix)
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == start {
				return fs.SkipAll
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !d.IsDir() {
			return nil
		}
		if _, err := os.Stat(filepath.Join(p, ocispec.ImageLayoutFile)); err == nil {
			rel, err := filepath.Rel(s.root, p)
			if err != nil {
				return err
			}
			paths = append(paths, filepath.ToSlash(rel))
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, wrapFS(err, "Reading the OCI layout store")
	}
	sort.Strings(paths)
	return paths, nil
}

// open returns a read-only view of the layout at path as of its current
// index.json, reusing the previous view when the index is unchanged.
func (s *layoutStore) open(ctx context.Context, path string) (repo, error) {
	// The file system does not watch the context: check it here, so that
	// a cancelled call fails with its context's error like a remote one.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir := s.dir(path)
	if _, err := os.Stat(filepath.Join(dir, ocispec.ImageLayoutFile)); err != nil {
		// A name too long for a file name cannot have been published.
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENAMETOOLONG) {
			return nil, notFound("OCI repository %s not found", registry.Excerpt(path))
		}
		return nil, wrapFS(err, "Opening the OCI layout %s", path)
	}
	s.mu.Lock()
	prev := s.snapshots[path]
	s.mu.Unlock()

	index, err := readIndex(ctx, dir)
	if err != nil {
		if prev != nil {
			return prev.repo(), nil // index.json is being rewritten by another tool: serve the last good view
		}
		return nil, wrapFS(err, "Reading the index of the OCI layout %s", path)
	}
	sum := sha256.Sum256(index)
	if prev != nil && prev.sum == sum {
		return prev.repo(), nil
	}
	st, err := orasoci.NewFromFS(ctx, snapshotFS{fsys: os.DirFS(dir), index: index})
	if err != nil {
		return nil, wrapFS(err, "Loading the OCI layout %s", path)
	}
	snap := &snapshot{sum: sum, store: st}
	s.mu.Lock()
	s.snapshots[path] = snap
	s.mu.Unlock()
	return snap.repo(), nil
}

// readIndex reads dir's index.json. Publish replaces the file atomically,
// but a layout written by another tool (oras-go's Store rewrites it in
// place) may be caught half written: it retries a few times before giving
// up.
func readIndex(ctx context.Context, dir string) ([]byte, error) {
	var (
		data []byte
		err  error
	)
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
			}
		}
		data, err = os.ReadFile(filepath.Join(dir, ocispec.ImageIndexFile))
		if err == nil && json.Valid(data) {
			return data, nil
		}
		if err == nil {
			err = errors.New("index.json is not valid JSON")
		}
	}
	return nil, err
}

func (s *layoutStore) target(ctx context.Context, path string) (oras.Target, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w, err := newLayoutWriter(s.dir(path))
	if err != nil {
		return nil, wrapFS(err, "Opening the OCI layout %s", path)
	}
	return w, nil
}

// lock takes the inter-process write lock of the repository at path, the
// file {root}/.locks/{path}.lock: outside the namespace, so that no lock
// file can collide with a repository named like it ("aws.lock").
func (s *layoutStore) lock(ctx context.Context, path string) (func(), error) {
	file := filepath.Join(s.root, ".locks", filepath.FromSlash(path)+".lock")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, wrapFS(err, "Creating the OCI layout %s", path)
	}
	unlock, err := lockFile(ctx, file)
	if err != nil {
		return nil, wrapFS(err, "Locking the OCI layout %s", path)
	}
	return unlock, nil
}

func (s *layoutStore) probe(context.Context) error {
	f, err := os.Open(s.root)
	if err == nil {
		defer f.Close()
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && !st.IsDir() {
			err = errors.New("not a directory")
		}
		if err == nil {
			_, err = f.Readdirnames(1)
			if errors.Is(err, io.EOF) {
				err = nil
			}
		}
	}
	if err != nil {
		return &registry.Error{Kind: registry.ErrUnavailable, Message: "The OCI layout store is not a readable directory", Err: err}
	}
	return nil
}

func (s *layoutStore) allowed(string) bool { return true }

// wrapFS classifies a file-system failure of the layout store: a missing
// file is ErrNotFound, anything else ErrUnavailable.
func wrapFS(err error, format string, args ...any) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return wrap(err, format, args...)
	}
	kind := registry.ErrUnavailable
	if errors.Is(err, fs.ErrNotExist) {
		kind = registry.ErrNotFound
	}
	e := registry.Errorf(kind, format, args...)
	e.Err = err
	return e
}

// snapshotFS serves a layout directory with index.json frozen to the bytes
// read once, so that a view never mixes two versions of the index.
type snapshotFS struct {
	fsys  fs.FS
	index []byte
}

func (f snapshotFS) Open(name string) (fs.File, error) {
	if name != ocispec.ImageIndexFile {
		return f.fsys.Open(name)
	}
	return &memFile{Reader: bytes.NewReader(f.index), name: name, size: int64(len(f.index))}, nil
}

// memFile is an fs.File over bytes.
type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (m *memFile) Stat() (fs.FileInfo, error) { return memInfo{m.name, m.size}, nil }
func (m *memFile) Close() error               { return nil }

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
