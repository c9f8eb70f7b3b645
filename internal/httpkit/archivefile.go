package httpkit

import (
	"net/http"
	"os"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// serveArchiveFile answers r with an archive whose Body is a verified file
// on local disk (the blob cache's): through http.ServeContent, so that
// Range gets 206 (416 past the end), If-None-Match and If-Range work
// against the ETag (the quoted checksum), HEAD gets the headers, and the
// kernel copies the bytes. Content-Disposition and X-Checksum are those of
// a streamed download.
func serveArchiveFile(w http.ResponseWriter, r *http.Request, arc *registry.Archive, f *os.File) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	if cd := contentDisposition(arc.FileName); cd != "" {
		h.Set("Content-Disposition", cd)
	}
	h.Set("X-Checksum", arc.Checksum)
	h.Set("ETag", `"`+arc.Checksum+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}
