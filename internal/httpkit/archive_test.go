package httpkit

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	registry "github.com/provisioning-platform/extension-registry"
)

// stallingBody sends its data, then blocks until closed, like a backend
// that stops answering in the middle of an archive. A closed body reads
// as an error, or as a clean io.EOF when eofOnClose is set (some streams
// do that, which must not pass for the end of the archive).
type stallingBody struct {
	data       io.Reader
	eofOnClose bool
	closed     chan struct{}
	once       sync.Once
}

func newStallingBody(data string, eofOnClose bool) *stallingBody {
	return &stallingBody{data: strings.NewReader(data), eofOnClose: eofOnClose, closed: make(chan struct{})}
}

func (s *stallingBody) Read(p []byte) (int, error) {
	select {
	case <-s.closed:
	default:
		if n, _ := s.data.Read(p); n > 0 {
			return n, nil
		}
		<-s.closed
	}
	if s.eofOnClose {
		return 0, io.EOF
	}
	return 0, errors.New("read on closed body")
}

func (s *stallingBody) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func (s *stallingBody) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// shortIdle sets archiveIdleTimeout to d for the test.
func shortIdle(t *testing.T, d time.Duration) {
	old := archiveIdleTimeout
	archiveIdleTimeout = d
	t.Cleanup(func() { archiveIdleTimeout = old })
}

// TestServeArchiveCutsAStalledStream checks that a download whose backend
// stops sending is cut after the idle timeout, with or without a known
// size, and even when the closed stream reads as a clean end: the client
// gets an error (never a complete-looking short
// file), the backend stream is closed and the cut is logged.
func TestServeArchiveCutsAStalledStream(t *testing.T) {
	shortIdle(t, 200*time.Millisecond)
	const sent = "the first part"
	for _, c := range []struct {
		name       string
		size       int64
		eofOnClose bool
	}{
		{"known size", 1000, false},
		{"unknown size", -1, false},
		{"known size, closed stream reads as EOF", 1000, true},
		{"unknown size, closed stream reads as EOF", -1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := newStallingBody(sent, c.eofOnClose)
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ServeArchive(w, r, &registry.Archive{Body: body, Size: c.size, FileName: "x.tar.gz"}, log, "extension", "x")
			}))
			t.Cleanup(srv.Close)
			// Runs before srv.Close: a handler that never gave up must
			// not hang the test after it failed.
			t.Cleanup(func() { body.Close() })

			client := &http.Client{Timeout: 10 * time.Second}
			start := time.Now()
			resp, err := client.Get(srv.URL)
			var got []byte
			if err == nil {
				// The headers came through: the body must end in an error.
				got, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil {
					t.Fatalf("the stalled download ended as if complete: %q", got)
				}
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Fatalf("the server did not cut the stalled download in time (%v): %v", elapsed, err)
			}
			// What was sent may still sit in the server's buffer at the
			// cut: the client gets a prefix of it at most.
			if !strings.HasPrefix(sent, string(got)) {
				t.Errorf("the client got %q before the cut, want a prefix of %q", got, sent)
			}
			if !body.isClosed() {
				t.Error("the backend stream was not closed")
			}
			// The log line is written before the connection is cut; wait
			// a little for it all the same.
			deadline := time.Now().Add(2 * time.Second)
			for !strings.Contains(logs.String(), "download interrupted") && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if l := logs.String(); !strings.Contains(l, "download interrupted") || !strings.Contains(l, errStalled.Error()) || !strings.Contains(l, "extension=x") {
				t.Errorf("log %q does not report the stall", l)
			}
		})
	}
}

// dripBody sends its chunks one by one, each after a pause, like a slow
// but live backend.
type dripBody struct {
	chunks []string
	pause  time.Duration
	closed chan struct{}
	once   sync.Once
}

