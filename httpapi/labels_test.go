package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestInventedMethodsAddNoSeries sends 1,000 requests with invented methods
// to both faces and checks that they add no series to /metrics: every
// label value comes from a closed set (known methods, else "other"; route
// patterns; status codes), and the 405 answer echoes at most a bounded
// excerpt of the method.
func TestInventedMethodsAddNoSeries(t *testing.T) {
	s := startServer(t, baseConfig(t))
	paths := []string{"/api/v1/extensions", "/api/v1/extensions/provider/aws", "/connectors/oci/extensions", "/api/v1/nowhere"}
	send := func(method, path string) response {
		t.Helper()
		req, err := http.NewRequestWithContext(testContext(t), method, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return doRequest(t, req)
	}
	series := func() int {
		n := 0
		for _, smp := range s.scrape(t).samples {
			if strings.HasPrefix(smp.name, "http_request") {
				n++
			}
		}
		return n
	}
	for _, p := range paths {
		send("INVENTED", p) // the "other" series of each route
	}
	series() // the scrape's own series
	before := series()
	long := strings.Repeat("M", 5000)
	for i := range 1000 {
		method := fmt.Sprintf("X%04dMETHOD", i)
		if i == 996 { // on /api/v1/extensions: a 405
			method = long
		}
		r := send(method, paths[i%len(paths)])
		if r.status < 400 || r.status >= 500 {
			t.Fatalf("%s %s: %d, want a 4xx", method[:min(len(method), 20)], paths[i%len(paths)], r.status)
		}
		if len(r.body) > 1000 {
			t.Errorf("%s %s: a %d-byte answer: the method is echoed unbounded", method[:min(len(method), 20)], paths[i%len(paths)], len(r.body))
		}
	}
	if after := series(); after != before {
		t.Errorf("1,000 requests with invented methods grew the request series from %d to %d", before, after)
	}
}
