package route

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/provisioning-platform/extension-registry/metrics"
)

// newRouter returns a router whose failures answer "status message".
func newRouter() (*Router, *http.ServeMux, *metrics.Metrics) {
	mux := http.NewServeMux()
	m := metrics.New(prometheus.NewRegistry())
	rt := &Router{Mux: mux, Metrics: m, Fail: func(w http.ResponseWriter, r *http.Request, status int, message string) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(message))
	}}
	return rt, mux, m
}

func TestRouter(t *testing.T) {
	rt, mux, m := newRouter()
	rt.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("item " + r.PathValue("id"))) })
	rt.Get("/boom", func(w http.ResponseWriter, r *http.Request) { panic("kaput") })
	rt.Get("/abort", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("partial"))
		panic(http.ErrAbortHandler)
	})
	rt.NotFound("/")

	do := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}
	if rec := do("GET", "/items/7"); rec.Code != 200 || rec.Body.String() != "item 7" {
		t.Errorf("GET = %d %q", rec.Code, rec.Body)
	}
	if rec := do("HEAD", "/items/7"); rec.Code != 200 {
		t.Errorf("HEAD = %d", rec.Code)
	}
	rec := do("POST", "/items/7")
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD, OPTIONS" || !strings.Contains(rec.Body.String(), "POST") {
		t.Errorf("POST = %d Allow=%q %q", rec.Code, rec.Header().Get("Allow"), rec.Body)
	}
	if rec := do("OPTIONS", "/items/7"); rec.Code != 204 || rec.Header().Get("Allow") != "GET, HEAD, OPTIONS" {
		t.Errorf("OPTIONS = %d Allow=%q", rec.Code, rec.Header().Get("Allow"))
	}
	if rec := do("GET", "/nowhere"); rec.Code != 404 || !strings.Contains(rec.Body.String(), "/nowhere") {
		t.Errorf("unknown route = %d %q", rec.Code, rec.Body)
	}
	if rec := do("GET", "/boom"); rec.Code != 500 || strings.Contains(rec.Body.String(), "kaput") {
		t.Errorf("panic = %d %q: want a 500 that does not show the panic", rec.Code, rec.Body)
	}
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("ErrAbortHandler not re-raised: %v", p)
			}
		}()
		do("GET", "/abort")
	}()

	for _, tc := range []struct {
		route, method, code string
		want                float64
	}{
		{"/items/{id}", "GET", "200", 1},
		{"/items/{id}", "HEAD", "200", 1},
		{"/items/{id}", "POST", "405", 1},
		{"unmatched", "GET", "404", 1},
		{"/boom", "GET", "500", 1},
		{"/abort", "GET", "200", 1},
	} {
		if got := testutil.ToFloat64(m.Requests.WithLabelValues(tc.route, tc.method, tc.code)); got != tc.want {
			t.Errorf("http_requests_total{route=%q,method=%q,code=%q} = %v, want %v", tc.route, tc.method, tc.code, got, tc.want)
		}
	}
}

// TestEchoBounded checks that neither a long method nor a long path is
// echoed whole in the router's own answers.
func TestEchoBounded(t *testing.T) {
	rt, mux, _ := newRouter()
	rt.Get("/items", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("items")) })
	rt.NotFound("/")
	long := strings.Repeat("a", 10000)
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/"+long, nil),
		httptest.NewRequest(strings.ToUpper(long), "/items", nil),
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Body.Len() > 500 {
			t.Errorf("%d-byte answer to a %d-byte input: echoed unbounded", rec.Body.Len(), len(long))
		}
	}
}

// TestHomeLabel: the home page is labelled "/", not the router syntax
// "/{$}" (a review found route="/{$}" in /metrics).
func TestHomeLabel(t *testing.T) {
	rt, mux, m := newRouter()
	rt.Get("/{$}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if got := testutil.ToFloat64(m.Requests.WithLabelValues("/", "GET", "200")); got != 1 {
		t.Errorf(`route="/" counted %v times, want 1`, got)
	}
	for in, want := range map[string]string{"/{$}": "/", "/api/v1/extensions": "/api/v1/extensions", "/x/{$}": "/x/"} {
		if got := Label(in); got != want {
			t.Errorf("Label(%s) = %s, want %s", in, got, want)
		}
	}
}