func (d *dripBody) Read(p []byte) (int, error) {
	if len(d.chunks) == 0 {
		return 0, io.EOF
	}
	select {
	case <-time.After(d.pause):
	case <-d.closed:
		return 0, errors.New("read on closed body")
	}
	n := copy(p, d.chunks[0])
	d.chunks = d.chunks[1:]
	return n, nil
}

func (d *dripBody) Close() error {
	d.once.Do(func() { close(d.closed) })
	return nil
}

// TestServeArchiveKeepsASlowStream checks that the idle timeout is between
// two reads, not for the whole download: a backend whose every chunk comes
// within the timeout is served to the end, however long that takes.
func TestServeArchiveKeepsASlowStream(t *testing.T) {
	shortIdle(t, time.Second)
	chunks := []string{"a", "b", "c", "d", "e", "f"}
	body := &dripBody{chunks: chunks, pause: 250 * time.Millisecond, closed: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ServeArchive(w, r, &registry.Archive{Body: body, Size: -1, FileName: "x.tar.gz"}, nil)
	}))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(got) != strings.Join(chunks, "") {
		t.Errorf("the slow download gave %q, %v; want all of it", got, err)
	}
	select {
	case <-body.closed:
		t.Error("the live backend stream was closed")
	default:
	}
}

// TestIdleReaderIgnoresTimeOutsideRead checks that only the time spent
// waiting on the backend counts: while the copy is busy writing to a slow
// client, the timer does not run.
func TestIdleReaderIgnoresTimeOutsideRead(t *testing.T) {
	body := &dripBody{chunks: []string{"first", "second"}, closed: make(chan struct{})}
	ir := newIdleReader(body, 200*time.Millisecond)
	defer ir.timer.Stop()
	buf := make([]byte, 16)
	if n, err := ir.Read(buf); err != nil || string(buf[:n]) != "first" {
		t.Fatalf("first read: %q, %v", buf[:n], err)
	}
	time.Sleep(600 * time.Millisecond) // the client takes its time
	if n, err := ir.Read(buf); err != nil || string(buf[:n]) != "second" {
		t.Fatalf("read after a slow client: %q, %v", buf[:n], err)
	}
	select {
	case <-body.closed:
		t.Error("the backend stream was closed while nothing waited on it")
	default:
	}
}

func TestContentDisposition(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		// A plain ASCII name: exactly what mime.FormatMediaType gives.
		{"kubernetes_taskserv.tar.gz", "attachment; filename=kubernetes_taskserv.tar.gz"},
		{"dir/aws.tar.gz", "attachment; filename=aws.tar.gz"},
		{"my file.tar.gz", `attachment; filename="my file.tar.gz"`},
		{`say "hi".tar.gz`, `attachment; filename="say \"hi\".tar.gz"`},
		// Anything else: an ASCII fallback, then the exact name.
		{"my file é.tar.gz", `attachment; filename="my file _.tar.gz"; filename*=UTF-8''my%20file%20%C3%A9.tar.gz`},
		{`ü"\x.tgz`, `attachment; filename="___x.tgz"; filename*=UTF-8''%C3%BC%22%5Cx.tgz`},
		{"50% off 'ñ'*.zip", `attachment; filename="50% off '_'*.zip"; filename*=UTF-8''50%25%20off%20%27%C3%B1%27%2A.zip`},
		{"tab\there.zip", `attachment; filename="tab_here.zip"; filename*=UTF-8''tab%09here.zip`},
		{"日本.tar.gz", `attachment; filename="__.tar.gz"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.tar.gz`},
		{"\xffx.tgz", `attachment; filename="_x.tgz"; filename*=UTF-8''%EF%BF%BDx.tgz`}, // not UTF-8
		{"", ""},
		{"/", ""},
		// A very long name: cut to MaxFileName bytes, the extension kept.
		{strings.Repeat("x", 20000) + ".tar.gz", "attachment; filename=" + strings.Repeat("x", MaxFileName-7) + ".tar.gz"},
		{strings.Repeat("é", 200) + ".zip", `attachment; filename="` + strings.Repeat("_", 62) + `.zip"; filename*=UTF-8''` + strings.Repeat("%C3%A9", 62) + ".zip"},
		{strings.Repeat("y", 300), "attachment; filename=" + strings.Repeat("y", MaxFileName)},
	} {
		got := contentDisposition(c.name)
		if got != c.want {
			t.Errorf("contentDisposition(%q) = %s, want %s", c.name, got, c.want)
		}
		if got == "" || !utf8.ValidString(c.name) {
			continue
		}
		// A reader that understands filename* gets the exact name back.
		typ, params, err := mime.ParseMediaType(got)
		if want := shortName(filepath.Base(c.name)); err != nil || typ != "attachment" || params["filename"] != want {
			t.Errorf("%s parses as %q %q %v, want the file name %q", got, typ, params, err, want)
		}
	}
}

