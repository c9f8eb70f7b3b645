package backendtest_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/gitea"
	"github.com/provisioning-platform/extension-registry/internal/backendtest"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopSharedGiteas()
	os.Exit(code)
}

// TestGiteaContract runs the Backend contract suite against the Gitea
// backend over a real Gitea, each case in an organization of its own.
func TestGiteaContract(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) (registry.Backend, backendtest.Seeder) {
		g := testserver.SharedGitea(t, testserver.GiteaOptions{})
		org := testserver.UniqueName("contract")
		s := g.Seed(t)
		s.Org(org, "")
		b, err := gitea.New(gitea.Options{
			URL:           g.URL,
			Organizations: []string{org},
			Token:         g.AdminToken,
			HTTPClient:    &http.Client{Timeout: time.Minute},
			Logger:        slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		return b, &giteaSeeder{s: s, org: org, repos: map[string]bool{}}
	})
}

// giteaSeeder publishes a release as a Gitea user does: a repository
// (created on first use, with the release's description), a release of the
// tag, marked pre-release for a semantic-version pre-release, with the
// archive {repo}.tar.gz and a checksums.txt beside it.
type giteaSeeder struct {
	s   *testserver.Seeder
	org string

	mu    sync.Mutex
	repos map[string]bool
}

// FlagsPrereleases: Gitea's releases have an "is pre-release" flag.
func (g *giteaSeeder) FlagsPrereleases() {}

func (g *giteaSeeder) Publish(tb testing.TB, r backendtest.Release) {
	tb.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.repos[r.Repo] {
		g.s.Repo(g.org, r.Repo, r.Description)
		g.repos[r.Repo] = true
	}
	archive := r.Repo + ".tar.gz"
	sum := strings.TrimPrefix(backendtest.Checksum(r.Data), "sha256:")
	g.s.Release(g.org, r.Repo, testserver.Release{
		Tag:        r.Tag,
		Prerelease: r.Prerelease || strings.Contains(r.Tag, "-"),
		Assets: []testserver.Asset{
			{Name: archive, Data: r.Data},
			{Name: "checksums.txt", Data: fmt.Appendf(nil, "%s  %s\n", sum, archive)},
		},
	})
}
