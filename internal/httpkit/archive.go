package httpkit

import (
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// archiveIdleTimeout is how long a download may wait for the next bytes
// from the backend before it is cut: a backend that stops sending in the
// middle of an archive must not hold the client's connection forever. Only
// the time spent waiting on the backend counts, not the time the client
// takes to receive what was sent. A variable so that tests can shorten it.
var archiveIdleTimeout = 60 * time.Second

// errStalled is the cause of a download cut for lack of progress.
var errStalled = errors.New("the backend sent nothing for too long")

// ServeArchive answers r with arc, streamed as it arrives from the backend
// and never buffered: 200, application/octet-stream, Content-Length when
// the backend knows the size, a Content-Disposition naming the file (so
// that `curl -OJ` saves it under that name) and X-Checksum when known. A
// HEAD request gets the headers only. When the stream breaks or stalls
// after the headers are sent (a read from arc.Body brings nothing for
// archiveIdleTimeout: arc.Body is then closed to end that read), the
// failure is logged with attrs and the connection is cut
// (http.ErrAbortHandler), so that the client sees an incomplete body rather
// than a short file presented as complete. The end of the stream (the
// latest read, up to holdBack bytes) is held back until the backend's
// verifying reader ends cleanly, so that an archive failing its size or
// digest check is a failed transfer for every client (see
// copyHoldingBack). An archive whose Body is an *os.File with a checksum
// (a verified blob of the blob cache) is served from the file instead, with
// Range and an ETag (see serveArchiveFile). The caller closes arc.Body.
func ServeArchive(w http.ResponseWriter, r *http.Request, arc *registry.Archive, log *slog.Logger, attrs ...any) {
	ServeArchiveOr(w, r, arc, nil, log, attrs...)
}

// ServeArchiveOr is ServeArchive with the face's error answer: a failure
// found before the first byte is sent (the status line waits for it) is
// answered through fail, with an ErrUnavailable whose message says whether
// the archive failed verification, instead of a cut connection with no
// answer at all; a Range a cached blob cannot satisfy gets fail's body for
// an ErrInvalid, with status 416. With a nil fail it is ServeArchive. A HEAD
// request may pass an archive with a nil Body: only the headers are sent.
func ServeArchiveOr(w http.ResponseWriter, r *http.Request, arc *registry.Archive, fail ArchiveFailer, log *slog.Logger, attrs ...any) {
	if f, ok := arc.Body.(*os.File); ok && arc.Checksum != "" {
		serveArchiveFile(w, r, arc, f, fail) // a verified blob on disk: Range, ETag
		return
	}
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
		h.Set("ETag", `"`+arc.Checksum+`"`)
	}
	if arc.Ranged {
		h.Set("Accept-Ranges", "bytes")
	}
	hw := &headerOnWrite{w: w, status: http.StatusOK}
	if r.Method == http.MethodHead || arc.Body == nil {
		hw.send()
		return
	}
	body := newIdleReader(arc.Body, archiveIdleTimeout)
	defer body.timer.Stop()
	err := copyHoldingBack(hw, body)
	if body.stalled {
		// Even when the closed stream then read as a clean end: without
		// Content-Length a normal return would end the chunked body and
		// present the short file as complete.
		err = errStalled
	}
	if err != nil {
		if log != nil {
			log.Warn("download interrupted", append([]any{"path", Excerpt(r.URL.Path), "error", err}, attrs...)...)
		}
		if !hw.sent && fail != nil {
			failArchive(w, r, fail, err) // nothing went out: a real answer
			return
		}
		// What was written may still sit in the server's buffer: send it,
		// so that the client sees a cut body rather than no answer.
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	}
	hw.send() // an empty archive
	// Every byte is verified: send the tail now, not when the handler
	// returns (closing the body may wait, e.g. for the blob cache to make
	// the blob durable).
	_ = http.NewResponseController(w).Flush()
}

// holdBack is the size of the read buffers of copyHoldingBack: the most it
// keeps from the client until the stream has ended cleanly.
const holdBack = 32 << 10

