package registry

import (
	"context"
	"io"
)

// Backend is a source of extensions: a Gitea server, an OCI registry or the
// embedded OCI layout store. Implementations are safe for concurrent use and
// take the context of the request that needs the answer.
//
// Errors wrap the kinds of errors.go: ErrNotFound for an unknown extension
// or version, ErrUnauthorized / ErrForbidden when the backend refuses the
// credentials, ErrUnavailable or ErrTimeout when it cannot answer.
type Backend interface {
	// Source names the backend.
	Source() Source
	// List returns every extension the backend holds, each described by its
	// current version.
	List(ctx context.Context) ([]Extension, error)
	// Get returns one extension described by its current version.
	Get(ctx context.Context, typ Type, name string) (Extension, error)
	// Versions returns the versions of an extension, newest first.
	Versions(ctx context.Context, typ Type, name string) ([]Version, error)
	// Open opens the archive of one version, as returned by Versions, for
	// streaming. The caller closes Archive.Body.
	Open(ctx context.Context, typ Type, name string, v Version) (*Archive, error)
}

// Prober is implemented by backends that can check, cheaply and with the
// context's deadline, that they are reachable and accept their credentials.
type Prober interface {
	Probe(ctx context.Context) error
}

// Archive is an opened download: the archive's bytes, streamed from the
// backend, and what a client needs to save them.
type Archive struct {
	// Body streams the archive; the caller closes it.
	Body io.ReadCloser
	// Size is the length in bytes, or -1 when the backend does not say.
	Size int64
	// FileName is the name to save the archive under, e.g.
	// "kubernetes_taskserv.tar.gz".
	FileName string
	// Checksum is "sha256:<hex>" when known.
	Checksum string
	// Ranged says the archive is served with byte ranges (it is, or is
	// being filled into, the blob cache): downloads say Accept-Ranges.
	Ranged bool
}
