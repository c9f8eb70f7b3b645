package web

import (
	"net/url"
	"strconv"
)

// maxPage bounds the page parameter, so that no page number makes the
// registry compute anything large.
const maxPage = 1_000_000

// listParams are the parameters a list link keeps.
var listParams = []string{"q", "type", "source"}

// pager is the position of one page in a paged list.
type pager struct {
	// Page is the 1-based page number, Pages how many pages there are.
	Page, Pages int
	// Prev and Next are the links to the neighbours, empty at the ends.
	Prev, Next string
	size       int
}

// pageParam parses the optional page parameter; ok is false when it is
// given and is not a whole number from 1.
func pageParam(q url.Values) (int, bool) {
	s := q.Get("page")
	if s == "" {
		return 1, true
	}
	if len(s) > 7 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPage {
		return 0, false
	}
	return n, true
}

// newPager places page of a list of total items, size per page, on path
// with the parameters q.
func newPager(path string, q url.Values, page, total, size int) pager {
	pages := (total + size - 1) / size
	if pages == 0 {
		pages = 1
	}
	p := pager{Page: page, Pages: pages, size: size}
	link := func(n int) string {
		v := url.Values{}
		for _, k := range listParams {
			if s := q.Get(k); s != "" {
				v.Set(k, s)
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	if page > 1 {
		p.Prev = link(min(page-1, pages))
	}
	if page < pages {
		p.Next = link(page + 1)
	}
	return p
}

// bounds returns the slice bounds of the page in a list of n items.
func (p pager) bounds(n int) (lo, hi int) {
	lo = min((p.Page-1)*p.size, n)
	return lo, min(lo+p.size, n)
}
