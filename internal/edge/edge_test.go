package edge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// jsonFail writes {"face":..., "status":..., "message":...}, so tests see
// which face answered.
func jsonFail(face string) FailFunc {
	return func(w http.ResponseWriter, _ *http.Request, status int, message string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"face": face, "status": status, "message": message})
	}
}

func newTestEdge(t *testing.T, opts Options) *Edge {
	t.Helper()
	opts.Faces = []Face{{Prefix: "/connectors/", Fail: jsonFail("connector")}}
	opts.Default = jsonFail("v1")
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type answer struct {
	Face    string `json:"face"`
	Status  int    `json:"status"`
	Message string `json:"message"`
}

func serve(t *testing.T, h http.Handler, target string) (*httptest.ResponseRecorder, answer) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://registry.test/", nil)
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatalf("target %q: %v", target, err)
	}
	req.URL = u
	req.RequestURI = target
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var a answer
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatalf("%s: body %q: %v", target, rec.Body.String(), err)
		}
	}
	return rec, a
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

func TestRequestChecks(t *testing.T) {
	h := newTestEdge(t, Options{}).Handler(okHandler)
	long := strings.Repeat("a", 10000)
	for _, tc := range []struct {
		target string
		status int
		face   string
		in     string // the message contains
	}{
		{"/api/v1/extensions//aws", 404, "v1", "not clean"},
		{"/api/v1/./extensions", 404, "v1", "not clean"},
		{"/api/v1/extensions/../health", 404, "v1", "not clean"},
		{"/connectors/gitea//extensions", 404, "connector", "not clean"},
		{"/api/v1/extensions/provider/" + long, 404, "v1", "longer than the 256"},
		{"/api/v1/extensions/provider/aws%2Fx", 400, "v1", "encoded slash"},
		{"/api/v1/extensions/provider/a%5Cb", 400, "v1", "encoded slash"},
		{"/api/v1/extensions/provider/a%00b", 400, "v1", "control character"},
		{"/api/v1/extensions/provider/%ff", 400, "v1", "UTF-8"},
		{"/api/v1/extensions?type=%zz", 400, "v1", `"type"`},
		{"/api/v1/extensions?limit=1;offset=2", 400, "v1", "';'"},
		{"/api/v1/extensions?type=provider&type=taskserv", 400, "v1", "more than once"},
		{"/api/v1/extensions?%zz=1", 400, "v1", "name"},
		{"/api/v1/extensions?=x", 400, "v1", "no name"},
		{"/api/v1/extensions/search?q=" + long, 414, "v1", "longer than the 4096"},
		{"/api/v1/" + strings.Repeat("ab/", 1000), 414, "v1", "longer than the 2048"},
		{"/connectors/oci/extensions?page=1&page=2", 400, "connector", "more than once"},
		{"/api/v1/extensions?" + strings.Repeat("a=1&", 0) + manyParams(40), 400, "v1", "Too many"},
	} {
		name := tc.target
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			rec, a := serve(t, h, tc.target)
			if rec.Code != tc.status || a.Face != tc.face || !strings.Contains(a.Message, tc.in) {
				t.Fatalf("got %d %+v, want %d from %s containing %q", rec.Code, a, tc.status, tc.face, tc.in)
			}
			if rec.Body.Len() > 600 {
				t.Errorf("body of %d bytes echoes the input", rec.Body.Len())
			}
		})
	}
	for _, ok := range []string{"/", "/api/v1/extensions/", "/api/v1/extensions?type=provider&limit=2", "/api/v1/extensions/provider/aws/1.0.0%2Bbuild", "/api/v1/extensions?q=a+b&x="} {
		if rec, _ := serve(t, h, ok); rec.Code != 200 {
			t.Errorf("%s: got %d %s, want it passed", ok, rec.Code, rec.Body)
		}
	}
}

func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "p%d=1&", i)
	}
	return b.String()
}

func TestInflightCap(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	reg := prometheus.NewRegistry()
	e := newTestEdge(t, Options{MaxInflight: 2, Registerer: reg})
	defer func() {
		if n := testutil.ToFloat64(e.refused.WithLabelValues(reasonInflight)); n != 1 {
			t.Errorf("http_edge_refused_total{reason=max_inflight} = %v, want 1", n)
		}
		if n, _ := testutil.GatherAndCount(reg, "http_edge_refused_total"); n != 3 {
			t.Errorf("%d series, want the 3 reasons", n)
		}
	}()
	h := e.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/livez" {
			return
		}
		entered <- struct{}{}
		<-release
	}))
	done := make(chan int, 2)
	for range 2 {
		go func() { rec, _ := serve(t, h, "/api/v1/health"); done <- rec.Code }()
	}
	<-entered
	<-entered
	if rec, _ := serve(t, h, "/livez"); rec.Code != 200 {
		t.Errorf("/livez under the cap: %d, want it exempt", rec.Code)
	}
	rec, a := serve(t, h, "/connectors/oci/extensions")
	if rec.Code != 503 || a.Face != "connector" || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("third request: %d %+v Retry-After=%q, want 503 from the connector face with Retry-After 1", rec.Code, a, rec.Header().Get("Retry-After"))
	}
	close(release)
	for range 2 {
		if c := <-done; c != 200 {
			t.Errorf("held request got %d", c)
		}
	}
	if rec, _ := serve(t, h, "/api/v1/health"); rec.Code != 200 {
		t.Errorf("after the release: %d, want 200 (slots returned)", rec.Code)
	}
}

