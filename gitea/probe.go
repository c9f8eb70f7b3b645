package gitea

import (
	"context"
	"net/http"

	sdk "code.gitea.io/sdk/gitea"
)

// Probe checks that Gitea answers, that it accepts the credentials, and
// that every organization is visible with them: refused credentials are
// ErrUnauthorized or ErrForbidden, a missing organization ErrNotFound, a
// server that does not answer ErrUnavailable or ErrTimeout. With a token,
// it also reads one release list of the first organization, so that a token
// without the read:repository scope (which sees organizations but not
// releases) is ErrForbidden here rather than only when listing.
//
// Its few requests are not held back by the concurrency bound, so that a
// busy refresh does not make the health check time out.
func (b *Backend) Probe(ctx context.Context) error {
	c, err := b.clientOn(ctx, b.dl)
	if err != nil {
		return err
	}
	if b.token != "" || b.username != "" {
		// Gitea answers 401 to credentials it does not know; a valid
		// token without the read:user scope gets 403 here, and is fine.
		_, resp, err := c.GetMyUserInfo()
		if err != nil && (resp == nil || resp.StatusCode != http.StatusForbidden) {
			return b.apiError(resp, err, "the authenticated user")
		}
	} else if _, resp, err := c.ServerVersion(); err != nil {
		return b.apiError(resp, err, "the server version")
	}
	for _, org := range b.orgs {
		_, resp, err := c.GetOrg(org)
		if err != nil {
			return b.apiError(resp, err, "Gitea organization %q", org)
		}
	}
	switch {
	case b.token != "" && len(b.orgs) > 0:
		return b.probeReleases(c, b.orgs[0])
	case b.token != "":
		// No organization to read: check that the token may read
		// repositories at all (Gitea answers 403 without the scope).
		if _, resp, err := c.SearchRepos(sdk.SearchRepoOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: 1}}); err != nil {
			return b.apiError(resp, err, "the repositories")
		}
	}
	return nil
}

// probeReleases reads the first page (one item) of the releases of the
// first repository of org that has releases turned on, if any.
func (b *Backend) probeReleases(c *sdk.Client, org string) error {
	repos, resp, err := c.ListOrgRepos(org, sdk.ListOrgReposOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: 1}})
	if err != nil {
		return b.apiError(resp, err, "the repositories of Gitea organization %q", org)
	}
	if len(repos) == 0 || !repos[0].HasReleases {
		return nil
	}
	r := repos[0]
	if _, resp, err := c.ListReleases(org, r.Name, sdk.ListReleasesOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: 1}}); err != nil {
		return b.apiError(resp, err, "the releases of Gitea repository %s/%s", org, r.Name)
	}
	return nil
}
