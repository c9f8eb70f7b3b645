package connector

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// Paging of the list resources.
const (
	defaultItemsPerPage = 20
	maxItemsPerPage     = 1000
)

// query reads a query parameter; given but empty counts as absent.
func query(r *http.Request, name string) string {
	return strings.TrimSpace(r.URL.Query().Get(name))
}

// intParam reads a whole-number parameter of at least 1, def when absent,
// clamped to max when max > 0.
func intParam(r *http.Request, name string, def, max int) (int, error) {
	s := query(r, name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, badParam("query parameter %s must be a whole number of at least 1, got %s", name, quote(s))
	}
	if max > 0 && n > max {
		n = max
	}
	return n, nil
}

// pageParams reads page (1-based, default 1) and itemsPerPage (default 20,
// at most 1000: more is clamped).
func pageParams(r *http.Request) (page, perPage int, err error) {
	if page, err = intParam(r, "page", 1, 0); err != nil {
		return 0, 0, err
	}
	if perPage, err = intParam(r, "itemsPerPage", defaultItemsPerPage, maxItemsPerPage); err != nil {
		return 0, 0, err
	}
	return page, perPage, nil
}

// window returns page number page of items, perPage items a page; never
// nil, so that an empty page is [] in JSON.
func window[T any](items []T, page, perPage int) []T {
	if page < 1 || perPage < 1 || page-1 >= (len(items)+perPage-1)/perPage {
		return []T{}
	}
	start := (page - 1) * perPage // no overflow: page is within the pages
	end := min(start+perPage, len(items))
	return items[start:end]
}

// typeFilter reads the optional type query parameter.
func typeFilter(r *http.Request) (registry.Type, error) {
	s := query(r, "type")
	if s == "" {
		return "", nil
	}
	if _, err := registry.ParseType(s); err != nil {
		return "", badParam("query parameter type must be one of provider, taskserv, cluster, got %s", quote(s))
	}
	return registry.Type(s), nil
}

// pathType reads the {type} path segment.
func pathType(r *http.Request) (registry.Type, error) {
	return registry.ParseType(r.PathValue("type"))
}

// giteaOrgPattern is what Gitea accepts as a user or organization name.
var giteaOrgPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

// organizations reads the organization parameter (one name, or several
// separated by commas), else the configured defaults.
func organizations(r *http.Request, defaults []string) ([]string, error) {
	s := query(r, "organization")
	if s == "" {
		return defaults, nil
	}
	var out []string
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if !giteaOrgPattern.MatchString(o) {
			return nil, badParam("query parameter organization: %s is not a Gitea organization name", quote(o))
		}
		out = append(out, o)
	}
	return out, nil
}

// ociNamespacePattern is a repository path prefix as the OCI distribution
// specification allows it.
var ociNamespacePattern = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)

// namespace reads the namespace parameter, else def.
func namespace(r *http.Request, def string) (string, error) {
	s := strings.Trim(query(r, "namespace"), "/")
	if s == "" {
		return def, nil
	}
	if len(s) > 200 || !ociNamespacePattern.MatchString(s) {
		return "", badParam("query parameter namespace: %s is not an OCI repository namespace", quote(s))
	}
	return s, nil
}

// quote quotes a client-supplied value for a message, shortened.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.Quote(s)
}
