package catalog

import (
	"errors"
	"sort"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// list answers a filtered list from the view. handled is false when a
// source the answer depends on has not been read yet. A list of one
// source past index.max_stale, or of every source when all are, answers
// that source's ErrUnavailable; otherwise an expired source's extensions
// are left out (and the copies they shadow are not served in their place).
func (v *view) filter(f Filter) (exts []registry.Extension, idx []int, err error, handled bool) {
	if v.firstUnread < v.nsources {
		return nil, nil, nil, false
	}
	if f.Source != "" {
		if err := v.expired[f.Source]; err != nil {
			return nil, nil, err, true
		}
	} else if len(v.expired) == v.nsources && v.nsources > 0 {
		errs := make([]error, 0, len(v.expired))
		for _, err := range v.expired {
			errs = append(errs, err)
		}
		return nil, nil, errors.Join(errs...), true
	}
	if f == (Filter{}) {
		return v.list, nil, nil, true
	}
	if got, ok := v.filtered.Load(f); ok {
		idx = got.([]int)
	} else {
		idx = []int{}
		for i, e := range v.list {
			if (f.Type == "" || e.Type == f.Type) && (f.Source == "" || e.Source == f.Source) {
				idx = append(idx, i)
			}
		}
		v.filtered.Store(f, idx)
	}
	exts = make([]registry.Extension, len(idx))
	for i, j := range idx {
		exts[i] = v.list[j]
	}
	return exts, idx, nil, true
}

// search ranks the view's extensions of typ (all when empty) against q
// as Search documents and returns the first limit matches (all when
// limit < 0) and their number. It scans the view's corpus (every
// document's lower-case text, one after the other) with strings.Index,
// so that only the documents that contain q are ranked.
func (v *view) search(q string, typ registry.Type, limit int) ([]registry.Extension, int, error, bool) {
	if _, _, err, handled := v.filter(Filter{Type: typ}); !handled || err != nil {
		return nil, 0, err, handled
	}
	q = strings.ToLower(strings.TrimSpace(q))
	// One bucket per rank, each in list order: the order a stable sort by
	// rank gives, in one pass.
	var buckets [5][]int32
	n := 0
	add := func(i int) {
		if typ != "" && v.list[i].Type != typ {
			return
		}
		if r := v.docs[i].rank(q); r >= 0 {
			buckets[r] = append(buckets[r], int32(i))
			n++
		}
	}
	if q == "" || strings.ContainsAny(q, docSeparators) {
		for i := range v.list {
			add(i)
		}
	} else {
		for pos := 0; pos < len(v.corpus); {
			j := strings.Index(v.corpus[pos:], q)
			if j < 0 {
				break
			}
			i := v.docAt(pos + j)
			add(i)
			pos = int(v.starts[i+1])
		}
	}
	if limit < 0 || limit > n {
		limit = n
	}
	out := make([]registry.Extension, 0, limit)
	for _, b := range buckets {
		for _, i := range b {
			if len(out) == limit {
				return out, n, nil, true
			}
			out = append(out, v.list[i])
		}
	}
	return out, n, nil, true
}

// docSeparators end the fields and documents of a view's corpus; a query
// holding one is matched document by document.
const docSeparators = "\x00\x01"

// buildCorpus lays the documents end to end: name, tags and description,
// each ended by \x01, each document by \x00; starts[i] is where document i
// begins, starts[len] the corpus's length.
func (v *view) buildCorpus() {
	var b strings.Builder
	v.starts = make([]int32, len(v.docs)+1)
	for i, d := range v.docs {
		v.starts[i] = int32(b.Len())
		b.WriteString(d.name)
		b.WriteByte(1)
		for _, t := range d.tags {
			b.WriteString(t)
			b.WriteByte(1)
		}
		b.WriteString(d.desc)
		b.WriteByte(0)
	}
	v.starts[len(v.docs)] = int32(b.Len())
	v.corpus = b.String()
}

// docAt returns the document the corpus offset off falls in.
func (v *view) docAt(off int) int {
	return sort.Search(len(v.docs), func(i int) bool { return int(v.starts[i+1]) > off })
}

// rank is the rank of the package's Search for a pre-lowered document.
func (d *searchDoc) rank(q string) int {
	switch {
	case d.name == q:
		return 0
	case strings.HasPrefix(d.name, q):
		return 1
	case strings.Contains(d.name, q):
		return 2
	}
	for _, t := range d.tags {
		if strings.Contains(t, q) {
			return 3
		}
	}
	if strings.Contains(d.desc, q) {
		return 4
	}
	return -1
}

// stats counts what the view holds in the API's terms: one metadata and one
// versions entry per served extension, one list entry per list the view
// answers (the unfiltered one and every filter asked for so far).
func (v *view) stats() Stats {
	n := len(v.list)
	lists := 1
	v.filtered.Range(func(any, any) bool { lists++; return true })
	return Stats{ListEntries: lists, MetadataEntries: n, VersionEntries: n, TotalEntries: lists + 2*n}
}
