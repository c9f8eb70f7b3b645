package testserver

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	sdk "code.gitea.io/sdk/gitea"
)

// The seeding helpers below create test data in a real Gitea through its
// REST API, with the Gitea SDK and an administrator's client. Each fails the
// test (tb.Fatal) on error, so they are called from the test's goroutine.

// Client returns an SDK client of the server authenticated with opts (for
// example sdk.SetToken or sdk.SetBasicAuth; none for an anonymous client).
// Its requests time out after a minute.
func (g *Gitea) Client(tb testing.TB, opts ...sdk.ClientOption) *sdk.Client {
	tb.Helper()
	base := []sdk.ClientOption{
		sdk.SetGiteaVersion(""),
		sdk.SetHTTPClient(&http.Client{Timeout: time.Minute}),
	}
	c, err := sdk.NewClient(g.URL, append(base, opts...)...)
	if err != nil {
		tb.Fatalf("gitea client: %v", err)
	}
	return c
}

// AdminClient returns an SDK client of the server authenticated with the
// administrator's token.
func (g *Gitea) AdminClient(tb testing.TB) *sdk.Client {
	tb.Helper()
	return g.Client(tb, sdk.SetToken(g.AdminToken))
}

// Seeder creates organizations, users, repositories and releases in a Gitea
// as its administrator.
type Seeder struct {
	tb testing.TB
	g  *Gitea
	c  *sdk.Client
}

// Seed returns a Seeder of the server for the test tb.
func (g *Gitea) Seed(tb testing.TB) *Seeder {
	tb.Helper()
	return &Seeder{tb: tb, g: g, c: g.AdminClient(tb)}
}

// Admin returns the Seeder's administrator client, for calls it has no
// helper for.
func (s *Seeder) Admin() *sdk.Client { return s.c }

var uniqueCounter atomic.Uint64

// UniqueName returns prefix followed by a suffix unique in the process and
// across runs ("prefix-3a9f1c07"), for names of organizations and users in
// a server that tests share. Keep prefix under 30 characters (Gitea allows
// 40 in a name).
func UniqueName(prefix string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:]) + hex.EncodeToString([]byte{byte(uniqueCounter.Add(1))})
}

// Org creates the organization name with the given visibility (public when
// empty) and returns it.
func (s *Seeder) Org(name string, visibility sdk.VisibleType) *sdk.Organization {
	s.tb.Helper()
	if visibility == "" {
		visibility = sdk.VisibleTypePublic
	}
	org, _, err := s.c.CreateOrg(sdk.CreateOrgOption{Name: name, Visibility: visibility})
	if err != nil {
		s.tb.Fatalf("gitea: create organization %s: %v", name, err)
	}
	return org
}

// User creates a user who can log in with password (no password change
// required).
func (s *Seeder) User(name, password string) *sdk.User {
	s.tb.Helper()
	no := false
	u, _, err := s.c.AdminCreateUser(sdk.CreateUserOption{
		Username:           name,
		LoginName:          name,
		Email:              name + "@example.com",
		Password:           password,
		MustChangePassword: &no,
	})
	if err != nil {
		s.tb.Fatalf("gitea: create user %s: %v", name, err)
	}
	return u
}

// Token creates an access token of user, authenticating as user with
// password, and returns its secret. Scopes are Gitea's scope names, e.g.
// "read:repository", "read:organization", "all".
func (s *Seeder) Token(user, password string, scopes ...string) string {
	s.tb.Helper()
	c := s.g.Client(s.tb, sdk.SetBasicAuth(user, password))
	sc := make([]sdk.AccessTokenScope, len(scopes))
	for i, v := range scopes {
		sc[i] = sdk.AccessTokenScope(v)
	}
	tok, _, err := c.CreateAccessToken(sdk.CreateAccessTokenOption{Name: UniqueName("token"), Scopes: sc})
	if err != nil {
		s.tb.Fatalf("gitea: create token of %s: %v", user, err)
	}
	return tok.Token
}

// AddReader gives user read access to the code and releases of every
// repository of org, through a team of readers.
func (s *Seeder) AddReader(org, user string) {
	s.tb.Helper()
	team, _, err := s.c.CreateTeam(org, sdk.CreateTeamOption{
		Name:                    UniqueName("readers"),
		Permission:              sdk.AccessModeRead,
		IncludesAllRepositories: true,
		Units:                   []sdk.RepoUnitType{sdk.RepoUnitCode, sdk.RepoUnitReleases},
	})
	if err != nil {
		s.tb.Fatalf("gitea: create readers team of %s: %v", org, err)
	}
	if _, err := s.c.AddTeamMember(team.ID, user); err != nil {
		s.tb.Fatalf("gitea: add %s to the readers of %s: %v", user, org, err)
	}
}

// Repo creates the repository owner/name (owner an organization) with an
// initial commit on branch main, so that releases can tag it, the given
// description, and the given topics, and returns it as Gitea then describes
// it (Gitea keeps topics in its own order).
func (s *Seeder) Repo(org, name, description string, topics ...string) *sdk.Repository {
	s.tb.Helper()
	r, _, err := s.c.CreateOrgRepo(org, sdk.CreateRepoOption{
		Name:          name,
		Description:   description,
		AutoInit:      true,
		DefaultBranch: "main",
		Readme:        "Default",
	})
	if err != nil {
		s.tb.Fatalf("gitea: create repository %s/%s: %v", org, name, err)
	}
	if len(topics) > 0 {
		if _, err := s.c.SetRepoTopics(org, name, topics); err != nil {
			s.tb.Fatalf("gitea: set topics of %s/%s: %v", org, name, err)
		}
		// Read it back: Gitea stores topics in its own order.
		if r, _, err = s.c.GetRepo(org, name); err != nil {
			s.tb.Fatalf("gitea: read repository %s/%s: %v", org, name, err)
		}
	}
	return r
}

// Asset is a file attached to a release.
type Asset struct {
	Name string
	Data []byte
}

// Release describes a release to create.
type Release struct {
	// Tag is the tag to create on the default branch, e.g. "v1.2.0".
	Tag string
	// Title defaults to Tag.
	Title      string
	Draft      bool
	Prerelease bool
	// Assets are uploaded in order.
	Assets []Asset
}

// Release creates rel on owner/repo, uploads its assets in order, and
// returns the release as Gitea then describes it (with its assets).
func (s *Seeder) Release(owner, repo string, rel Release) *sdk.Release {
	s.tb.Helper()
	title := rel.Title
	if title == "" {
		title = rel.Tag
	}
	r, _, err := s.c.CreateRelease(owner, repo, sdk.CreateReleaseOption{
		TagName:      rel.Tag,
		Target:       "main",
		Title:        title,
		IsDraft:      rel.Draft,
		IsPrerelease: rel.Prerelease,
	})
	if err != nil {
		s.tb.Fatalf("gitea: create release %s of %s/%s: %v", rel.Tag, owner, repo, err)
	}
	for _, a := range rel.Assets {
		if _, _, err := s.c.CreateReleaseAttachment(owner, repo, r.ID, bytes.NewReader(a.Data), a.Name); err != nil {
			s.tb.Fatalf("gitea: upload %s to release %s of %s/%s: %v", a.Name, rel.Tag, owner, repo, err)
		}
	}
	got, _, err := s.c.GetRelease(owner, repo, r.ID)
	if err != nil {
		s.tb.Fatalf("gitea: read release %s of %s/%s: %v", rel.Tag, owner, repo, err)
	}
	return got
}
