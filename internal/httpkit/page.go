package httpkit

// Offset returns the window [offset, offset+limit) of items (the v1 API's
// paging), never nil, so that an empty page is [] in JSON.
func Offset[T any](items []T, offset, limit int) []T {
	if offset < 0 || limit < 0 || offset >= len(items) {
		return []T{}
	}
	end := offset + min(limit, len(items)-offset) // no overflow
	return items[offset:end]
}

// Page returns page number page (1-based) of items, perPage items a page
// (the ConnectorClass API's paging), never nil.
func Page[T any](items []T, page, perPage int) []T {
	if page < 1 || perPage < 1 || page-1 >= (len(items)+perPage-1)/perPage {
		return []T{}
	}
	return Offset(items, (page-1)*perPage, perPage) // no overflow: page is within the pages
}
