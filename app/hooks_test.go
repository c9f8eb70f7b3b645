package app

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/secret"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// versionsOf returns the versions the registry lists for provider/name.
func versionsOf(t *testing.T, base, name string) []string {
	t.Helper()
	resp, body := httpGet(t, base+"/api/v1/extensions/provider/"+name+"/versions")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("versions: %d %s", resp.StatusCode, body)
	}
	var vs []struct{ Version string }
	if err := json.Unmarshal(body, &vs); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.Version)
	}
	return out
}

// TestRegistryNotificationShowsAPushAtOnce: the real distribution registry,
// configured to notify the registry's hook with a bearer token, announces a
// push; the new version is served at once, although the cached answer
// would last cache.ttl (5m). A notification with a wrong token changes
// nothing.
func TestRegistryNotificationShowsAPushAtOnce(t *testing.T) {
	const token = "notify-t0ken-for-test"
	addr := testserver.ClosedAddr(t) // the registry's address, free a moment ago
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{
		NotifyURL: "http://" + addr + "/api/v1/hooks/registry", NotifyAuthorization: "Bearer " + token,
	})
	cfg := config.Default()
	cfg.Listen = addr
	cfg.DataDir = t.TempDir()
	cfg.Sources = []string{"oci"}
	cfg.OCI.Registry, cfg.OCI.Insecure = reg.Host, true
	cfg.Webhooks.RegistryToken = secret.New(token)
	b, err := NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	publish := func(version string) {
		t.Helper()
		path, _ := randomArchive(t, t.TempDir(), "notified_prov.tar.gz")
		if _, err := b.Publish(t.Context(), oci.Artifact{Path: path, Type: registry.Provider, Name: "notified", Version: version}); err != nil {
			t.Fatal(err)
		}
	}
	publish("1.0.0")
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	if got := versionsOf(t, base, "notified"); strings.Join(got, ",") != "1.0.0" {
		t.Fatalf("versions %v, want [1.0.0]", got)
	}

	// A forged notification is refused and changes nothing.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/hooks/registry", strings.NewReader(`{"events":[]}`))
	req.Header.Set("Authorization", "Bearer forged")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged notification: %d, want 401", resp.StatusCode)
	}

	publish("1.1.0")
	pushed := time.Now()
	for {
		got := versionsOf(t, base, "notified")
		if strings.Join(got, ",") == "1.1.0,1.0.0" {
			t.Logf("push visible %v after it completed (through the registry's notification)", time.Since(pushed).Round(time.Millisecond))
			break
		}
		if time.Since(pushed) > 2*time.Second {
			t.Fatalf("versions %v 2s after the push, want [1.1.0 1.0.0]", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGiteaWebhookShowsAReleaseAtOnce: a real Gitea with an organization
// webhook (type gitea, signed with the configured secret) announces a new
// release; it is served at once although the cached answer would last
// cache.ttl.
func TestGiteaWebhookShowsAReleaseAtOnce(t *testing.T) {
	const hookSecret = "gitea-hook-secret-for-test"
	g := testserver.StartGitea(t, testserver.GiteaOptions{})
	s := g.Seed(t)
	org := testserver.UniqueName("hooked")
	s.Org(org, sdk.VisibleTypePublic)
	s.Repo(org, "hooked_prov", "Announced by webhooks")
	s.Release(org, "hooked_prov", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{{Name: "hooked_prov.tar.gz", Data: []byte("one")}}})

	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Sources = []string{"gitea"}
	cfg.Gitea = config.Gitea{URL: g.URL, Organizations: []string{org}}
	cfg.Webhooks.GiteaSecret = secret.New(hookSecret)
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	if got := versionsOf(t, base, "hooked"); strings.Join(got, ",") != "1.0.0" {
		t.Fatalf("versions %v, want [1.0.0]", got)
	}
	if _, _, err := s.Admin().CreateOrgHook(org, sdk.CreateHookOption{
		Type:   sdk.HookTypeGitea,
		Config: map[string]string{"url": base + "/api/v1/hooks/gitea", "content_type": "json", "secret": hookSecret},
		Events: []string{"release", "repository"},
		Active: true,
	}); err != nil {
		t.Fatalf("create the organization webhook: %v", err)
	}

	s.Release(org, "hooked_prov", testserver.Release{Tag: "v1.1.0"})
	released := time.Now()
	for {
		got := versionsOf(t, base, "hooked")
		if strings.Join(got, ",") == "1.1.0,1.0.0" {
			t.Logf("release visible %v after it was created (through Gitea's webhook)", time.Since(released).Round(time.Millisecond))
			break
		}
		if time.Since(released) > 2*time.Second {
			t.Fatalf("versions %v 2s after the release, want [1.1.0 1.0.0]", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
