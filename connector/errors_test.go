package connector

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHeaderErrorsOverHTTP sends malformed gateway headers to every base:
// each answer is a 400 BadRequest Status naming the header at fault.
func TestHeaderErrorsOverHTTP(t *testing.T) {
	s := newServer(t, Options{})
	good := basic("http://127.0.0.1:1", "header-user", "header-pass")
	with := func(name, value string) http.Header {
		h := good.Clone()
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	tests := []struct {
		name   string
		h      http.Header
		header string
	}{
		{"no headers", http.Header{}, HeaderMeta},
		{"meta missing", with(HeaderMeta, ""), HeaderMeta},
		{"meta not base64", with(HeaderMeta, "not base64!"), HeaderMeta},
		{"meta not JSON", with(HeaderMeta, b64("http://127.0.0.1:1")), HeaderMeta},
		{"auth missing", with(HeaderAuth, ""), HeaderAuth},
		{"auth not base64", with(HeaderAuth, "&&&"), HeaderAuth},
		{"secret missing", with(HeaderSecret, ""), HeaderSecret},
		{"secret not base64", with(HeaderSecret, "&&&"), HeaderSecret},
		{"secret not JSON", with(HeaderSecret, b64("[1,2]")), HeaderSecret},
		{"secret value not base64", with(HeaderSecret, b64(`{"username":"%%%"}`)), HeaderSecret},
		{"basic-auth without password", with(HeaderSecret, b64(`{"username":"`+b64("header-user")+`"}`)), HeaderSecret},
	}
	for _, base := range []string{GiteaBase, OCIBase} {
		for _, tc := range tests {
			t.Run(base+" "+tc.name, func(t *testing.T) {
				for _, res := range []string{"/", "/authcheck", "/extensions", "/extensions/provider/aws", "/extensions/provider/aws/versions", "/extensions/provider/aws/1.0.0"} {
					st := expectStatus(t, s.get(t, base+res, tc.h), 400, "BadRequest")
					if !strings.Contains(st.Message, tc.header) {
						t.Errorf("%s: message %q does not name %s", res, st.Message, tc.header)
					}
				}
			})
		}
	}
}

// TestAllowedHosts refuses tool hosts outside connectors.allowed_hosts
// before any call, with a 403 naming the key and the host.
func TestAllowedHosts(t *testing.T) {
	target := closedPortURL(t) // never called: a call would answer 503
	port := target[strings.LastIndexByte(target, ':')+1:]
	tests := []struct {
		name    string
		allowed []string
		baseURL string
		code    int
	}{
		{"default allows nothing", []string{}, target, 403},
		{"other host", []string{"gitea.example.com"}, target, 403},
		{"same host by another name", []string{"127.0.0.1"}, "http://localhost:" + port, 403},
		{"other port", []string{"127.0.0.1:1"}, target, 403},
		{"listed host", []string{"127.0.0.1"}, target, 503},
		{"listed host and port", []string{"127.0.0.1:" + port}, target, 503},
		{"everything", []string{"*"}, target, 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Options{AllowedHosts: tc.allowed})
			for _, base := range []string{GiteaBase, OCIBase} {
				a := s.get(t, base+"/extensions?organization=org", basic(tc.baseURL, "hosts-user", "hosts-pass"))
				if a.code != tc.code {
					t.Fatalf("%s: answer %d, want %d: %s", base, a.code, tc.code, a.body)
				}
				st := a.status(t)
				if tc.code == 403 && (st.Reason != "Forbidden" || !strings.Contains(st.Message, AllowedHostsKey) ||
					!strings.Contains(st.Message, strings.TrimPrefix(tc.baseURL, "http://"))) {
					t.Errorf("%s: Status %+v should be Forbidden naming %s and the host", base, st, AllowedHostsKey)
				}
			}
		})
	}
}

// TestUnreachableTool answers 503 for a tool whose port is closed, on every
// resource; liveness says the same.
func TestUnreachableTool(t *testing.T) {
	s := newServer(t, Options{})
	h := basic(closedPortURL(t), "unreachable-user", "unreachable-pass")
	for _, base := range []string{GiteaBase, OCIBase} {
		for _, res := range []string{"/", "/authcheck", "/extensions?organization=org", "/extensions/provider/aws?organization=org",
			"/extensions/provider/aws/versions?organization=org", "/extensions/provider/aws/1.0.0?organization=org"} {
			t.Run(base+res, func(t *testing.T) {
				expectStatus(t, s.get(t, base+res, h), 503, "ServiceUnavailable")
			})
		}
	}
}

// TestSilentTool answers 504 Timeout when the tool accepts the connection
// and never answers within Options.Timeout; liveness answers 503.
func TestSilentTool(t *testing.T) {
	const budget = 300 * time.Millisecond
	s := newServer(t, Options{Timeout: budget})
	h := basic(silentURL(t), "silent-user", "silent-pass")
	for _, base := range []string{GiteaBase, OCIBase} {
		for _, res := range []string{"/authcheck", "/extensions?organization=org", "/extensions/provider/aws?organization=org",
			"/extensions/provider/aws/versions?organization=org", "/extensions/provider/aws/1.0.0?organization=org"} {
			t.Run(base+res, func(t *testing.T) {
				start := time.Now()
				expectStatus(t, s.get(t, base+res, h), 504, "Timeout")
				if d := time.Since(start); d > budget+5*time.Second {
					t.Errorf("took %s with a budget of %s", d, budget)
				}
			})
		}
		t.Run(base+" liveness", func(t *testing.T) {
			expectStatus(t, s.get(t, base+"/", h), 503, "ServiceUnavailable")
		})
	}
}

// TestAllowedHostsFollowRedirects checks that the allow-list holds for
// every request made for a Connector: an allowed tool that redirects to a
// host outside the list gets a 403 naming the key and that host, and the
// other host is never called.
func TestAllowedHostsFollowRedirects(t *testing.T) {
	var elsewhereCalls atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereCalls.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(elsewhere.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	allowed := strings.TrimPrefix(redirector.URL, "http://")
	other := strings.TrimPrefix(elsewhere.URL, "http://")

	s := newServer(t, Options{AllowedHosts: []string{allowed}})
	for _, base := range []string{GiteaBase, OCIBase} {
		for _, res := range []string{"/extensions?organization=org", "/authcheck?organization=org"} {
			st := expectStatus(t, s.get(t, base+res, basic(redirector.URL, "redirect-user", "redirect-pass")), http.StatusForbidden, "Forbidden")
			if !strings.Contains(st.Message, AllowedHostsKey) || !strings.Contains(st.Message, other) {
				t.Errorf("%s%s: message %q should name %s and %s", base, res, st.Message, AllowedHostsKey, other)
			}
		}
	}
	if n := elsewhereCalls.Load(); n != 0 {
		t.Errorf("the host outside the list was called %d times", n)
	}
}
