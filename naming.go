package registry

import (
	"regexp"
	"strings"
)

// The repository naming convention shared by every backend (contract §1): a
// repository whose name ends in "_prov" or "_provider" holds a provider,
// "_taskserv" a taskserv and "_cluster" a cluster; the extension's name is
// what stands before the suffix.
//
// When one source holds two repositories of one extension ("aws_prov" and
// "aws_provider"), the one earlier in this table serves it: "_prov" wins
// over "_provider", in the Gitea and the OCI backend alike. A repository
// named after the extension alone (an OCI repository "aws" whose manifest
// annotation declares the type) wins over every suffixed one.
var repositorySuffixes = []struct {
	suffix string
	typ    Type
}{
	{"_prov", Provider},
	{"_provider", Provider},
	{"_taskserv", Taskserv},
	{"_cluster", Cluster},
}

// TypeFromRepositoryName applies the repository naming convention: a name
// ending in "_prov" or "_provider" is a provider, "_taskserv" a taskserv and
// "_cluster" a cluster; the extension name is the part before the suffix.
// ok is false for any other name, or when nothing stands before the suffix.
func TypeFromRepositoryName(repo string) (name string, typ Type, ok bool) {
	if i := repositoryRank(repo); i >= 0 {
		s := repositorySuffixes[i]
		return strings.TrimSuffix(repo, s.suffix), s.typ, true
	}
	return "", "", false
}

// RepositoryNames returns the repository names that may hold the extension
// (typ, name) under the naming convention, in order of preference
// ("aws_prov", then "aws_provider"). It is empty for an unknown type.
func RepositoryNames(typ Type, name string) []string {
	var out []string
	for _, s := range repositorySuffixes {
		if s.typ == typ {
			out = append(out, name+s.suffix)
		}
	}
	return out
}

// PreferRepository reports whether repository a, rather than b, serves an
// extension that both hold in one source: a name without a type suffix
// first, then the suffixes in the order of the naming convention ("_prov"
// before "_provider"). Names that rank alike compare as strings, so that
// the choice never depends on the order the backend read them in.
func PreferRepository(a, b string) bool {
	ra, rb := repositoryRank(a), repositoryRank(b)
	if ra != rb {
		return ra < rb
	}
	return a < b
}

// repositoryRank is the index in repositorySuffixes of the suffix repo
// ends in (with something before it), or -1 when it has none.
func repositoryRank(repo string) int {
	for i, s := range repositorySuffixes {
		if base, found := strings.CutSuffix(repo, s.suffix); found && base != "" {
			return i
		}
	}
	return -1
}

// DefaultOCINamespace is the OCI repository prefix used when none is
// configured: extension "aws" lives in "provisioning-extensions/aws".
const DefaultOCINamespace = "provisioning-extensions"

// ociComponent is one repository path component as the OCI distribution
// specification defines it.
var ociComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

// ValidOCIComponent reports whether s is one OCI repository path component
// (lowercase letters and digits, separated by ".", "_", "__" or dashes).
func ValidOCIComponent(s string) bool { return ociComponent.MatchString(s) }

// ValidOCIPath reports whether s is an OCI repository path (or namespace):
// one or more valid components separated by "/", without a leading or
// trailing slash.
func ValidOCIPath(s string) bool {
	if s == "" {
		return false
	}
	for c := range strings.SplitSeq(s, "/") {
		if !ValidOCIComponent(c) {
			return false
		}
	}
	return true
}
