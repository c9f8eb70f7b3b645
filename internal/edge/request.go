package edge

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	registry "github.com/provisioning-platform/extension-registry"
)

// Bounds of what a request may carry. No route of either face takes a
// path segment (type, name, version, organization) anywhere near
// MaxSegment, or a query near MaxQuery.
const (
	// MaxPath is the longest request path, in bytes as sent (escaped).
	MaxPath = 2048
	// MaxSegment is the longest path segment once unescaped.
	MaxSegment = 256
	// MaxQuery is the longest raw query string.
	MaxQuery = 4096
	// MaxParams is the most query parameters a request may carry.
	MaxParams = 32
)

// checkRequest refuses Host headers, paths and queries no route should
// see. It returns the status and message of the refusal, or 0 when the
// request may pass.
func checkRequest(r *http.Request) (int, string) {
	if status, msg := checkHost(r.Host); status != 0 {
		return status, msg
	}
	if status, msg := checkPath(r.URL); status != 0 {
		return status, msg
	}
	return checkQuery(r.URL.RawQuery)
}

func checkPath(u *url.URL) (int, string) {
	raw, p := u.EscapedPath(), u.Path
	if p == "" || p[0] != '/' {
		return http.StatusBadRequest, "Request path must start with /"
	}
	// Segments first: an overlong name or version is a resource that
	// cannot exist (404), whatever the length of the whole path.
	segs := strings.Split(p[1:], "/")
	for _, s := range segs {
		if len(s) > MaxSegment {
			return http.StatusNotFound, fmt.Sprintf("Route not found: a path segment of %d bytes is longer than the %d allowed", len(s), MaxSegment)
		}
	}
	if len(raw) > MaxPath {
		return http.StatusRequestURITooLong, fmt.Sprintf("Request path of %d bytes is longer than the %d allowed", len(raw), MaxPath)
	}
	if !utf8.ValidString(p) {
		return http.StatusBadRequest, "Request path is not valid UTF-8 once unescaped"
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return http.StatusBadRequest, "Request path contains a control character"
		}
	}
	if lower := strings.ToLower(raw); strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(p, `\`) {
		return http.StatusBadRequest, "Request path contains an encoded slash or a backslash; path segments cannot hold one"
	}
	for i, s := range segs {
		last := i == len(segs)-1
		if (s == "" && !last) || s == "." || s == ".." {
			return http.StatusNotFound, "Route " + registry.Quote(p) + " not found: the path is not clean (empty, . or .. segments); it is not redirected"
		}
	}
	return 0, ""
}

func checkQuery(raw string) (int, string) {
	if raw == "" {
		return 0, ""
	}
	if len(raw) > MaxQuery {
		return http.StatusRequestURITooLong, fmt.Sprintf("Query string of %d bytes is longer than the %d allowed", len(raw), MaxQuery)
	}
	seen := map[string]bool{}
	n := 0
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		if n++; n > MaxParams {
			return http.StatusBadRequest, fmt.Sprintf("Too many query parameters: at most %d", MaxParams)
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.Contains(pair, ";") {
			return http.StatusBadRequest, "Invalid query parameter " + registry.Quote(k) + ": ';' does not separate parameters, use '&'"
		}
		key, err := url.QueryUnescape(k)
		if err != nil || !utf8.ValidString(key) {
			return http.StatusBadRequest, "Invalid query parameter name " + registry.Quote(k) + ": not validly percent-encoded UTF-8"
		}
		if val, err := url.QueryUnescape(v); err != nil || !utf8.ValidString(val) {
			return http.StatusBadRequest, "Invalid query parameter " + registry.Quote(key) + ": its value is not validly percent-encoded UTF-8"
		}
		if key == "" {
			return http.StatusBadRequest, "Invalid query: a parameter has no name"
		}
		if seen[key] {
			return http.StatusBadRequest, "Invalid query parameter " + registry.Quote(key) + ": given more than once"
		}
		seen[key] = true
	}
	return 0, ""
}
