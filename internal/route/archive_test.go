package route

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// stallingBody sends its data, then blocks until closed, like a backend
// that stops answering in the middle of an archive.
type stallingBody struct {
	data   io.Reader
	closed chan struct{}
	once   sync.Once
}

func newStallingBody(data string) *stallingBody {
	return &stallingBody{data: strings.NewReader(data), closed: make(chan struct{})}
}

func (s *stallingBody) Read(p []byte) (int, error) {
	if n, _ := s.data.Read(p); n > 0 {
		return n, nil
	}
	<-s.closed
	return 0, errors.New("read on closed body")
}

func (s *stallingBody) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

// TestServeArchiveCutsAStalledStream checks that a download whose backend
// stops sending is cut after the idle timeout: the client gets the bytes
// sent so far, if any, and an error (never a complete-looking short file), and the
// backend stream is closed.
func TestServeArchiveCutsAStalledStream(t *testing.T) {
	old := archiveIdleTimeout
	archiveIdleTimeout = 200 * time.Millisecond
	t.Cleanup(func() { archiveIdleTimeout = old })

	body := newStallingBody("the first part")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ServeArchive(w, r, &registry.Archive{Body: body, Size: 1000, FileName: "x.tar.gz"}, nil)
	}))
	t.Cleanup(srv.Close)

	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(srv.URL)
	if err == nil {
		// The headers came through: the body must end in an error.
		var got []byte
		got, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Fatalf("the stalled download ended as if complete: %q", got)
		}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		t.Fatalf("the server never cut the stalled download: %v", err)
	}
	select {
	case <-body.closed:
	default:
		t.Error("the backend stream was not closed")
	}
}

func TestContentDisposition(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"kubernetes_taskserv.tar.gz", "attachment; filename=kubernetes_taskserv.tar.gz"},
		{"dir/aws.tar.gz", "attachment; filename=aws.tar.gz"},
		{"my file.tar.gz", `attachment; filename="my file.tar.gz"`},
		{"my file é.tar.gz", `attachment; filename="my file _.tar.gz"; filename*=utf-8''my%20file%20%C3%A9.tar.gz`},
		{"", ""},
	} {
		if got := contentDisposition(c.name); got != c.want {
			t.Errorf("contentDisposition(%q) = %s, want %s", c.name, got, c.want)
		}
	}
}

// TestCurlSavesNonASCIINames checks with curl, when it is installed, that
// `curl -OJ` saves a download with a non-ASCII name under the fallback.
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
