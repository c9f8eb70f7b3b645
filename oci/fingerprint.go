package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Fingerprint returns a cheap summary of the embedded store's state — the
// path, size and modification time of every repository's index.json under
// the namespace — that changes whenever a publish (of this or another
// process) lands, for the index to poll (catalog.IndexOptions.Fingerprints)
// so that a publish shows within a poll interval. It reads only directory
// entries and file metadata. For a remote registry, where no such summary
// exists without requests, it returns an error wrapping errors.ErrUnsupported.
func (b *Backend) Fingerprint(ctx context.Context) (string, error) {
	s, ok := b.store.(*layoutStore)
	if !ok {
		return "", fmt.Errorf("fingerprint of a remote OCI registry: %w", errors.ErrUnsupported)
	}
	paths, err := s.repositories(ctx, b.namespace+"/")
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, p := range paths {
		st, err := os.Stat(filepath.Join(s.dir(p), ocispec.ImageIndexFile))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(h, "%s\x00-\n", p)
		case err != nil:
			return "", wrapFS(err, "Reading the OCI layout %s", p)
		default:
			fmt.Fprintf(h, "%s\x00%d\x00%d\n", p, st.Size(), st.ModTime().UnixNano())
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