// TestCurlSavesNonASCIINames checks with curl, when it is installed, that
// `curl -OJ` (which ignores filename*) saves a download with a non-ASCII
// name under the ASCII fallback rather than the URL's last segment.
func TestCurlSavesNonASCIINames(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ServeArchive(w, r, &registry.Archive{Body: io.NopCloser(strings.NewReader("data")), Size: 4, FileName: "my file é.tar.gz"}, nil)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cmd := exec.Command(curl, "-sfOJ", srv.URL+"/download/1.0.0")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("curl: %v %s", err, out)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "my file _.tar.gz")); err != nil || string(data) != "data" {
		entries, _ := os.ReadDir(dir)
		t.Errorf("curl -OJ saved %v (%v)", entries, err)
	}
}

// failingEnd streams data in reads of step bytes, then fails where the end
// of the stream is verified: with the last bytes (withLast) or in the read
// after them, as the backends' verifying readers may do.
type failingEnd struct {
	data     []byte
	step     int
	withLast bool
}

var errMismatch = errors.New("archive does not match its digest")

func (f *failingEnd) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errMismatch
	}
	n := copy(p[:min(len(p), f.step)], f.data)
	f.data = f.data[n:]
	if len(f.data) == 0 && f.withLast {
		return n, errMismatch
	}
	return n, nil
}

func (f *failingEnd) Close() error { return nil }

// TestServeArchiveHoldsBackTheUnverifiedEnd checks that an archive whose
// end fails verification is never received as complete, with and without
// Content-Length, whether the failure comes with the last bytes or after
// them; and that a sound archive arrives whole.
func TestServeArchiveHoldsBackTheUnverifiedEnd(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320,000 bytes: ten read buffers
	for _, c := range []struct {
		name     string
		size     int64
		step     int
		withLast bool
	}{
		{"Content-Length, failure after the last read", int64(len(data)), 1 << 20, false},
		{"Content-Length, failure with the last read", int64(len(data)), 1 << 20, true},
		{"Content-Length, small reads", int64(len(data)), 1000, false},
		{"chunked, failure after the last read", -1, 1 << 20, false},
		{"chunked, failure with the last read", -1, 1000, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := &failingEnd{data: data, step: c.step, withLast: c.withLast}
				ServeArchive(w, r, &registry.Archive{Body: body, Size: c.size, FileName: "x.tar.gz"}, nil)
			}))
			t.Cleanup(srv.Close)
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				return // no answer at all is a failed transfer too
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				t.Fatalf("a download whose end failed verification read as complete: %d of %d bytes", len(got), len(data))
			}
			if len(got) >= len(data) {
				t.Errorf("the client got all %d bytes before the failure", len(got))
			}
		})
	}
	t.Run("sound", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ServeArchive(w, r, &registry.Archive{Body: io.NopCloser(bytes.NewReader(data)), Size: -1}, nil)
		}))
		t.Cleanup(srv.Close)
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("a sound download: %d bytes, %v", len(got), err)
		}
	})
}
