package httpkit

import (
	"fmt"
	"math"
	"testing"
)

func TestPage(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	for _, tc := range []struct {
		page, per int
		want      string
	}{
		{1, 2, "[1 2]"}, {3, 2, "[5]"}, {4, 2, "[]"}, {1, 20, "[1 2 3 4 5]"},
		{922337203685477582, 20, "[]"}, {2, 1000, "[]"}, {1 << 62, 1 << 62, "[]"},
		{math.MaxInt, math.MaxInt, "[]"}, {0, 2, "[]"},
	} {
		if got := fmt.Sprint(Page(items, tc.page, tc.per)); got != tc.want {
			t.Errorf("Page(page %d, %d per page) = %s, want %s", tc.page, tc.per, got, tc.want)
		}
	}
}

func TestOffset(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	for _, tc := range []struct {
		offset, limit int
		want          string
	}{
		{0, 2, "[1 2]"}, {4, 2, "[5]"}, {5, 2, "[]"}, {0, 1000, "[1 2 3 4 5]"},
		{math.MaxInt, 1000, "[]"}, {1, math.MaxInt, "[2 3 4 5]"},
	} {
		if got := fmt.Sprint(Offset(items, tc.offset, tc.limit)); got != tc.want {
			t.Errorf("Offset(%d, %d) = %s, want %s", tc.offset, tc.limit, got, tc.want)
		}
	}
}
