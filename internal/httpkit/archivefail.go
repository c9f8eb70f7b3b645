package httpkit

import (
	"errors"
	"net/http"

	registry "github.com/provisioning-platform/extension-registry"
)

// ArchiveFailer writes a face's own error answer (the v1 JSON body, the
// ConnectorClass API's Status) for err on a download that failed before
// any byte of it was sent.
type ArchiveFailer func(w http.ResponseWriter, r *http.Request, err error)

// headerOnWrite sends the status of a download with its first byte, so
// that a stream failing before anything was written (a small archive
// failing its verification: everything is still held back) can still be
// answered with an error status and body.
type headerOnWrite struct {
	w      http.ResponseWriter
	status int
	sent   bool // the status line is written
}

func (h *headerOnWrite) Write(p []byte) (int, error) {
	h.send()
	return h.w.Write(p)
}

// send writes the status line, once.
func (h *headerOnWrite) send() {
	if !h.sent {
		h.sent = true
		h.w.WriteHeader(h.status)
	}
}

// archiveHeaders are the headers a download sets before its status line;
// an error answer in its place drops them.
var archiveHeaders = []string{"Content-Length", "Content-Disposition", "X-Checksum", "ETag", "Accept-Ranges", "Content-Type", "Content-Range", "Last-Modified"}

// failArchive answers a download that failed before its first byte was
// sent through fail, with an ErrUnavailable (503 in both faces) whose
// message says what went wrong: the archive failed its checksum, the
// backend stopped sending, or its stream broke.
func failArchive(w http.ResponseWriter, r *http.Request, fail ArchiveFailer, err error) {
	for _, k := range archiveHeaders {
		w.Header().Del(k)
	}
	if errors.Is(err, registry.ErrChecksumMismatch) {
		fail(w, r, registry.VerificationFailed(err))
		return
	}
	msg := "The archive's stream from the backend broke before it was sent; retry later"
	if errors.Is(err, errStalled) {
		msg = "The backend stopped sending the archive; retry later"
	}
	fail(w, r, &registry.Error{Kind: registry.ErrUnavailable, Message: msg, Err: err})
}
