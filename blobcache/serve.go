package blobcache

import (
	"net/http"
	"os"
	"time"
)

// ServeBlob answers r with a verified blob file as Get, Fetch or Stream
// return it, through http.ServeContent: Range requests get 206 (or 416),
// the ETag is the quoted digest ("sha256:<hex>"), If-None-Match with it
// gets 304, If-Range is honoured, and the kernel's sendfile does the copy.
// Content-Type defaults to application/octet-stream; the caller sets any
// other header (Content-Disposition, X-Checksum) before calling. Last-Modified
// is not sent: a content-addressed blob is validated by its ETag only.
func ServeBlob(w http.ResponseWriter, r *http.Request, f *os.File, digest string) {
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("ETag", `"`+digest+`"`)
	h.Del("Content-Length") // ServeContent sets it for the range it sends
	http.ServeContent(w, r, "", time.Time{}, f)
}
