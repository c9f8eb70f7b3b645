package edge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func rlRequest(remote string, xff ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/extensions", nil)
	r.RemoteAddr = remote
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	return r
}

func TestRateLimitHeadersAnd429(t *testing.T) {
	h := newTestEdge(t, Options{RateLimit: RateLimit{RPS: 1, Burst: 3}}).Handler(okHandler)
	for i := range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, rlRequest("10.0.0.1:5000"))
		if rec.Code != 200 {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
		if got, want := rec.Header().Get("RateLimit-Remaining"), strconv.Itoa(2-i); got != want {
			t.Errorf("request %d: RateLimit-Remaining %q, want %q", i, got, want)
		}
		if rec.Header().Get("RateLimit-Limit") != "3" || rec.Header().Get("RateLimit-Reset") == "" {
			t.Errorf("request %d: headers %v", i, rec.Header())
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, rlRequest("10.0.0.1:5001"))
	a := decode(t, rec)
	if rec.Code != 429 || a.Face != "v1" || rec.Header().Get("Retry-After") != "1" || rec.Header().Get("RateLimit-Remaining") != "0" {
		t.Fatalf("4th request: %d %+v %v, want 429 with Retry-After 1", rec.Code, a, rec.Header())
	}
	// Another address has its own budget.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, rlRequest("10.0.0.2:5000"))
	if rec.Code != 200 {
		t.Fatalf("other client: %d", rec.Code)
	}
	// Probes are never limited.
	rec = httptest.NewRecorder()
	r := rlRequest("10.0.0.1:5000")
	r.URL.Path = "/livez"
	h.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Fatalf("/livez: %d", rec.Code)
	}
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return a
}

func TestRateLimitClientAddress(t *testing.T) {
	l, err := newLimiter(RateLimit{RPS: 1, TrustedProxies: []string{"10.1.0.0/16", "192.168.0.9"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		r      *http.Request
		client string
	}{
		{"spoofed XFF from an untrusted peer", rlRequest("203.0.113.7:999", "1.2.3.4"), "203.0.113.7"},
		{"no XFF from a proxy", rlRequest("10.1.2.3:80"), "10.1.2.3"},
		{"proxy", rlRequest("10.1.2.3:80", "198.51.100.5"), "198.51.100.5"},
		{"client-supplied left part ignored", rlRequest("10.1.2.3:80", "6.6.6.6, 198.51.100.5"), "198.51.100.5"},
		{"chain of trusted proxies", rlRequest("10.1.2.3:80", "198.51.100.5, 192.168.0.9", "10.1.9.9"), "198.51.100.5"},
		{"garbage hop", rlRequest("10.1.2.3:80", "198.51.100.5, nonsense"), "10.1.2.3"},
		{"ipv6 peer", rlRequest("[2001:db8::1]:80", "1.2.3.4"), "2001:db8::1"},
		{"v4-mapped trusted", rlRequest("[::ffff:10.1.0.1]:80", "198.51.100.6"), "198.51.100.6"},
	} {
		if got := l.client(tc.r).String(); got != tc.client {
			t.Errorf("%s: client %s, want %s", tc.name, got, tc.client)
		}
	}
	if _, err := newLimiter(RateLimit{RPS: 1, TrustedProxies: []string{"not-an-ip"}}); err == nil {
		t.Error("a bad trusted proxy entry was accepted")
	}
}

func TestRateLimitBounded(t *testing.T) {
	l, err := newLimiter(RateLimit{RPS: 1, MaxClients: 100})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 5000 {
		rec := httptest.NewRecorder()
		l.admit(rec, rlRequest("10.9."+strconv.Itoa(i/250)+"."+strconv.Itoa(i%250)+":1"), now)
	}
	if n := l.clients.Len(); n != 100 {
		t.Errorf("%d limiters kept, want the cap 100", n)
	}
}
