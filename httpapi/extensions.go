package httpapi

import (
	"context"
	"errors"
	"net/http"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// list answers GET /extensions?type=&source=&limit=&offset=. The total
// number of matches, before paging, is in the X-Total-Count header.
func (a *API) list(w http.ResponseWriter, r *http.Request) {
	var f catalog.Filter
	var err error
	if f.Type, err = httpkit.TypeParam(r); err != nil {
		a.writeError(w, r, err)
		return
	}
	if f.Source, err = sourceParam(r); err != nil {
		a.writeError(w, r, err)
		return
	}
	limit, err := intParam(r, "limit", listDefaultLimit, 1, listMaxLimit)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	offset, err := intParam(r, "offset", 0, 0, -1)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.answer(w, r, catalog.KindList, func(ctx context.Context) (any, int, error) {
		exts, err := a.opts.Catalog.List(ctx, f)
		if err != nil {
			return nil, 0, listFailure(err)
		}
		return a.withDownloadURLs(r, httpkit.Offset(exts, offset, limit)), len(exts), nil
	})
}

// search answers GET /extensions/search?q=&type=&limit=.
func (a *API) search(w http.ResponseWriter, r *http.Request) {
	q := httpkit.Query(r, "q")
	if q == "" {
		a.writeError(w, r, registry.Errorf(registry.ErrInvalid, "Missing required query parameter q"))
		return
	}
	typ, err := httpkit.TypeParam(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	limit, err := intParam(r, "limit", searchDefaultLimit, 1, searchMaxLimit)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.answer(w, r, catalog.KindList, func(ctx context.Context) (any, int, error) {
		exts, total, err := a.opts.Catalog.SearchLimit(ctx, q, typ, limit)
		if err != nil {
			return nil, 0, listFailure(err)
		}
		return a.withDownloadURLs(r, exts), total, nil
	})
}

// get answers GET /extensions/{type}/{name}.
func (a *API) get(w http.ResponseWriter, r *http.Request) {
	typ, err := httpkit.PathType(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.answer(w, r, catalog.KindMetadata, func(ctx context.Context) (any, int, error) {
		ext, err := a.opts.Catalog.Get(ctx, typ, r.PathValue("name"))
		if err != nil {
			return nil, 0, err
		}
		return a.withDownloadURLs(r, []registry.Extension{ext})[0], -1, nil
	})
}

// versions answers GET /extensions/{type}/{name}/versions.
func (a *API) versions(w http.ResponseWriter, r *http.Request) {
	typ, err := httpkit.PathType(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	name := r.PathValue("name")
	a.answer(w, r, catalog.KindVersions, func(ctx context.Context) (any, int, error) {
		vs, err := a.opts.Catalog.Versions(ctx, typ, name)
		if err != nil {
			return nil, 0, err
		}
		out := make([]registry.Version, len(vs))
		for i, v := range vs {
			if v.DownloadURL == "" {
				v.DownloadURL = a.downloadURL(r, typ, name, v.Version)
			}
			out[i] = v
		}
		return out, -1, nil
	})
}

// withDownloadURLs returns a copy of exts in which every extension the
// registry serves itself carries the registry's own download URL.
func (a *API) withDownloadURLs(r *http.Request, exts []registry.Extension) []registry.Extension {
	out := make([]registry.Extension, len(exts))
	for i, e := range exts {
		if e.DownloadURL == "" && e.Version != "" {
			e.DownloadURL = a.downloadURL(r, e.Type, e.Name, e.Version)
		}
		out[i] = e
	}
	return out
}

// listFailure translates a failure to list: a list always exists, so a
// backend's "not found" there (a configured organization or namespace that
// is missing) means the source is unusable, a 503, not a 404.
func listFailure(err error) error {
	if !errors.Is(err, registry.ErrNotFound) {
		return err
	}
	msg := registry.PublicMessage(err)
	if msg == "" {
		msg = "A configured source was not found"
	}
	// The cause is kept as text only: its chain says "not found".
	return &registry.Error{Kind: registry.ErrUnavailable, Message: msg, Err: errors.New(err.Error())}
}
