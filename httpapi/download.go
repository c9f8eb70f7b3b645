package httpapi

import (
	"net/http"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// download answers GET /extensions/{type}/{name}/{version} with the
// archive, streamed from the backend: application/octet-stream, its
// Content-Length when the backend knows it, and a Content-Disposition that
// names the file, so that `curl -OJ` saves it under that name. A HEAD is
// answered from the resolved version without opening the archive. An
// archive that fails before its first byte is sent (a small one failing
// verification) is a 503 service_unavailable saying so; an unsatisfiable
// Range on a cached archive a 416 invalid_parameter.
func (a *API) download(w http.ResponseWriter, r *http.Request) {
	typ, err := httpkit.PathType(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var arc *registry.Archive
	if r.Method == http.MethodHead {
		arc, err = a.opts.Catalog.Stat(r.Context(), typ, r.PathValue("name"), r.PathValue("version"))
	} else {
		arc, err = a.opts.Catalog.Open(r.Context(), typ, r.PathValue("name"), r.PathValue("version"))
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if arc.Body != nil {
		defer arc.Body.Close()
	}

	httpkit.ServeArchiveOr(w, r, arc, a.writeError, a.log)
}
