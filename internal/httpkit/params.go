// Package httpkit is the toolkit both HTTP faces of the registry (the v1
// API in httpapi and the ConnectorClass API in connector) build on: query
// and integer parameters, the type parameter, quoting of client input in
// messages, paging, JSON answers, archive streaming and the table that
// maps error kinds to a face's answer. Each face keeps only its own body
// format; the rules live here once.
package httpkit

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// Query reads a query parameter; a parameter given but empty (or only
// spaces) counts as absent.
func Query(r *http.Request, name string) string {
	return strings.TrimSpace(r.URL.Query().Get(name))
}

// Int reads a whole-number parameter of at least min, or def when absent.
// The one rule of both faces: a value above max is clamped to max (max < 0:
// no maximum), however many digits it has — an all-digit value too large
// for an int counts as the largest int. Anything else (a sign other than
// "+", a fraction, an exponent, letters, less than min) is an error of kind
// registry.ErrInvalid naming the parameter.
func Int(r *http.Request, name string, def, min, max int) (int, error) {
	s := Query(r, name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) && isDigits(strings.TrimPrefix(s, "+")) {
		// Atoi reports ErrRange as soon as the digits overflow, before it
		// sees what follows: "99999999999999999999.5" is refused here.
		n, err = math.MaxInt, nil
	}
	if err != nil || n < min {
		return 0, registry.Errorf(registry.ErrInvalid,
			"Invalid %s %s: must be a whole number of at least %d", name, registry.Quote(s), min)
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

// TypeParam reads the optional type query parameter: "" when absent, else
// the type, or the *registry.Error of registry.ParseType.
func TypeParam(r *http.Request) (registry.Type, error) {
	s := Query(r, "type")
	if s == "" {
		return "", nil
	}
	return registry.ParseType(s)
}

// PathType reads the {type} path segment.
func PathType(r *http.Request) (registry.Type, error) {
	return registry.ParseType(r.PathValue("type"))
}

// Excerpt is registry.Excerpt, kept for the callers inside this package.
func Excerpt(s string) string { return registry.Excerpt(s) }

// utf8RuneStart reports whether b can begin a UTF-8 sequence.
func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
