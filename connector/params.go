package connector

import (
	"net/http"
	"regexp"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// Paging of the list resources. page and itemsPerPage follow the
// toolkit's one integer rule (httpkit.Int): at least 1, larger values
// clamped (a page past the end is empty).
const (
	defaultItemsPerPage = 20
	maxItemsPerPage     = 1000
)

// MaxOrganizations is the most organization values one request may name:
// each is at least one upstream call, and the request's answer is built
// from all of them.
const MaxOrganizations = 20

// pageParams reads page (1-based, default 1) and itemsPerPage (default 20,
// at most 1000: more is clamped).
func pageParams(r *http.Request) (page, perPage int, err error) {
	if page, err = httpkit.Int(r, "page", 1, 1, -1); err != nil {
		return 0, 0, asParam(err)
	}
	if perPage, err = httpkit.Int(r, "itemsPerPage", defaultItemsPerPage, 1, maxItemsPerPage); err != nil {
		return 0, 0, asParam(err)
	}
	return page, perPage, nil
}

// asParam turns a toolkit parameter error into the API's parameter error,
// keeping its client-safe message.
func asParam(err error) error {
	return &paramError{msg: registry.PublicMessage(err)}
}

// typeFilter reads the optional type query parameter.
func typeFilter(r *http.Request) (registry.Type, error) {
	typ, err := httpkit.TypeParam(r)
	if err != nil {
		return "", badParam("query parameter type must be one of provider, taskserv, cluster, got %s", registry.Quote(httpkit.Query(r, "type")))
	}
	return typ, nil
}

// giteaOrgPattern is what Gitea accepts as a user or organization name.
var giteaOrgPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

// organizations reads the organization parameter (one name, or several
// separated by commas, at most MaxOrganizations), else the configured
// defaults.
func organizations(r *http.Request, defaults []string) ([]string, error) {
	s := httpkit.Query(r, "organization")
	if s == "" {
		return defaults, nil
	}
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if len(out) == MaxOrganizations {
			return nil, badParam("query parameter organization names more than %d organizations", MaxOrganizations)
		}
		if !giteaOrgPattern.MatchString(o) {
			return nil, badParam("query parameter organization: %s is not a Gitea organization name", registry.Quote(o))
		}
		out = append(out, o)
	}
	return out, nil
}

// namespace reads the namespace parameter, else def: an OCI repository
// path by the root package's one rule (registry.ValidOCIPath).
func namespace(r *http.Request, def string) (string, error) {
	s := strings.Trim(httpkit.Query(r, "namespace"), "/")
	if s == "" {
		return def, nil
	}
	if len(s) > 200 || !registry.ValidOCIPath(s) {
		return "", badParam("query parameter namespace: %s is not an OCI repository namespace", registry.Quote(s))
	}
	return s, nil
}
