package httpapi

import (
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
)

// download answers GET /extensions/{type}/{name}/{version} with the
// archive, streamed from the backend: application/octet-stream, its
// Content-Length when the backend knows it, and a Content-Disposition that
// names the file, so that `curl -OJ` saves it under that name.
func (a *API) download(w http.ResponseWriter, r *http.Request) {
	typ, err := pathType(r)
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

	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	if arc.Size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(arc.Size, 10))
	}
	if name := path.Base(arc.FileName); name != "." && name != "/" && name != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	if arc.Checksum != "" {
		h.Set("X-Checksum", arc.Checksum)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, arc.Body); err != nil {
		// Headers are gone: all that is left is to cut the connection short
		// so the client sees an incomplete body, and to say why in the log.
		a.log.Warn("download interrupted", "path", r.URL.Path, "error", err)
		panic(http.ErrAbortHandler)
	}
}
