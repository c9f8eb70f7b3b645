package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
)

// perPage is how many extensions a list page shows; more are paged.
const perPage = 40

// cardDescription bounds the description a list card shows.
const cardDescription = 200

// listPage is the home page and the search results.
type listPage struct {
	layout
	Heading string
	// Types and Sources are the filter links; Sources is empty on search.
	Types, Sources []filterLink
	Items          []card
	Total          int
	// Empty is the sentence shown when Items is empty.
	Empty string
	Pager pager
}

// card is one extension in a list.
type card struct {
	Name, Type, Version, Source, Description, URL string
	Prerelease                                    bool
}

// filterLink is one choice of a filter, a link that keeps the other
// parameters.
type filterLink struct {
	Label, URL string
	Current    bool
}

// home answers GET /?type=&source=&page=: every extension, filtered.
func (p *Pages) home(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f catalog.Filter
	var err error
	if f.Type, err = typeFilter(q.Get("type")); err != nil {
		p.fail(w, r, http.StatusBadRequest, registry.PublicMessage(err))
		return
	}
	if s := q.Get("source"); s != "" {
		if f.Source, err = registry.ParseSource(clip(s, maxEcho)); err != nil {
			p.fail(w, r, http.StatusBadRequest, registry.PublicMessage(err))
			return
		}
	}
	pg, ok := pageParam(q)
	if !ok {
		p.fail(w, r, http.StatusBadRequest, "The page parameter must be a whole number from 1.")
		return
	}
	exts, err := p.opts.Catalog.List(r.Context(), f)
	if err != nil {
		p.failErr(w, r, err)
		return
	}
	page := listPage{
		layout:  p.newLayout(r, "Extensions"),
		Heading: "Extensions",
		Types:   typeLinks("/", q),
		Empty:   "No extension matches these filters.",
	}
	page.Type = string(f.Type)
	if f.Type != "" {
		page.Title = string(f.Type) + " extensions"
	}
	for _, src := range append([]registry.Source{""}, p.opts.Catalog.Sources()...) {
		page.Sources = append(page.Sources, filterLink{
			Label: orAll(string(src), "All sources"), URL: withParam("/", q, "source", string(src)), Current: f.Source == src,
		})
	}
	p.fillList(&page, "/", q, exts, pg)
	p.render(w, r, http.StatusOK, "home", page)
}

// search answers GET /search?q=&type=&page=: the extensions matching q,
// ranked as the API's search ranks them.
func (p *Pages) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	term := strings.TrimSpace(q.Get("q"))
	if utf8.RuneCountInString(term) > maxEcho {
		p.fail(w, r, http.StatusBadRequest, "The search term is too long: at most "+strconv.Itoa(maxEcho)+" characters.")
		return
	}
	typ, err := typeFilter(q.Get("type"))
	if err != nil {
		p.fail(w, r, http.StatusBadRequest, registry.PublicMessage(err))
		return
	}
	pg, ok := pageParam(q)
	if !ok {
		p.fail(w, r, http.StatusBadRequest, "The page parameter must be a whole number from 1.")
		return
	}
	page := listPage{
		layout:  p.newLayout(r, "Search"),
		Heading: "Search",
		Types:   typeLinks("/search", q),
		Empty:   "Type a word to search the names, tags and descriptions of every extension.",
	}
	page.Query, page.Type = term, string(typ)
	if term != "" {
		exts, err := p.opts.Catalog.Search(r.Context(), term, typ)
		if err != nil {
			p.failErr(w, r, err)
			return
		}
		page.Title = "Search: " + term
		page.Heading = "Results for “" + term + "”"
		page.Empty = "No extension matches “" + term + "”."
		p.fillList(&page, "/search", q, exts, pg)
	}
	p.render(w, r, http.StatusOK, "home", page)
}

// fillList puts page pg of exts into page.
func (p *Pages) fillList(page *listPage, path string, q url.Values, exts []registry.Extension, pg int) {
	page.Total = len(exts)
	page.Pager = newPager(path, q, pg, len(exts), perPage)
	lo, hi := page.Pager.bounds(len(exts))
	for _, e := range exts[lo:hi] {
		page.Items = append(page.Items, card{
			Name:        e.Name,
			Type:        string(e.Type),
			Version:     e.Version,
			Source:      string(e.Source),
			Description: clip(e.Description, cardDescription),
			URL:         extensionPath(e.Type, e.Name),
			Prerelease:  isPrerelease(e.Version),
		})
	}
}

// typeFilter parses an optional type parameter.
func typeFilter(s string) (registry.Type, error) {
	if s == "" {
		return "", nil
	}
	return registry.ParseType(clip(s, maxEcho))
}

// typeLinks are the links of the type filter on path.
func typeLinks(path string, q url.Values) []filterLink {
	cur := q.Get("type")
	out := []filterLink{{Label: "All types", URL: withParam(path, q, "type", ""), Current: cur == ""}}
	for _, t := range registry.Types {
		out = append(out, filterLink{Label: string(t), URL: withParam(path, q, "type", string(t)), Current: cur == string(t)})
	}
	return out
}

// withParam returns path with q, key set to value (removed when empty),
// and the page reset.
func withParam(path string, q url.Values, key, value string) string {
	v := url.Values{}
	for _, k := range listParams {
		if s := q.Get(k); s != "" {
			v.Set(k, s)
		}
	}
	v.Del(key)
	if value != "" {
		v.Set(key, value)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// extensionPath is the page of typ/name.
func extensionPath(typ registry.Type, name string) string {
	return "/extensions/" + string(typ) + "/" + url.PathEscape(name)
}

// isPrerelease reports whether version has a pre-release part.
func isPrerelease(version string) bool {
	v, err := registry.ParseVersion(version)
	return err == nil && v.Prerelease() != ""
}

func orAll(s, all string) string {
	if s == "" {
		return all
	}
	return s
}
