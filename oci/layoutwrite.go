package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
)

// Writes to the embedded store are serialised per repository by a flock on
// {root}/.locks/{namespace}/{name}.lock, held for the whole of a Publish (see
// layoutStore.lock), and index.json is replaced atomically (written to a
// temporary file in the same directory, synced, renamed over the old one),
// so that concurrent publish processes all land and a reader never sees a
// half-written index. Blobs are content-addressed and written by oras-go's
// Storage through a temporary file and a rename, which concurrent writers
// of the same blob can share.

// layoutWriter is the writable side of one layout: blobs through oras-go's
// Storage, tags through an atomic read-modify-write of index.json. It must
// be used under the repository's lock.
type layoutWriter struct {
	dir   string
	blobs *oci.Storage
}

// newLayoutWriter prepares the layout at dir: blobs directory, index.json,
// then the oci-layout file that makes readers see the repository.
func newLayoutWriter(dir string) (*layoutWriter, error) {
	if err := os.MkdirAll(filepath.Join(dir, ocispec.ImageBlobsDir), 0o755); err != nil {
		return nil, err
	}
	blobs, err := oci.NewStorage(dir)
	if err != nil {
		return nil, err
	}
	w := &layoutWriter{dir: dir, blobs: blobs}
	if _, err := os.Stat(filepath.Join(dir, ocispec.ImageIndexFile)); errors.Is(err, fs.ErrNotExist) {
		if err := w.writeIndex(&ocispec.Index{}); err != nil {
			return nil, err
		}
	}
	layoutFile := filepath.Join(dir, ocispec.ImageLayoutFile)
	if _, err := os.Stat(layoutFile); errors.Is(err, fs.ErrNotExist) {
		data, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
		if err := writeAtomic(layoutFile, data); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Fetch reads a blob.
func (w *layoutWriter) Fetch(ctx context.Context, target ocispec.Descriptor) (io.ReadCloser, error) {
	return w.blobs.Fetch(ctx, target)
}

// Exists reports whether the blob is stored.
func (w *layoutWriter) Exists(ctx context.Context, target ocispec.Descriptor) (bool, error) {
	return w.blobs.Exists(ctx, target)
}

// Push stores a blob (a layer or a manifest); it is tagged by Tag.
func (w *layoutWriter) Push(ctx context.Context, expected ocispec.Descriptor, content io.Reader) error {
	return w.blobs.Push(ctx, expected, content)
}

// Resolve returns the manifest a tag or digest names in index.json.
func (w *layoutWriter) Resolve(_ context.Context, reference string) (ocispec.Descriptor, error) {
	index, err := w.readIndex()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	for _, m := range index.Manifests {
		if m.Annotations[ocispec.AnnotationRefName] == reference || m.Digest.String() == reference {
			return m, nil
		}
	}
	return ocispec.Descriptor{}, fmt.Errorf("%s: %w", reference, errdef.ErrNotFound)
}

// Tag points reference at desc in index.json, replacing what it named
// before, and replaces the file atomically. desc must already be pushed.
func (w *layoutWriter) Tag(ctx context.Context, desc ocispec.Descriptor, reference string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := digest.Parse(reference); err == nil {
		return fmt.Errorf("tag %q: a digest is not a tag: %w", reference, errdef.ErrInvalidReference)
	}
	if ok, err := w.blobs.Exists(ctx, desc); err != nil || !ok {
		return fmt.Errorf("tag %s: manifest %s: %w", reference, desc.Digest, errdef.ErrNotFound)
	}
	index, err := w.readIndex()
	if err != nil {
		return err
	}
	kept := index.Manifests[:0]
	for _, m := range index.Manifests {
		if m.Annotations[ocispec.AnnotationRefName] != reference {
			kept = append(kept, m)
		}
	}
	entry := ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size, ArtifactType: desc.ArtifactType,
		Annotations: map[string]string{ocispec.AnnotationRefName: reference}}
	index.Manifests = append(kept, entry)
	return w.writeIndex(index)
}

func (w *layoutWriter) readIndex() (*ocispec.Index, error) {
	data, err := os.ReadFile(filepath.Join(w.dir, ocispec.ImageIndexFile))
	if err != nil {
		return nil, err
	}
	var index ocispec.Index
	if err := json.Unmarshal(data, &index); err != nil {
		return nil, fmt.Errorf("index.json of %s is not valid: %w", w.dir, err)
	}
	return &index, nil
}

func (w *layoutWriter) writeIndex(index *ocispec.Index) error {
	index.SchemaVersion = 2
	index.MediaType = ocispec.MediaTypeImageIndex
	if index.Manifests == nil {
		index.Manifests = []ocispec.Descriptor{}
	}
	data, err := json.Marshal(index)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(w.dir, ocispec.ImageIndexFile), data)
}

// writeAtomic replaces the file at path with data: a temporary file in the
// same directory, synced, then renamed over path, so that a reader sees the
// old content or the new, never a mix.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
