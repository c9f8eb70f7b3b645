package metrics

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestInstrumentTransport checks backend_requests_total: every answered
// request counted under its backend, method and status code; requests that
// get no answer are not counted.
func TestInstrumentTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	m := New(reg)
	oci := &http.Client{Transport: m.InstrumentTransport("oci", nil)}
	gitea := &http.Client{Transport: m.InstrumentTransport("gitea", http.DefaultTransport)}

	do := func(c *http.Client, method, path string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	do(oci, http.MethodGet, "/ok")
	do(oci, http.MethodGet, "/ok")
	do(oci, http.MethodHead, "/missing")
	do(gitea, http.MethodGet, "/missing")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	if _, err := oci.Get(closed); err == nil {
		t.Fatal("a closed port answered")
	}

	for _, c := range []struct {
		backend, method, code string
		want                  float64
	}{
		{"oci", "get", "200", 2},
		{"oci", "head", "404", 1},
		{"gitea", "get", "404", 1},
		{"gitea", "get", "200", 0},
	} {
		if got := testutil.ToFloat64(m.BackendRequests.WithLabelValues(c.backend, c.method, c.code)); got != c.want {
			t.Errorf("backend_requests_total{backend=%q,method=%q,code=%q} = %v, want %v", c.backend, c.method, c.code, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.BackendRequests); n != 4 {
		t.Errorf("%d backend_requests_total series, want 4 (the unanswered request is not counted)", n)
	}
}

// TestNewRegisters checks that New registers every collector on the
// registerer it is given (and on none when given nil), under the names the
// API document and the README use.
func TestNewRegisters(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.Requests.WithLabelValues("/api/v1/health", "GET", "200").Inc()
	m.Duration.WithLabelValues("/api/v1/health", "GET").Observe(0.01)
	m.CacheHits.WithLabelValues("list").Inc()
	m.CacheMisses.WithLabelValues("list").Inc()
	m.Extensions.WithLabelValues("provider", "oci").Set(2)
	m.BackendRequests.WithLabelValues("oci", "get", "200").Inc()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName()+":"+f.GetType().String())
	}
	sort.Strings(names)
	want := []string{
		"backend_requests_total:COUNTER", "cache_hits_total:COUNTER", "cache_misses_total:COUNTER",
		"extensions_total:GAUGE", "http_request_duration_seconds:HISTOGRAM", "http_requests_total:COUNTER",
	}
	if len(names) != len(want) {
		t.Fatalf("gathered %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("gathered %v, want %v", names, want)
			break
		}
	}

	// Unregistered collectors for tests and per-request catalogs: a second
	// New on the same registry would panic, nil never does.
	New(nil)
	New(nil)
}
