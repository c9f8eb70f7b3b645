package connector

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// sharedCache is the one cache every API of the tests uses, as the app
// uses one for all connector requests.
var sharedCache = catalog.NewCache(1000, time.Minute, testMetrics)

// server is an API behind a real HTTP server, called the way the
// Connectors gateway forwards requests.
type server struct {
	api *API
	srv *httptest.Server
}

// newServer starts the API with opts (the tests' logger, metrics and cache
// unless set) on a loopback HTTP server.
func newServer(tb testing.TB, opts Options) *server {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger
	}
	if opts.Metrics == nil {
		opts.Metrics = testMetrics
	}
	if opts.Cache == nil {
		opts.Cache = sharedCache
	}
	if opts.AllowedHosts == nil {
		opts.AllowedHosts = []string{"127.0.0.1"}
	}
	api := New(withConstructors(opts))
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return &server{api: api, srv: srv}
}

// answer is a response read whole.
type answer struct {
	code   int
	header http.Header
	body   []byte
}

// get sends GET path (with its query) carrying the gateway headers h.
func (s *server) get(tb testing.TB, path string, h http.Header) answer {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	a := answer{code: resp.StatusCode, header: resp.Header, body: readAll(tb, resp.Body)}
	if a.code >= 400 || strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		// For the secret scan of TestMain.
		fmt.Fprintf(&bodyBuf, "GET %s %d %s\n", path, a.code, a.body)
	}
	return a
}

// json decodes the body into v.
func (a answer) json(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		tb.Fatalf("answer %d: %v: %s", a.code, err, a.body)
	}
}

// status decodes a Status body and checks that its code is the answer's.
func (a answer) status(tb testing.TB) statusBody {
	tb.Helper()
	var st statusBody
	a.json(tb, &st)
	if st.Kind != "Status" || st.APIVersion != "v1" || st.Code != a.code {
		tb.Errorf("answer %d: Status envelope %+v", a.code, st)
	}
	if a.code != http.StatusOK && st.Status != "Failure" {
		tb.Errorf("answer %d: status %q, want Failure", a.code, st.Status)
	}
	return st
}

// statusBody is a metav1.Status as a client reads it.
type statusBody struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Status     string `json:"status"`
	Message    string `json:"message"`
	Reason     string `json:"reason"`
	Code       int    `json:"code"`
}

// expectStatus checks that a is a Status of the given code and reason.
func expectStatus(tb testing.TB, a answer, code int, reason string) statusBody {
	tb.Helper()
	if a.code != code {
		tb.Fatalf("answer %d, want %d: %s", a.code, code, a.body)
	}
	st := a.status(tb)
	if st.Reason != reason {
		tb.Errorf("reason %q, want %q (message %q)", st.Reason, reason, st.Message)
	}
	return st
}

// makeArchive writes a small .tar.gz holding one file and returns its path,
// bytes and sha256 checksum.
func makeArchive(tb testing.TB, name, content string) (path string, data []byte, checksum string) {
	tb.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "README.md", Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)}); err != nil {
		tb.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		tb.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		tb.Fatal(err)
	}
	path = filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path, buf.Bytes(), testserver.Digest(buf.Bytes())
}

// closedPortURL returns an http URL on loopback where nothing listens.
func closedPortURL(tb testing.TB) string { return "http://" + testserver.ClosedAddr(tb) }

// silentURL returns an http URL on loopback whose server accepts
// connections and never answers, until the test ends.
func silentURL(tb testing.TB) string { return "http://" + testserver.SilentAddr(tb) }
