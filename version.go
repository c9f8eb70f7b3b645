package registry

import (
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// ParseVersion parses a semantic version with or without a leading "v"
// ("1.2.0", "v1.2.0", "1.3.0-rc.1"). Anything else, including the short
// forms "1.2" and "1", is an *Error of kind ErrInvalidVersion.
func ParseVersion(s string) (*semver.Version, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
	if err != nil {
		return nil, &Error{
			Kind:    ErrInvalidVersion,
			Message: "Invalid version " + Quote(s) + ": must be a semantic version such as 1.2.0",
			Err:     err,
		}
	}
	return v, nil
}

// NormalizeVersion returns the canonical form of a version tag ("v1.2.0" is
// "1.2.0") and false when the tag is not a semantic version.
func NormalizeVersion(tag string) (string, bool) {
	v, err := ParseVersion(tag)
	if err != nil {
		return "", false
	}
	return v.String(), true
}

// SortVersions orders versions newest first by semantic-version precedence
// (1.10.0 before 1.9.0; a pre-release below its release). Entries whose
// Version does not parse sort last, in their original order.
func SortVersions(vs []Version) {
	parsed := make(map[string]*semver.Version, len(vs))
	for _, v := range vs {
		if sv, err := ParseVersion(v.Version); err == nil {
			parsed[v.Version] = sv
		}
	}
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := parsed[vs[i].Version], parsed[vs[j].Version]
		switch {
		case a == nil:
			return false
		case b == nil:
			return true
		}
		return a.GreaterThan(b)
	})
}

// CurrentVersion returns the index in vs (sorted by SortVersions) of the
// version an extension shows as current: the highest stable version, else
// the highest pre-release. A version is a pre-release when its Prerelease
// field is set or its semantic version has a pre-release part. It returns
// -1 for an empty slice. It is the only current-version rule: every backend
// uses it.
func CurrentVersion(vs []Version) int {
	for i, v := range vs {
		if v.Prerelease {
			continue
		}
		if sv, err := ParseVersion(v.Version); err == nil && sv.Prerelease() == "" {
			return i
		}
	}
	if len(vs) == 0 {
		return -1
	}
	return 0
}

// FindVersion returns the entry of vs equal to the requested version
// (with or without a leading "v"). The bool is false when none matches.
func FindVersion(vs []Version, want *semver.Version) (Version, bool) {
	for _, v := range vs {
		if sv, err := ParseVersion(v.Version); err == nil && sv.Equal(want) {
			return v, true
		}
	}
	return Version{}, false
}
