package httpkit

import (
	"errors"
	"math"
	"net/http/httptest"
	"net/url"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// TestIntParam checks that a value of more digits than an int holds counts
// as the largest int (clamped to the maximum when there is one), while
// anything that is not a whole number of at least the minimum, however
// long, is refused.
func TestIntParam(t *testing.T) {
	const huge = "99999999999999999999" // > math.MaxUint64
	for _, c := range []struct {
		value    string
		min, max int
		want     int
		bad      bool
	}{
		{value: "", min: 1, max: 1000, want: 7}, // absent: the default
		{value: "5", min: 1, max: 1000, want: 5},
		{value: "+5", min: 1, max: 1000, want: 5},
		{value: " 12 ", min: 1, max: 1000, want: 12},
		{value: "1001", min: 1, max: 1000, want: 1000},
		{value: "9223372036854775807", min: 1, max: 1000, want: 1000},
		{value: "9223372036854775808", min: 1, max: 1000, want: 1000},
		{value: huge, min: 1, max: 1000, want: 1000},
		{value: "+" + huge, min: 1, max: 1000, want: 1000},
		{value: huge, min: 0, max: -1, want: math.MaxInt},
		{value: "00000000000000000000000000000042", min: 0, max: -1, want: 42},
		{value: "0", min: 1, max: 1000, bad: true},
		{value: "-5", min: 0, max: -1, bad: true},
		{value: "-" + huge, min: 0, max: -1, bad: true},
		{value: "-" + huge, min: 1, max: 1000, bad: true},
		{value: huge + ".5", min: 0, max: -1, bad: true},
		{value: "1.5", min: 1, max: 1000, bad: true},
		{value: "1e30", min: 0, max: -1, bad: true},
		{value: "0x10", min: 0, max: -1, bad: true},
		{value: "1_000", min: 0, max: -1, bad: true},
		{value: huge + "x", min: 0, max: -1, bad: true},
		{value: "abc", min: 1, max: 1000, bad: true},
	} {
		r := httptest.NewRequest("GET", "/api/v1/extensions?n="+url.QueryEscape(c.value), nil)
		got, err := Int(r, "n", 7, c.min, c.max)
		switch {
		case c.bad && err == nil:
			t.Errorf("Int(%q, min %d) = %d, want an error", c.value, c.min, got)
		case c.bad && !errors.Is(err, registry.ErrInvalid):
			t.Errorf("Int(%q): error %v, want ErrInvalid", c.value, err)
		case !c.bad && (err != nil || got != c.want):
			t.Errorf("Int(%q, min %d, max %d) = %d, %v; want %d", c.value, c.min, c.max, got, err, c.want)
		}
	}
}
