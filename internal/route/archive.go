package route

import (
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// archiveIdleTimeout is how long a download may wait for the next bytes
// from the backend before it is cut: a backend that stops sending in the
// middle of an archive must not hold the client's connection forever.
var archiveIdleTimeout = 60 * time.Second

// errStalled is the cause of a download cut for lack of progress.
var errStalled = errors.New("the backend sent nothing for too long")

// ServeArchive answers r with arc, streamed as it arrives from the backend
// and never buffered: 200, application/octet-stream, Content-Length when
// the backend knows the size, a Content-Disposition naming the file (so
// that `curl -OJ` saves it under that name) and X-Checksum when known. A
// HEAD request gets the headers only. When the stream breaks or stalls
// (nothing for archiveIdleTimeout) after the headers are sent, the failure
// is logged with attrs and the connection is cut (http.ErrAbortHandler), so
// that the client sees an incomplete body rather than a short file
// presented as complete. The caller closes arc.Body.
func ServeArchive(w http.ResponseWriter, r *http.Request, arc *registry.Archive, log *slog.Logger, attrs ...any) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	if arc.Size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(arc.Size, 10))
	}
	if cd := contentDisposition(arc.FileName); cd != "" {
		h.Set("Content-Disposition", cd)
	}
	if arc.Checksum != "" {
		h.Set("X-Checksum", arc.Checksum)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	body := &idleReader{rc: arc.Body}
	body.timer = time.AfterFunc(archiveIdleTimeout, func() {
		body.stalled.Store(true)
		arc.Body.Close() // unblocks the Read waiting on the backend
	})
	defer body.timer.Stop()
	if _, err := io.Copy(w, body); err != nil {
		if body.stalled.Load() {
			err = errStalled
		}
		if log != nil {
			log.Warn("download interrupted", append([]any{"path", r.URL.Path, "error", err}, attrs...)...)
		}
		panic(http.ErrAbortHandler)
	}
}

// idleReader resets its timer on every read that brings bytes.
type idleReader struct {
	rc      io.Reader
	timer   *time.Timer
	stalled atomic.Bool
}

func (ir *idleReader) Read(p []byte) (int, error) {
	n, err := ir.rc.Read(p)
	if n > 0 {
		ir.timer.Reset(archiveIdleTimeout)
	}
	return n, err
}

// contentDisposition returns the attachment header for the file name, or
// "" without a usable name. A plain ASCII name is given as filename=; any
// other also gets an ASCII filename= fallback (what `curl -OJ` reads) beside
// the exact filename*= (RFC 6266).
func contentDisposition(fileName string) string {
	name := path.Base(fileName)
	if name == "." || name == "/" || name == "" {
		return ""
	}
	ascii := true
	for _, c := range name {
		if c < 0x20 || c > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return mime.FormatMediaType("attachment", map[string]string{"filename": name})
	}
	fallback := strings.Map(func(c rune) rune {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return '_'
		}
		return c
	}, name)
	exact := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	// exact is `attachment; filename*=utf-8''…`: keep its encoded part.
	_, star, ok := strings.Cut(exact, "; ")
	if !ok {
		return "attachment; filename=\"" + fallback + "\""
	}
	return "attachment; filename=\"" + fallback + "\"; " + star
}