func TestBudget(t *testing.T) {
	h := newTestEdge(t, Options{RequestTimeout: 100 * time.Millisecond, BudgetPrefix: "/api/v1/"}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/stream" {
			w.WriteHeader(200) // the answer started: the budget is lifted
			time.Sleep(300 * time.Millisecond)
			if err := r.Context().Err(); err != nil {
				t.Errorf("context ended after the answer started: %v", err)
			}
			_, _ = io.WriteString(w, "streamed")
			return
		}
		select {
		case <-r.Context().Done():
			if !errors.Is(r.Context().Err(), context.DeadlineExceeded) {
				t.Errorf("Err = %v, want DeadlineExceeded", r.Context().Err())
			}
			if _, ok := r.Context().Deadline(); !ok {
				t.Error("no deadline reported")
			}
			w.WriteHeader(503)
		case <-time.After(5 * time.Second):
			t.Error("budget never ran out")
		}
	}))
	start := time.Now()
	if rec, _ := serve(t, h, "/api/v1/slow"); rec.Code != 503 || time.Since(start) > 2*time.Second {
		t.Errorf("slow: %d after %s, want 503 after ~100ms", rec.Code, time.Since(start))
	}
	if rec, _ := serve(t, h, "/api/v1/stream"); rec.Body.String() != "streamed" {
		t.Errorf("stream: %q", rec.Body.String())
	}
}

func TestBudgetParentCancel(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	c := withBudget(parent, time.Hour)
	defer c.release()
	cancel()
	select {
	case <-c.Done():
	case <-time.After(time.Second):
		t.Fatal("parent cancel did not end the budget context")
	}
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("Err = %v", c.Err())
	}
}

// TestCannedAnswers sends what net/http refuses before any handler runs
// and checks the answer is the face's body.
func TestCannedAnswers(t *testing.T) {
	e := newTestEdge(t, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e.Handler(okHandler), MaxHeaderBytes: 4096, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(e.Listener(ln, 8)) }()
	t.Cleanup(func() { srv.Close() })
	for _, tc := range []struct {
		name, raw string
		status    int
		face, in  string
	}{
		{"bad escape v1", "GET /api/v1/extensions/provider/aws/1.0.0+%ZZ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "v1", "percent-encoded"},
		{"bad escape connector", "GET /connectors/oci/extensions/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "connector", "percent-encoded"},
		{"no host", "GET /api/v1/health HTTP/1.1\r\n\r\n", 400, "v1", "Host"},
		{"headers too large", "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 9000) + "\r\n\r\n", 431, "v1", "too large"},
		{"unknown transfer encoding", "POST /connectors/oci/extensions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400, "connector", "transfer encoding"},
		{"garbage request line", "HELLO\r\n\r\n", 400, "v1", "Malformed"},
		{"HTTP/2.0 in text form", "GET /api/v1/health HTTP/2.0\r\nHost: x\r\n\r\n", 400, "v1", "protocol version"},
		{"unsupported HTTP version", "GET /connectors/oci HTTP/3.0\r\nHost: x\r\n\r\n", 400, "connector", "protocol version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, tc.raw); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var a answer
			body, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatalf("%d %q is not the face's JSON: %v", resp.StatusCode, body, err)
			}
			if resp.StatusCode != tc.status || a.Face != tc.face || !strings.Contains(a.Message, tc.in) {
				t.Fatalf("got %d %+v, want %d from %s containing %q", resp.StatusCode, a, tc.status, tc.face, tc.in)
			}
		})
	}
}

// TestRewriteOnlyCanned checks that writes which merely look like a canned
// answer are passed through untouched.
func TestRewriteOnlyCanned(t *testing.T) {
	e := newTestEdge(t, Options{})
	head := []byte("GET /api/v1/x HTTP/1.1\r\n")
	canned := "HTTP/1.1 400 Bad Request" + cannedHeaders + "400 Bad Request"
	if _, ok := e.rewrite([]byte(canned), head); !ok {
		t.Fatal("the canned 400 was not rewritten")
	}
	for name, p := range map[string]string{
		"no request read since the last write": canned,
		"body differs":                         "HTTP/1.1 400 Bad Request" + cannedHeaders + "hello",
		"a real answer":                        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{}",
		"long":                                 "HTTP/1.1 400 Bad Request" + cannedHeaders + "400 Bad Request" + strings.Repeat("x", 2000),
	} {
		h := head
		if name == "no request read since the last write" {
			h = nil
		}
		if _, ok := e.rewrite([]byte(p), h); ok {
			t.Errorf("%s: rewritten", name)
		}
	}
}
