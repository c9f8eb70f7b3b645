package catalog

import (
	"context"
	"sort"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// Search returns the extensions whose name, description or tags contain q,
// case-insensitively, best match first: an exact name, then a name prefix,
// then a name containing q, then a tag, then the description. Ties keep the
// list's order (name, then type). An empty typ matches every type.
func (c *Catalog) Search(ctx context.Context, q string, typ registry.Type) ([]registry.Extension, error) {
	out, _, err := c.SearchLimit(ctx, q, typ, -1)
	return out, err
}

// SearchLimit is Search returning only the first limit matches (all when
// limit < 0) and the number of all matches. With the index it copies only
// what it returns.
func (c *Catalog) SearchLimit(ctx context.Context, q string, typ registry.Type, limit int) ([]registry.Extension, int, error) {
	var (
		found []registry.Extension
		n     int
		lerr  error
	)
	ctx, v, ok := c.coldView(ctx, func(v *view) (handled bool) { found, n, lerr, handled = v.search(q, typ, limit); return })
	if ok {
		c.note(ctx, KindList, v)
		return found, n, lerr
	}
	out, err := c.search(ctx, q, typ)
	if err != nil {
		return nil, 0, err
	}
	n = len(out)
	if limit >= 0 && limit < n {
		out = out[:limit]
	}
	return out, n, nil
}

// search is Search without the index: it ranks the (cached) list.
func (c *Catalog) search(ctx context.Context, q string, typ registry.Type) ([]registry.Extension, error) {
	all, err := c.List(ctx, Filter{Type: typ})
	if err != nil {
		return nil, err
	}
	q = strings.ToLower(strings.TrimSpace(q))
	type hit struct {
		ext  registry.Extension
		rank int
	}
	var hits []hit
	for _, e := range all {
		if r := rank(e, q); r >= 0 {
			hits = append(hits, hit{e, r})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].rank < hits[j].rank })
	out := make([]registry.Extension, len(hits))
	for i, h := range hits {
		out[i] = h.ext
	}
	return out, nil
}

// rank scores how well e matches the lower-case query q: lower is better,
// -1 is no match.
func rank(e registry.Extension, q string) int {
	name := strings.ToLower(e.Name)
	switch {
	case name == q:
		return 0
	case strings.HasPrefix(name, q):
		return 1
	case strings.Contains(name, q):
		return 2
	}
	for _, t := range e.Tags {
		if strings.Contains(strings.ToLower(t), q) {
			return 3
		}
	}
	if strings.Contains(strings.ToLower(e.Description), q) {
		return 4
	}
	return -1
}
