package registry

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseVersion: any string either parses to a version whose canonical
// form parses to itself, or is an ErrInvalidVersion whose message quotes a
// bounded excerpt of the input.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.2.0", "v1.2.0", "1.3.0-rc.1", "1.2", "1.2.3.4", "v", "", "1.0.0+build.5", "01.2.3", "1.2.3-", "9999999999999999999999.0.0", "1.0.0-é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidVersion) {
				t.Fatalf("ParseVersion(%q): error of another kind: %v", s, err)
			}
			if msg := PublicMessage(err); len(msg) > 200 {
				t.Fatalf("message of %d bytes echoes the input", len(msg))
			}
			return
		}
		again, err := ParseVersion(v.String())
		if err != nil || !again.Equal(v) {
			t.Fatalf("%q parsed to %s, which does not parse back: %v", s, v, err)
		}
		if n, ok := NormalizeVersion(s); !ok || strings.HasPrefix(n, "v") {
			t.Fatalf("NormalizeVersion(%q) = %q, %v", s, n, ok)
		}
	})
}
