package registry

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckName: the extension name rule publish applies before it writes
// anything (a 300-byte name once failed with "file name too long").
func TestCheckName(t *testing.T) {
	for _, ok := range []string{"aws", "k8s", "my-ext", "a.b_c", "a__b", strings.Repeat("a", MaxNameLength)} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%s): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "AWS", "-a", "a-", "a/b", "a b", "é", "a..b", strings.Repeat("a", 300)} {
		err := CheckName(bad)
		if err == nil || !errors.Is(err, ErrInvalid) || len(err.Error()) > 200 || strings.Contains(err.Error(), "\n") {
			t.Errorf("CheckName(%.20q) = %v", bad, err)
		}
	}
}
