package gitea

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	sdk "code.gitea.io/sdk/gitea"

	registry "github.com/provisioning-platform/extension-registry"
)

// pageSize is the page size asked for. The server answers with at most its
// MAX_RESPONSE_ITEMS; paging follows the Link header, so either is fine.
const pageSize = 50

// maxPages bounds paging, against a server whose Link header never ends.
const maxPages = 10000

// repository is an extension repository: where it is, and the metadata the
// API shows for it.
type repository struct {
	id      int64  // Gitea's ID: a repository deleted and created again differs
	org     string // the configured organization it was found in
	owner   string // the owner's login, as Gitea spells it
	name    string // the repository name, e.g. "aws_prov"
	ext     string // the extension name, e.g. "aws"
	typ     registry.Type
	desc    string
	htmlURL string
	topics  []string
	// hasReleases is false when the repository's releases are turned off
	// (or a Gitea too old to say).
	hasReleases bool
}

// repoOf returns the extension repository of a Gitea repository, or false
// when its name follows none of the conventions.
func repoOf(org string, r *sdk.Repository) (repository, bool) {
	ext, typ, ok := registry.TypeFromRepositoryName(r.Name)
	if !ok {
		return repository{}, false
	}
	owner := org
	if r.Owner != nil && r.Owner.UserName != "" {
		owner = r.Owner.UserName
	}
	return repository{
		id:          r.ID,
		org:         org,
		owner:       owner,
		name:        r.Name,
		ext:         ext,
		typ:         typ,
		desc:        r.Description,
		htmlURL:     r.HTMLURL,
		topics:      r.Topics,
		hasReleases: r.HasReleases,
	}, true
}

// checkOrg reads the organization itself. Gitea lists no repository, and
// finds none, for an organization that the credentials cannot see, exactly
// as for an empty one; reading it tells them apart. A missing one is an
// error of kind missing naming it.
func (b *Backend) checkOrg(ctx context.Context, c *sdk.Client, org string, missing error) error {
	_, resp, err := c.GetOrg(org)
	if err == nil {
		return nil
	}
	return b.orgError(resp, err, org, missing)
}

// orgError is the error of a request about org that failed: a not-found is
// the organization missing, an error of kind missing naming it.
func (b *Backend) orgError(resp *sdk.Response, err error, org string, missing error) error {
	err = b.apiError(resp, err, "Gitea organization %q", org)
	var re *registry.Error
	if errors.As(err, &re) && re.Kind == registry.ErrNotFound {
		return &registry.Error{
			Kind:    missing,
			Message: fmt.Sprintf("Gitea organization %q not found, or not visible with the credentials", org),
			Err:     re.Err,
		}
	}
	return err
}

// orgRepositories returns the extension repositories of org, every page.
// An organization that does not exist, or is invisible to the credentials,
// fails the listing with ErrNotFound naming it, instead of silently serving
// nothing: when the list is empty, the organization itself is read. (The v1
// API answers such a list failure with 503: the list exists, its configured
// source does not; the ConnectorClass API, whose organization is a request
// parameter, with 404.)
func (b *Backend) orgRepositories(ctx context.Context, org string) ([]repository, error) {
	c, err := b.client(ctx)
	if err != nil {
		return nil, err
	}
	var out []repository
	for page := 1; page <= maxPages; page++ {
		repos, resp, err := c.ListOrgRepos(org, sdk.ListOrgReposOptions{ListOptions: sdk.ListOptions{Page: page, PageSize: pageSize}})
		if err != nil {
			if resp != nil && resp.StatusCode == http.StatusNotFound {
				return nil, b.orgError(resp, err, org, registry.ErrNotFound)
			}
			return nil, b.apiError(resp, err, "the repositories of Gitea organization %q", org)
		}
		if page == 1 && len(repos) == 0 {
			if err := b.checkOrg(ctx, c, org, registry.ErrNotFound); err != nil {
				return nil, err
			}
		}
		for _, r := range repos {
			if rp, ok := repoOf(org, r); ok {
				out = append(out, rp)
			}
		}
		if resp == nil || resp.NextPage <= page || len(repos) == 0 {
			break
		}
	}
	return out, nil
}

// findRepository returns the repository of the extension (typ, name) and
// its releases, newest first: the first organization that has one with
// releases wins, and within it the repository names in the order of the
// naming convention ("_prov" before "_provider").
//
// An organization in which none of the names exists is read itself: when
// it is missing or invisible the call fails with ErrUnavailable naming it,
// never a plain not-found, so that a lower source's copy of an extension
// the organization may hold is not served in its place.
func (b *Backend) findRepository(ctx context.Context, typ registry.Type, name string) (repository, []release, error) {
	if _, err := registry.ParseType(string(typ)); err != nil {
		return repository{}, nil, err
	}
	if !validName(name) {
		return repository{}, nil, registry.Errorf(registry.ErrNotFound, "Extension %s/%s not found", typ, name)
	}
	c, err := b.client(ctx)
	if err != nil {
		return repository{}, nil, err
	}
	for _, org := range b.orgs {
		anyRepo := false
		for _, repoName := range registry.RepositoryNames(typ, name) {
			r, resp, err := c.GetRepo(org, repoName)
			if err != nil {
				if resp != nil && resp.StatusCode == http.StatusNotFound {
					continue
				}
				return repository{}, nil, b.apiError(resp, err, "Gitea repository %s/%s", org, repoName)
			}
			anyRepo = true
			// Gitea finds repositories case-insensitively; an
			// extension's name is exactly the one List shows.
			rp, ok := repoOf(org, r)
			if !ok || rp.ext != name || rp.typ != typ {
				continue
			}
			rels, err := b.releases(ctx, rp)
			if err != nil {
				return repository{}, nil, err
			}
			if len(rels) > 0 {
				b.cache.serve(rp)
				return rp, rels, nil
			}
		}
		if !anyRepo {
			if err := b.checkOrg(ctx, c, org, registry.ErrUnavailable); err != nil {
				return repository{}, nil, err
			}
		}
	}
	return repository{}, nil, registry.Errorf(registry.ErrNotFound, "Extension %s/%s not found", typ, name)
}
