package httpapi

import (
	"net/http"

	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// download answers GET /extensions/{type}/{name}/{version} with the
// archive, streamed from the backend: application/octet-stream, its
// Content-Length when the backend knows it, and a Content-Disposition that
// names the file, so that `curl -OJ` saves it under that name.
func (a *API) download(w http.ResponseWriter, r *http.Request) {
	typ, err := httpkit.PathType(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	arc, err := a.opts.Catalog.Open(r.Context(), typ, r.PathValue("name"), r.PathValue("version"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	defer arc.Body.Close()

	httpkit.ServeArchive(w, r, arc, a.log)
}
