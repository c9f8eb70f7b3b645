package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	registry "github.com/provisioning-platform/extension-registry"
)

// Open opens the archive of version v of the extension (typ, name) for
// streaming: the version's layer, fetched with Fetch and never held in
// memory. v.Ref (the tag) is used when set, else v.Version with and without
// a leading "v". The body checks the layer's size and digest as it is read,
// and fails at the end on a mismatch. Errors: ErrNotFound when the extension,
// the version or its layer does not exist, ErrInvalidVersion for a malformed
// version, and the kinds of List.
func (b *Backend) Open(ctx context.Context, typ registry.Type, name string, v registry.Version) (*registry.Archive, error) {
	if _, err := registry.ParseType(string(typ)); err != nil {
		return nil, err
	}
	refs, err := versionRefs(v)
	if err != nil {
		return nil, err
	}
	if path, ok := b.refresh.owner(typ, name); ok && b.store.allowed(path) {
		// The last listing found the repository that holds the extension:
		// the version is there or nowhere (the others are shadowed).
		a, err := b.openIn(ctx, path, typ, name, refs)
		switch {
		case errors.Is(err, errNoSuchTag):
			return nil, notFound("Version %s of extension %s/%s not found", v.Version, typ, name)
		case !errors.Is(err, registry.ErrNotFound):
			return a, err
		}
		// The repository is gone or changed hands: look again.
	}
	if registry.ValidOCIComponent(name) {
		for _, path := range b.candidatePaths(typ, name) {
			if !b.store.allowed(path) {
				continue
			}
			a, err := b.openIn(ctx, path, typ, name, refs)
			if errors.Is(err, errNoSuchTag) {
				// The version is not in this repository: if the repository
				// is the extension's, a later candidate is shadowed by it
				// and must not serve the version either (as Versions
				// would not list it).
				res, rerr := b.resolveRepo(ctx, path, false)
				if rerr == nil && res.ext.Type == typ && res.ext.Name == name {
					break
				}
				continue
			}
			if errors.Is(err, registry.ErrNotFound) {
				continue
			}
			return a, err
		}
	}
	return nil, notFound("Version %s of extension %s/%s not found", v.Version, typ, name)
}

// versionRefs returns the tags that may name v.
func versionRefs(v registry.Version) ([]string, error) {
	if v.Ref != "" {
		return []string{v.Ref}, nil
	}
	sv, err := registry.ParseVersion(v.Version)
	if err != nil {
		return nil, err
	}
	return []string{sv.String(), "v" + sv.String()}, nil
}

// openIn opens the layer of the first of refs that exists in the repository
// at path, when that version's manifest makes it the extension (typ, name).
func (b *Backend) openIn(ctx context.Context, path string, typ registry.Type, name string, refs []string) (*registry.Archive, error) {
	r, err := b.open(ctx, path)
	if err != nil {
		return nil, err
	}
	for _, ref := range refs {
		info, err := b.inspect(ctx, r, path, ref)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		n, t, ok, _ := identify(strings.TrimPrefix(path, b.namespace+"/"), info.annotations)
		if !ok || n != name || t != typ {
			return nil, notFound("Extension %s/%s not found", typ, name)
		}
		if !info.hasLayer {
			return nil, notFound("Version %s of %s/%s has no downloadable layer", ref, typ, name)
		}
		rc, err := r.Fetch(ctx, info.layer)
		if err != nil {
			return nil, wrap(err, "Fetching the archive of %s:%s", path, ref)
		}
		return &registry.Archive{
			Body:     newVerifiedBody(rc, info.layer),
			Size:     info.layer.Size,
			FileName: fileName(info.layer, name, typ),
			Checksum: info.layer.Digest.String(),
		}, nil
	}
	return nil, errNoSuchTag
}

// errNoSuchTag: the repository exists but has no tag of the version.
var errNoSuchTag = &registry.Error{Kind: registry.ErrNotFound, Message: "Version not found", Err: errors.New("no such tag")}

// verifiedBody streams a blob and checks its size and digest: the read that
// reaches the end returns an error instead of io.EOF when they differ.
type verifiedBody struct {
	rc   io.ReadCloser
	desc ocispec.Descriptor
	vr   *content.VerifyReader
	read bool // Read has been called: the stream is the verifier's
}

func newVerifiedBody(rc io.ReadCloser, desc ocispec.Descriptor) *verifiedBody {
	return &verifiedBody{rc: rc, desc: desc, vr: content.NewVerifyReader(rc, desc)}
}

// WithoutCheck returns the blob's stream without this body's digest check,
// for a reader that checks the same digest and size itself (the blob
// cache): when digest and size are exactly those this body would verify and
// nothing has been read yet. Closing the stream closes the body's. ok is
// false otherwise, and the body must then be read as it is.
func (v *verifiedBody) WithoutCheck(digest string, size int64) (io.ReadCloser, bool) {
	if v.read || digest != v.desc.Digest.String() || size != v.desc.Size {
		return nil, false
	}
	return v.rc, true
}

// Read reads from the blob; at its end it verifies the digest.
func (v *verifiedBody) Read(p []byte) (int, error) {
	v.read = true
	n, err := v.vr.Read(p)
	if err == io.EOF {
		if verr := v.vr.Verify(); verr != nil {
			return n, fmt.Errorf("%w: %w", registry.ErrChecksumMismatch, verr)
		}
	}
	return n, err
}

// Close closes the underlying stream.
func (v *verifiedBody) Close() error { return v.rc.Close() }
