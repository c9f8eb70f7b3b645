package httpapi

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzIntParam: any limit value is refused with a bounded message or read
// as a number within [min, max].
func FuzzIntParam(f *testing.F) {
	for _, s := range []string{"10", "0", "-1", "abc", "1e3", "0x10", "99999999999999999999", "99999999999999999999.5", "+5", " 7 ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("GET", "/api/v1/extensions?limit="+url.QueryEscape(s), nil)
		n, err := intParam(r, "limit", listDefaultLimit, 1, listMaxLimit)
		if err != nil {
			if len(err.Error()) > 300 {
				t.Fatalf("message of %d bytes", len(err.Error()))
			}
			return
		}
		if n < 1 || n > listMaxLimit {
			t.Fatalf("limit %q read as %d", s, n)
		}
	})
}
