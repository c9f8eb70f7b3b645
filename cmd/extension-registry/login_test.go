package main

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestPublishWithLoginStore: with no oci.* credentials, publish --to takes
// them from the Docker/oras login store ($DOCKER_CONFIG/config.json, as
// `docker login` or `oras login` write it); the configuration's own still
// win; the password never shows.
func TestPublishWithLoginStore(t *testing.T) {
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{Htpasswd: true})
	to := fmt.Sprintf("%s/login%d/provisioning-extensions", reg.Host, nsCounter.Add(1))
	src := sourceTree(t, t.TempDir(), false, time.Now())
	args := []string{"publish", src, "--type", "cluster", "--name", "stored", "--version", "1.0.0", "--to", to, "--plain-http"}

	store := func(user, password string) string {
		dir := t.TempDir()
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
		writeFile(t, filepath.Join(dir, "config.json"), fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, reg.Host, auth), 0o600)
		return dir
	}
	good := store(reg.Username, reg.Password)
	const wrong = "stored-wrong-password-91f3"

	r := mustRun(t, t.TempDir(), environ("DOCKER_CONFIG="+good), args...)
	if !strings.HasPrefix(r.stdout, "published cluster/stored 1.0.0 to "+to) || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("publish with the login store printed %q", r.stdout)
	}
	for name, env := range map[string][]string{
		"an empty login store":                    environ("DOCKER_CONFIG=" + t.TempDir()),
		"a wrong password in the store":           environ("DOCKER_CONFIG=" + store(reg.Username, wrong)),
		"configured credentials win over a store": environ("DOCKER_CONFIG="+good, "EXTENSION_REGISTRY_OCI_USERNAME="+reg.Username, "EXTENSION_REGISTRY_OCI_PASSWORD="+wrong),
	} {
		r := run(t, t.TempDir(), env, args...)
		line := strings.TrimSuffix(r.stderr, "\n")
		if r.code != 1 || strings.Contains(line, "\n") || !strings.Contains(line, "credentials") ||
			strings.Contains(r.stderr+r.stdout, wrong) || strings.Contains(r.stderr+r.stdout, reg.Password) {
			t.Errorf("%s: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
		}
	}
}