// copyHoldingBack copies src to dst, always one read behind: the bytes of
// the latest read are written only once the next read has succeeded, and
// the last ones only when src ends with a clean io.EOF. The backends verify
// an archive's size and digest in the read that reaches its end, so the
// end of the stream is never delivered before it is verified: on a
// mismatch (or any other failure) the held bytes are dropped and the error
// returned, and the caller cuts the connection. A client then receives
// fewer bytes than Content-Length, or a chunked body without its final
// chunk: a failed transfer, never a complete wrong file.
func copyHoldingBack(dst io.Writer, src io.Reader) error {
	cur, next := make([]byte, holdBack), make([]byte, holdBack)
	held := 0 // bytes at the start of cur not yet written
	for {
		n, err := src.Read(next)
		if err != nil && err != io.EOF {
			return err // cur[:held] and next[:n] are dropped
		}
		if n > 0 {
			if held > 0 {
				if _, werr := dst.Write(cur[:held]); werr != nil {
					return werr
				}
			}
			cur, next, held = next, cur, n
		}
		if err == io.EOF {
			if held > 0 {
				if _, werr := dst.Write(cur[:held]); werr != nil {
					return werr
				}
			}
			return nil
		}
	}
}

// idleReader reads a backend stream and closes it when a Read waits more
// than idle for bytes. Only the time spent waiting in Read counts: the
// timer is stopped when bytes arrive, so that a client slow to take them
// (the copy blocked writing) is not mistaken for a stalled backend, and
// armed again at the next Read. One timer serves the whole stream.
type idleReader struct {
	rc    io.ReadCloser
	idle  time.Duration
	timer *time.Timer // closes rc when it fires
	armed bool        // the timer runs: no bytes since the wait began
	// stalled is set when the timer has fired: rc is closed, and what
	// it read afterwards, even a clean io.EOF, cannot be trusted.
	// It is only touched by the goroutine that calls Read.
	stalled bool
}

// newIdleReader returns rc watched for waits longer than idle, the first
// one beginning now.
func newIdleReader(rc io.ReadCloser, idle time.Duration) *idleReader {
	ir := &idleReader{rc: rc, idle: idle, armed: true}
	ir.timer = time.AfterFunc(idle, func() {
		rc.Close() // unblocks the Read waiting on the backend
	})
	return ir
}

func (ir *idleReader) Read(p []byte) (int, error) {
	if ir.stalled {
		return 0, errStalled
	}
	if !ir.armed {
		ir.timer.Reset(ir.idle)
		ir.armed = true
	}
	n, err := ir.rc.Read(p)
	if n > 0 || err != nil {
		// The wait is over. Stop reports false when the timer fired
		// (its function started): the stream was closed under the Read.
		ir.armed = false
		if !ir.timer.Stop() {
			ir.stalled = true
			return n, errStalled
		}
	}
	return n, err
}

// contentDisposition returns the attachment header for the file name, or
// "" without a usable name. A plain ASCII name (printable characters only)
// is given as mime.FormatMediaType writes it ("attachment;
// filename=aws.tar.gz"). Any other name gets a quoted ASCII filename=
// fallback, every character outside printable ASCII and every quote or
// backslash replaced by "_" (what `curl -OJ`, which ignores filename*,
// saves under), then the exact name as filename*= in the UTF-8 form of
// RFC 8187 (RFC 6266).
//
// A name longer than MaxFileName bytes (a 20,000-character layer title) is
// shortened to that length, keeping its extension, so that the header stays
// small and `curl -OJ` can create the file.
func contentDisposition(fileName string) string {
	name := path.Base(fileName)
	if name == "." || name == "/" || name == "" {
		return ""
	}
	name = shortName(name)
	plain := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c > 0x7e {
			plain = false
			break
		}
	}
	if plain {
		return mime.FormatMediaType("attachment", map[string]string{"filename": name})
	}
	fallback := strings.Map(func(c rune) rune {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return '_'
		}
		return c
	}, name)
	return `attachment; filename="` + fallback + `"; filename*=` + extValue(name)
}

// MaxFileName is the longest file name a download is offered under, in
// bytes: below the 255 bytes most file systems allow.
const MaxFileName = 128

// shortName returns name cut to MaxFileName bytes, keeping its extension
// (".tar.gz" counts as one) when it has a short one, on a UTF-8 boundary.
func shortName(name string) string {
	if len(name) <= MaxFileName {
		return name
	}
	ext := path.Ext(name)
	if inner := path.Ext(strings.TrimSuffix(name, ext)); inner == ".tar" {
		ext = inner + ext
	}
	if len(ext) > 16 {
		ext = ""
	}
	cut := MaxFileName - len(ext)
	for cut > 0 && !utf8RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + ext
}

// extValue returns s as an RFC 8187 ext-value: the charset UTF-8, an empty
// language, then the UTF-8 bytes of s (invalid sequences replaced by
// U+FFFD), each one that is not an attr-char percent-encoded.
func extValue(s string) string {
	const hex = "0123456789ABCDEF"
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.WriteString("UTF-8''")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}

// isAttrChar reports whether c may appear unencoded in an RFC 8187 value.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
