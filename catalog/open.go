package catalog

import (
	"context"
	"errors"
	"fmt"

	registry "github.com/provisioning-platform/extension-registry"
)

// Open resolves version (with or without a leading "v") of typ/name and
// opens its archive for streaming, from the blob cache when the catalog
// has one and it holds the archive. An unknown extension or version is an
// ErrNotFound whose message names both; a malformed version is
// ErrInvalidVersion. With the index, resolving makes no backend call.
func (c *Catalog) Open(ctx context.Context, typ registry.Type, name, version string) (*registry.Archive, error) {
	src, v, notFound, err := c.resolve(ctx, typ, name, version)
	if err != nil {
		return nil, err
	}
	b := c.backend(src)
	fetch := func(ctx context.Context) (*registry.Archive, error) { return b.Open(ctx, typ, name, v) }
	var a *registry.Archive
	if c.blobs != nil && v.Checksum != "" {
		a, err = c.blobs.Open(ctx, v.Checksum, v.Size, fetch)
	} else {
		a, err = fetch(ctx)
	}
	if errors.Is(err, registry.ErrNotFound) {
		notFound.Err = err
		return nil, notFound
	}
	if errors.Is(err, registry.ErrChecksumMismatch) {
		// The blob cache's fill failed before this request got a byte.
		return nil, registry.VerificationFailed(err)
	}
	if err == nil && v.FileName != "" {
		// The name of the version served, never that of whichever
		// extension sharing these bytes filled the blob cache first.
		a.FileName = v.FileName
	}
	return a, err
}

// resolve finds version of typ/name and the source that serves it, with
// the not-found error Open returns for it.
func (c *Catalog) resolve(ctx context.Context, typ registry.Type, name, version string) (registry.Source, registry.Version, *registry.Error, error) {
	want, err := registry.ParseVersion(version)
	if err != nil {
		return "", registry.Version{}, nil, err
	}
	notFound := &registry.Error{
		Kind:    registry.ErrNotFound,
		Message: fmt.Sprintf("Extension %s/%s version %s not found", typ, registry.Excerpt(name), registry.Excerpt(want.String())),
	}
	var (
		src registry.Source
		vs  []registry.Version
	)
	var (
		o  owner
		ok bool
	)
	if ctx, o, err, ok = c.indexLookup(ctx, KindVersions, typ, name); ok {
		if errors.Is(err, registry.ErrNotFound) {
			notFound.Err = err
			return "", registry.Version{}, nil, notFound
		}
		if err != nil {
			return "", registry.Version{}, nil, err
		}
		src, vs = o.src, o.entry.versions()
	} else {
		ext, err := c.Get(ctx, typ, name)
		if err == nil {
			vs, err = c.versionsOf(ctx, ext)
		}
		if errors.Is(err, registry.ErrNotFound) {
			notFound.Err = err
			return "", registry.Version{}, nil, notFound
		}
		if err != nil {
			return "", registry.Version{}, nil, err
		}
		src = ext.Source
	}
	v, ok := registry.FindVersion(vs, want)
	if !ok {
		// The version may be that of a copy in a higher-precedence source
		// that fails right now: say so rather than "not found".
		if err := c.higherFailure(ctx, typ, name, src); err != nil {
			return "", registry.Version{}, nil, err
		}
		return "", registry.Version{}, nil, notFound
	}
	return src, v, notFound, nil
}

// indexLookup is the index's owner of typ/name, counted as a look-up of
// kind; ok is false when the index cannot answer. The context returned is
// the one to go on with (see coldView).
func (c *Catalog) indexLookup(ctx context.Context, kind Kind, typ registry.Type, name string) (context.Context, owner, error, bool) {
	var (
		o   owner
		err error
	)
	ctx, v, ok := c.coldView(ctx, func(v *view) (handled bool) { o, err, handled = v.lookup(typ, name); return })
	if ok {
		c.note(ctx, kind, v)
	}
	return ctx, o, err, ok
}

// higherFailure returns the failure of the first source ahead of src that
// cannot say whether it holds typ/name, or nil. With the index it asks
// nothing (the index said who serves it); without, it asks the backends
// directly, uncached: it only runs when a version was not found.
func (c *Catalog) higherFailure(ctx context.Context, typ registry.Type, name string, src registry.Source) error {
	if c.idx != nil {
		if v := c.current(); v != nil && v.firstUnread == v.nsources {
			return nil
		}
	}
	for _, b := range c.backends {
		if b.Source() == src {
			return nil
		}
		if _, err := b.Get(ctx, typ, name); err != nil && !errors.Is(err, registry.ErrNotFound) {
			return fmt.Errorf("%s: %w", b.Source(), err)
		}
	}
	return nil
}
