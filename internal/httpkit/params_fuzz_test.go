package httpkit

import (
	"net/http/httptest"
	"net/url"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// FuzzInt: any limit value is refused with a bounded message or read as a
// number within [min, max]. The bound allows Quote's escapes: each of the
// MaxQuoted bytes can become \" or \\; an unprintable byte is shown as '?'
// (the input in testdata/fuzz/FuzzInt showed the \xNN growth once).
func FuzzInt(f *testing.F) {
	for _, s := range []string{"10", "0", "-1", "abc", "1e3", "0x10", "99999999999999999999", "99999999999999999999.5", "+5", " 7 ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("GET", "/api/v1/extensions?limit="+url.QueryEscape(s), nil)
		n, err := Int(r, "limit", 100, 1, 1000)
		if err != nil {
			if len(err.Error()) > 2*registry.MaxQuoted+120 {
				t.Fatalf("message of %d bytes", len(err.Error()))
			}
			return
		}
		if n < 1 || n > 1000 {
			t.Fatalf("limit %q read as %d", s, n)
		}
	})
}
