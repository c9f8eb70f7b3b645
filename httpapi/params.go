package httpapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// Page sizes of the list and search endpoints.
const (
	listDefaultLimit   = 100
	listMaxLimit       = 1000
	searchDefaultLimit = 50
	searchMaxLimit     = 100
)

// query reads a query parameter; a parameter given but empty counts as
// absent.
func query(r *http.Request, name string) string {
	return strings.TrimSpace(r.URL.Query().Get(name))
}

// intParam reads a whole-number parameter of at least min, or def when
// absent. A value above max is clamped to max (max < 0: no maximum), however
// many digits it has.
func intParam(r *http.Request, name string, def, min, max int) (int, error) {
	s := query(r, name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) && isDigits(strings.TrimPrefix(s, "+")) {
		// A whole number too large for an int: as large as can be, then
		// clamped (limit) or past the end (offset) like any large value.
		// (Atoi reports ErrRange as soon as the digits overflow, before
		// it sees what follows: "99999999999999999999.5" is checked here.)
		n, err = math.MaxInt, nil
	}
	if err != nil || n < min {
		return 0, registry.Errorf(registry.ErrInvalid,
			"Invalid %s %s: must be a whole number of at least %d", name, quoted(s), min)
	}
	if max >= 0 && n > max {
		n = max
	}
	return n, nil
}

// isDigits reports whether s is one or more ASCII digits and nothing else.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// typeParam reads the optional type filter.
func typeParam(r *http.Request) (registry.Type, error) {
	s := query(r, "type")
	if s == "" {
		return "", nil
	}
	return registry.ParseType(s)
}

// sourceParam reads the optional source filter.
func sourceParam(r *http.Request) (registry.Source, error) {
	s := query(r, "source")
	if s == "" {
		return "", nil
	}
	return registry.ParseSource(s)
}

// pathType reads the {type} path segment.
func pathType(r *http.Request) (registry.Type, error) {
	return registry.ParseType(r.PathValue("type"))
}

func quoted(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// page returns the window [offset, offset+limit) of items, never nil.
func page[T any](items []T, offset, limit int) []T {
	if offset >= len(items) {
		return []T{}
	}
	end := min(offset+limit, len(items))
	return items[offset:end]
}
