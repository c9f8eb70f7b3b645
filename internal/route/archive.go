package route

import (
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"

	registry "github.com/provisioning-platform/extension-registry"
)

// ServeArchive answers r with arc, streamed as it arrives from the backend
// and never buffered: 200, application/octet-stream, Content-Length when
// the backend knows the size, a Content-Disposition naming the file (so
// that `curl -OJ` saves it under that name) and X-Checksum when known. A
// HEAD request gets the headers only. When the stream breaks after the
// headers are sent, the failure is logged with attrs and the connection is
// cut (http.ErrAbortHandler), so that the client sees an incomplete body
// rather than a short file presented as complete. The caller closes
// arc.Body.
func ServeArchive(w http.ResponseWriter, r *http.Request, arc *registry.Archive, log *slog.Logger, attrs ...any) {
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
		if log != nil {
			log.Warn("download interrupted", append([]any{"path", r.URL.Path, "error", err}, attrs...)...)
		}
		panic(http.ErrAbortHandler)
	}
}
