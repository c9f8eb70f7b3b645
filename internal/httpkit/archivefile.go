package httpkit

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// serveArchiveFile answers r with an archive whose Body is a verified file
// on local disk (the blob cache's): through http.ServeContent, so that
// Range gets 206, If-None-Match and If-Range work against the ETag (the
// quoted checksum), HEAD gets the headers, and the kernel copies the bytes.
// Content-Disposition and X-Checksum are those of a streamed download. A
// Range that cannot be satisfied is a 416 with fail's body for an ErrInvalid
// (and Content-Range: bytes */size), not ServeContent's plain text.
func serveArchiveFile(w http.ResponseWriter, r *http.Request, arc *registry.Archive, f *os.File, fail ArchiveFailer) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	if cd := contentDisposition(arc.FileName); cd != "" {
		h.Set("Content-Disposition", cd)
	}
	h.Set("X-Checksum", arc.Checksum)
	h.Set("ETag", `"`+arc.Checksum+`"`)
	if fail == nil || r.Header.Get("Range") == "" {
		http.ServeContent(w, r, "", time.Time{}, f)
		return
	}
	rw := &rangeFailure{ResponseWriter: w}
	http.ServeContent(rw, r, "", time.Time{}, f)
	if rw.failed {
		cr := h.Get("Content-Range")
		for _, k := range archiveHeaders {
			h.Del(k)
		}
		h.Del("X-Content-Type-Options")
		if cr != "" {
			h.Set("Content-Range", cr)
		}
		fail(&forcedStatus{ResponseWriter: w, status: http.StatusRequestedRangeNotSatisfiable}, r, &registry.Error{
			Kind:    registry.ErrInvalid,
			Message: fmt.Sprintf("The Range %s cannot be satisfied: the archive is %d bytes", registry.Quote(r.Header.Get("Range")), arc.Size),
		})
	}
}

// rangeFailure passes ServeContent's answer through, except a 416: its
// status and plain-text body are swallowed so that the face can answer.
type rangeFailure struct {
	http.ResponseWriter
	failed bool
}

func (rw *rangeFailure) WriteHeader(code int) {
	if code == http.StatusRequestedRangeNotSatisfiable {
		rw.failed = true
		return
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *rangeFailure) Write(p []byte) (int, error) {
	if rw.failed {
		return len(p), nil
	}
	return rw.ResponseWriter.Write(p)
}

// ReadFrom keeps the server's sendfile path for the ranges ServeContent
// copies.
func (rw *rangeFailure) ReadFrom(src io.Reader) (int64, error) {
	if rf, ok := rw.ResponseWriter.(io.ReaderFrom); ok && !rw.failed {
		return rf.ReadFrom(src)
	}
	return io.Copy(struct{ io.Writer }{rw}, src)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (rw *rangeFailure) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// forcedStatus writes the face's error answer under another status: a
// 416 with the body of the face's invalid-parameter error.
type forcedStatus struct {
	http.ResponseWriter
	status int
}

func (fw *forcedStatus) WriteHeader(int) { fw.ResponseWriter.WriteHeader(fw.status) }
