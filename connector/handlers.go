package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// ListMeta is the metadata of a list answer.
type ListMeta struct {
	// TotalItems counts the matches over all pages.
	TotalItems int `json:"totalItems"`
}

// List is the body of a list answer, as the ConnectorClass API
// specification requires.
type List[T any] struct {
	ListMeta ListMeta `json:"listMeta"`
	Items    []T      `json:"items"`
}

// listExtensions answers GET {base}/extensions?type=&q=&page=&itemsPerPage=:
// the extensions of the tool, optionally of one type, optionally matching
// the search q (best match first, as /api/v1/extensions/search ranks).
func (a *API) listExtensions(ctx context.Context, w http.ResponseWriter, r *http.Request, c *call) {
	typ, err := typeFilter(r)
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	page, perPage, err := pageParams(r)
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	var exts []registry.Extension
	if q := httpkit.Query(r, "q"); q != "" {
		exts, err = c.catalog.Search(ctx, q, typ)
	} else {
		exts, err = c.catalog.List(ctx, catalog.Filter{Type: typ})
	}
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	items := httpkit.Page(exts, page, perPage)
	out := make([]registry.Extension, len(items))
	for i, e := range items {
		out[i] = withDownloadURL(e)
	}
	writeJSON(w, http.StatusOK, List[registry.Extension]{ListMeta{len(exts)}, out})
}

// getExtension answers GET {base}/extensions/{type}/{name}.
func (a *API) getExtension(ctx context.Context, w http.ResponseWriter, r *http.Request, c *call) {
	typ, err := httpkit.PathType(r)
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	ext, err := c.catalog.Get(ctx, typ, r.PathValue("name"))
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	writeJSON(w, http.StatusOK, withDownloadURL(ext))
}

// listVersions answers GET {base}/extensions/{type}/{name}/versions, newest
// first.
func (a *API) listVersions(ctx context.Context, w http.ResponseWriter, r *http.Request, c *call) {
	typ, err := httpkit.PathType(r)
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	page, perPage, err := pageParams(r)
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	name := r.PathValue("name")
	vs, err := c.catalog.Versions(ctx, typ, name)
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	items := httpkit.Page(vs, page, perPage)
	out := make([]registry.Version, len(items))
	for i, v := range items {
		if v.DownloadURL == "" {
			v.DownloadURL = downloadPath(typ, name, v.Version)
		}
		out[i] = v
	}
	writeJSON(w, http.StatusOK, List[registry.Version]{ListMeta{len(vs)}, out})
}

// withDownloadURL fills the download URL of an extension the tool does not
// serve by URL itself (OCI) with the API's own download resource.
func withDownloadURL(e registry.Extension) registry.Extension {
	if e.DownloadURL == "" && e.Version != "" {
		e.DownloadURL = downloadPath(e.Type, e.Name, e.Version)
	}
	return e
}

// downloadPath is the download resource of a version, relative to the
// ConnectorClass API base: the api-path a client appends to its Connector's
// API address ({platform}/connectors/v1alpha1/{namespace}/{connector}/path).
func downloadPath(typ registry.Type, name, version string) string {
	return "/extensions/" + string(typ) + "/" + name + "/" + version
}

// authcheck answers GET {base}/authcheck: 200 when the tool accepts the
// request's credentials (for an anonymous request: when the tool answers
// anonymously), else the tool's refusal as a 401 or 403 Status. It is the
// ConnectorClass's auth probe.
func (a *API) authcheck(ctx context.Context, w http.ResponseWriter, r *http.Request, c *call) {
	if err := c.backend.(registry.Prober).Probe(ctx); err != nil {
		if errors.Is(err, registry.ErrNotFound) {
			// Gitea hides what the credentials may not see (a private
			// organization) as missing: to the auth probe, whose answers
			// are 200, 401 and 403, that is a refusal.
			msg := registry.PublicMessage(err)
			if msg == "" {
				msg = "not found"
			}
			writeStatus(w, apierrors.NewForbidden(schema.GroupResource{}, "",
				fmt.Errorf("the %s shows nothing to these credentials: %s", c.desc, msg)))
			return
		}
		a.writeError(w, r, c.desc, err)
		return
	}
	writeSuccess(w, "the "+c.desc+" accepts the credentials")
}

// liveness answers GET {base}/ (and {base}): 200 when the tool answers at
// all — a refusal of the credentials is an answer — else a 503
// ServiceUnavailable Status. It is the ConnectorClass's liveness probe.
func (a *API) liveness(ctx context.Context, w http.ResponseWriter, r *http.Request, c *call) {
	err := c.backend.(registry.Prober).Probe(ctx)
	switch {
	case err == nil, errors.Is(err, registry.ErrUnauthorized), errors.Is(err, registry.ErrForbidden),
		errors.Is(err, registry.ErrNotFound), errors.Is(err, registry.ErrRateLimited):
		writeSuccess(w, "the "+c.desc+" answers")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return
	default:
		a.log.Warn("connector liveness failed", "tool", c.desc, "error", err)
		// Always 503, a timeout included, as the liveness contract says.
		writeStatus(w, statusFor(registry.ErrUnavailable, c.desc))
	}
}

// writeSuccess answers 200 with a Success Status.
func writeSuccess(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusOK, metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusSuccess,
		Code:     http.StatusOK,
		Message:  message,
	})
}
