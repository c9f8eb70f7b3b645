package connector

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// giteaFixture is a real Gitea seeded once for the package: two public
// organizations, a private one readable by one user, that user's password,
// a full token and a token without the organization scope.
type giteaFixture struct {
	url          string
	user, pass   string
	token        string
	limitedToken string
	assets       map[string][]byte // "org/repo/tag" → asset bytes
}

const (
	publicOrg    = "ext-public"
	communityOrg = "ext-community"
	privateOrg   = "ext-private"
)

var (
	giteaOnce sync.Once
	giteaFix  *giteaFixture
	giteaErr  error
)

// giteaEnv returns the seeded Gitea, starting it on first use.
func giteaEnv(t *testing.T) *giteaFixture {
	t.Helper()
	srv := startGitea(t)
	giteaOnce.Do(func() { giteaFix, giteaErr = seedGitea(t, srv) })
	if giteaErr != nil {
		t.Fatal(giteaErr)
	}
	rememberSecret(giteaFix.user, giteaFix.pass, giteaFix.token, giteaFix.limitedToken)
	return giteaFix
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func seedGitea(t *testing.T, admin giteaREST) (*giteaFixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := &giteaFixture{
		url:    admin.base,
		user:   "conn-reader-" + randomSuffix(),
		pass:   "Pw-" + randomSuffix() + randomSuffix(),
		assets: map[string][]byte{},
	}
	rel := func(org, repo, tag string) error {
		_, data, _ := makeArchive(t, repo+".tar.gz", org+"/"+repo+" "+tag+"\n")
		f.assets[org+"/"+repo+"/"+tag] = data
		return admin.release(ctx, org, repo, tag, repo+".tar.gz", data)
	}
	steps := []func() error{
		func() error { return admin.createUser(ctx, f.user, f.pass) },
		func() error { return admin.createOrg(ctx, publicOrg, "public") },
		func() error { return admin.createOrg(ctx, communityOrg, "public") },
		func() error { return admin.createOrg(ctx, privateOrg, "private") },
		func() error { return admin.addReader(ctx, privateOrg, f.user) },
		func() error { return admin.createRepo(ctx, publicOrg, "aws_prov", "AWS provider", "cloud", "aws") },
		func() error { return rel(publicOrg, "aws_prov", "v1.2.0") },
		func() error { return rel(publicOrg, "aws_prov", "v1.10.0") },
		func() error {
			return admin.createRepo(ctx, publicOrg, "kubernetes_taskserv", "Kubernetes task service", "kubernetes")
		},
		func() error { return rel(publicOrg, "kubernetes_taskserv", "1.28.0") },
		func() error { return admin.createRepo(ctx, publicOrg, "notes", "not an extension") },
		func() error { return admin.createRepo(ctx, communityOrg, "upcloud_provider", "UpCloud provider") },
		func() error { return rel(communityOrg, "upcloud_provider", "v2.1.3") },
		func() error { return admin.createRepo(ctx, privateOrg, "vault_cluster", "Private cluster") },
		func() error { return rel(privateOrg, "vault_cluster", "v0.1.0") },
		func() (err error) {
			f.token, err = admin.as(f.user, f.pass).createToken(ctx, "connector", "read:organization", "read:repository", "read:user")
			return err
		},
		func() (err error) {
			f.limitedToken, err = admin.as(f.user, f.pass).createToken(ctx, "limited", "read:user")
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("seeding Gitea, step %d: %w", i, err)
		}
	}
	return f, nil
}

func TestGitea(t *testing.T) {
	f := giteaEnv(t)
	s := newServer(t, Options{})
	anon := gatewayHeaders(f.url, "", nil)
	userH := basic(f.url, f.user, f.pass)
	tokenH := gatewayHeaders(f.url, SecretOpaque, map[string]string{"token": f.token})
	pub := "?organization=" + publicOrg

	t.Run("anonymous list of a public organization", func(t *testing.T) {
		var l List[registry.Extension]
		a := s.get(t, "/connectors/gitea/extensions"+pub, anon)
		a.json(t, &l)
		if a.code != http.StatusOK || l.ListMeta.TotalItems != 2 || names(l.Items) != "aws,kubernetes" {
			t.Fatalf("answer %d: %d %s", a.code, l.ListMeta.TotalItems, names(l.Items))
		}
		aws := l.Items[0]
		if aws.Version != "1.10.0" || aws.Source != registry.SourceGitea || aws.Author != publicOrg ||
			!strings.HasPrefix(aws.DownloadURL, f.url) || !strings.Contains(aws.Repository, "aws_prov") {
			t.Errorf("aws = %+v", aws)
		}
	})
	t.Run("filters, search and pages", func(t *testing.T) {
		tests := []struct {
			query string
			total int
			names string
		}{
			{"&type=taskserv", 1, "kubernetes"},
			{"&type=cluster", 0, ""},
			{"&q=cloud", 1, "aws"},
			{"&itemsPerPage=1&page=2", 2, "kubernetes"},
			{"&page=3&itemsPerPage=1", 2, ""},
		}
		for _, tc := range tests {
			t.Run(tc.query, func(t *testing.T) {
				var l List[registry.Extension]
				s.get(t, "/connectors/gitea/extensions"+pub+tc.query, anon).json(t, &l)
				if l.ListMeta.TotalItems != tc.total || names(l.Items) != tc.names {
					t.Errorf("got %d %q, want %d %q", l.ListMeta.TotalItems, names(l.Items), tc.total, tc.names)
				}
			})
		}
	})
	t.Run("several organizations", func(t *testing.T) {
		var l List[registry.Extension]
		s.get(t, "/connectors/gitea/extensions?organization="+publicOrg+","+communityOrg, anon).json(t, &l)
		if l.ListMeta.TotalItems != 3 || names(l.Items) != "aws,kubernetes,upcloud" {
			t.Errorf("got %d %s", l.ListMeta.TotalItems, names(l.Items))
		}
	})
	t.Run("configured organizations", func(t *testing.T) {
		s := newServer(t, Options{GiteaOrganizations: []string{communityOrg}})
		var l List[registry.Extension]
		s.get(t, "/connectors/gitea/extensions", anon).json(t, &l)
		if l.ListMeta.TotalItems != 1 || names(l.Items) != "upcloud" {
			t.Errorf("got %d %s", l.ListMeta.TotalItems, names(l.Items))
		}
	})
	t.Run("get, versions, download", func(t *testing.T) {
		var e registry.Extension
		s.get(t, "/connectors/gitea/extensions/provider/aws"+pub, anon).json(t, &e)
		if e.Name != "aws" || e.Version != "1.10.0" || e.Description != "AWS provider" {
			t.Errorf("get = %+v", e)
		}
		var l List[registry.Version]
		s.get(t, "/connectors/gitea/extensions/provider/aws/versions"+pub, anon).json(t, &l)
		if l.ListMeta.TotalItems != 2 || len(l.Items) != 2 || l.Items[0].Version != "1.10.0" || l.Items[1].Version != "1.2.0" {
			t.Errorf("versions = %+v", l)
		}
		s.get(t, "/connectors/gitea/extensions/provider/aws/versions"+pub+"&itemsPerPage=1&page=2", anon).json(t, &l)
		if l.ListMeta.TotalItems != 2 || len(l.Items) != 1 || l.Items[0].Version != "1.2.0" {
			t.Errorf("versions page 2 = %+v", l)
		}
		a := s.get(t, "/connectors/gitea/extensions/provider/aws/1.2.0"+pub, anon)
		if a.code != http.StatusOK || string(a.body) != string(f.assets[publicOrg+"/aws_prov/v1.2.0"]) {
			t.Errorf("download = %d, %d bytes", a.code, len(a.body))
		}
	})
	t.Run("private organization", func(t *testing.T) {
		priv := "?organization=" + privateOrg
		for name, h := range map[string]http.Header{
			"basic-auth":                          userH,
			"opaque token":                        tokenH,
			"custom type token":                   gatewayHeaders(f.url, "example.com/gitea-token", map[string]string{"token": f.token}),
			"basic-auth with a token as password": basic(f.url, f.user, f.token),
		} {
			t.Run(name, func(t *testing.T) {
				var l List[registry.Extension]
				a := s.get(t, "/connectors/gitea/extensions"+priv, h)
				a.json(t, &l)
				if a.code != http.StatusOK || names(l.Items) != "vault" {
					t.Fatalf("answer %d: %s", a.code, a.body)
				}
				a = s.get(t, "/connectors/gitea/extensions/cluster/vault/0.1.0"+priv, h)
				if a.code != http.StatusOK || string(a.body) != string(f.assets[privateOrg+"/vault_cluster/v0.1.0"]) {
					t.Errorf("download = %d, %d bytes", a.code, len(a.body))
				}
				if a := s.get(t, "/connectors/gitea/authcheck"+priv, h); a.code != http.StatusOK {
					t.Errorf("authcheck = %d: %s", a.code, a.body)
				}
			})
		}
		t.Run("anonymous", func(t *testing.T) {
			a := s.get(t, "/connectors/gitea/extensions"+priv, anon)
			if a.code == http.StatusOK {
				var l List[registry.Extension]
				a.json(t, &l)
				if l.ListMeta.TotalItems != 0 {
					t.Fatalf("anonymous sees the private organization: %s", a.body)
				}
				return
			}
			expectStatus(t, a, http.StatusNotFound, "NotFound")
			// To the auth probe, an organization the credentials cannot
			// see is a refusal, not a missing resource.
			expectStatus(t, s.get(t, "/connectors/gitea/authcheck"+priv, anon), http.StatusForbidden, "Forbidden")
		})
	})
	t.Run("authcheck with a token that may not read repositories", func(t *testing.T) {
		limited := gatewayHeaders(f.url, SecretOpaque, map[string]string{"token": f.limitedToken})
		expectStatus(t, s.get(t, "/connectors/gitea/authcheck", limited), http.StatusForbidden, "Forbidden")
	})
	t.Run("authcheck and liveness", func(t *testing.T) {
		tests := []struct {
			name              string
			h                 http.Header
			authcheck, liveOK int
		}{
			{"anonymous", anon, 200, 200},
			{"basic-auth", userH, 200, 200},
			{"token", tokenH, 200, 200},
			{"wrong password", basic(f.url, f.user, "gitea-wrong-pass"), 401, 200},
			{"unknown token", gatewayHeaders(f.url, SecretOpaque, map[string]string{"token": "0123456789abcdef0123456789abcdef01234567"}), 401, 200},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				a := s.get(t, "/connectors/gitea/authcheck"+pub, tc.h)
				if a.code != tc.authcheck {
					t.Errorf("authcheck = %d, want %d: %s", a.code, tc.authcheck, a.body)
				}
				a.status(t)
				for _, p := range []string{"/connectors/gitea/", "/connectors/gitea"} {
					if a := s.get(t, p, tc.h); a.code != tc.liveOK {
						t.Errorf("GET %s = %d, want %d: %s", p, a.code, tc.liveOK, a.body)
					}
				}
			})
		}
	})
	t.Run("refused credentials", func(t *testing.T) {
		wrong := basic(f.url, f.user, "gitea-wrong-pass")
		for _, p := range []string{"/extensions", "/extensions/provider/aws", "/extensions/provider/aws/versions", "/extensions/provider/aws/1.2.0"} {
			expectStatus(t, s.get(t, "/connectors/gitea"+p+pub, wrong), 401, "Unauthorized")
		}
		limited := gatewayHeaders(f.url, SecretOpaque, map[string]string{"token": f.limitedToken})
		expectStatus(t, s.get(t, "/connectors/gitea/extensions"+pub, limited), 403, "Forbidden")
	})
	t.Run("not found", func(t *testing.T) {
		for _, p := range []string{
			"/extensions/provider/nope" + pub,
			"/extensions/provider/nope/versions" + pub,
			"/extensions/provider/aws/9.9.9" + pub,
			"/extensions/cluster/aws" + pub,
			"/extensions?organization=no-such-org-" + randomSuffix(),
		} {
			expectStatus(t, s.get(t, "/connectors/gitea"+p, anon), 404, "NotFound")
		}
	})
	t.Run("bad input", func(t *testing.T) {
		tests := []struct{ path, mention string }{
			{"/extensions", "organization"},
			{"/extensions?organization=bad/org", "organization"},
			{"/extensions/widget/aws" + pub, "widget"},
			{"/extensions/provider/aws/latest" + pub, "latest"},
			{"/extensions" + pub + "&itemsPerPage=0", "itemsPerPage"},
		}
		for _, tc := range tests {
			st := expectStatus(t, s.get(t, "/connectors/gitea"+tc.path, anon), 400, "BadRequest")
			if !strings.Contains(st.Message, tc.mention) {
				t.Errorf("%s: message %q does not name %q", tc.path, st.Message, tc.mention)
			}
		}
	})
}

func TestIsolationGitea(t *testing.T) {
	f := giteaEnv(t)
	s := newServer(t, Options{})
	priv := "?organization=" + privateOrg
	checkIsolation(t, s, isolationCase{
		name:    "gitea",
		backend: "connector-gitea",
		paths: []string{
			"/connectors/gitea/extensions" + priv,
			"/connectors/gitea/extensions/cluster/vault" + priv,
			"/connectors/gitea/extensions/cluster/vault/versions" + priv,
		},
		good: basic(f.url, f.user, f.pass),
		others: []http.Header{
			basic(f.url, f.user, "isolation-wrong-gitea-pass"),
			gatewayHeaders(f.url, SecretOpaque, map[string]string{"token": "fedcba9876543210fedcba9876543210fedcba98"}),
		},
		code: http.StatusUnauthorized,
	})
	// Anonymous access to the private organization never sees the cached
	// answers either.
	a := s.get(t, "/connectors/gitea/extensions"+priv, gatewayHeaders(f.url, "", nil))
	if a.code == http.StatusOK && strings.Contains(string(a.body), "vault") {
		t.Errorf("anonymous request served the private organization: %s", a.body)
	}
}
