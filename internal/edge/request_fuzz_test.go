package edge

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckQuery: a raw query is refused with a bounded message, or it
// parses cleanly with net/url, within the bounds, no name repeated.
func FuzzCheckQuery(f *testing.F) {
	for _, s := range []string{"type=provider&limit=2", "type=%zz", "limit=1;offset=2", "a=1&a=2", "=x", "%zz=1", "q=a+b", "x=%C3%A4", "x=%ff", "&&&", "q=" + strings.Repeat("k", 5000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		status, msg := checkQuery(raw)
		if status != 0 {
			if status != http.StatusBadRequest && status != http.StatusRequestURITooLong {
				t.Fatalf("status %d", status)
			}
			if len(msg) > 300 {
				t.Fatalf("message of %d bytes", len(msg))
			}
			return
		}
		v, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatalf("accepted %q, which net/url refuses: %v", raw, err)
		}
		for k, vs := range v {
			if len(vs) > 1 {
				t.Fatalf("accepted %q with %q repeated", raw, k)
			}
		}
		if len(raw) > MaxQuery || len(v) > MaxParams {
			t.Fatalf("accepted %d bytes, %d parameters", len(raw), len(v))
		}
	})
}

// FuzzCheckPath: a request path is refused with a bounded message, or it
// is clean (path.Clean would not redirect it) with short segments.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{"/api/v1/extensions/provider/aws", "//x", "/a/./b", "/a/../b", "/a%2Fb", "/%ff", "/a%00", "/" + strings.Repeat("n", 300), "/api/v1/extensions/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.ParseRequestURI(raw)
		if err != nil || u.Opaque != "" || u.Host != "" {
			return // net/http refuses it before any handler runs
		}
		status, msg := checkPath(u)
		if status != 0 {
			if len(msg) > 300 {
				t.Fatalf("message of %d bytes", len(msg))
			}
			return
		}
		p := u.Path
		if strings.Contains(p, "//") || strings.Contains(p+"/", "/./") || strings.Contains(p+"/", "/../") || strings.ContainsAny(p, "\\\x00") {
			t.Fatalf("accepted unclean path %q", p)
		}
		for _, s := range strings.Split(p, "/") {
			if len(s) > MaxSegment {
				t.Fatalf("accepted a segment of %d bytes", len(s))
			}
		}
	})
}
