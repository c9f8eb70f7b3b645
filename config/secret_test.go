package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretAndSecretFileRefused checks that a secret given both inline and
// through its _file key is refused with one line naming both keys, whether
// the two come from the file, the environment or one of each.
func TestSecretAndSecretFileRefused(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, yaml string
		env        []string
		key, other string
	}{
		{"gitea token in the file", "gitea:\n  url: https://g.example.com\n  organizations: [o]\n  token: inline\n  token_file: " + secretFile + "\n", nil, "gitea.token", "gitea.token_file"},
		{"gitea token from env, token_file in the file", "gitea:\n  url: https://g.example.com\n  organizations: [o]\n  token_file: " + secretFile + "\n", []string{"EXTENSION_REGISTRY_GITEA_TOKEN=inline"}, "gitea.token", "gitea.token_file"},
		{"gitea password", "", []string{"EXTENSION_REGISTRY_GITEA_URL=https://g.example.com", "EXTENSION_REGISTRY_GITEA_ORGANIZATIONS=o", "EXTENSION_REGISTRY_GITEA_USERNAME=u", "EXTENSION_REGISTRY_GITEA_PASSWORD=inline", "EXTENSION_REGISTRY_GITEA_PASSWORD_FILE=" + secretFile}, "gitea.password", "gitea.password_file"},
		{"oci token", "", []string{"EXTENSION_REGISTRY_OCI_TOKEN=inline", "EXTENSION_REGISTRY_OCI_TOKEN_FILE=" + secretFile}, "oci.token", "oci.token_file"},
		{"oci password", "oci:\n  username: u\n  password: inline\n  password_file: " + secretFile + "\n", nil, "oci.password", "oci.password_file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := ""
			if c.yaml != "" {
				file = writeFile(t, c.yaml)
			}
			_, err := Load(file, c.env)
			if err == nil {
				t.Fatal("Load accepted both keys")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "config: "+c.key) || !strings.Contains(msg, c.other) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q; want one line naming %s and %s", msg, c.key, c.other)
			}
			if strings.Contains(msg, "inline") || strings.Contains(msg, "from-file") {
				t.Errorf("error shows the secret: %q", msg)
			}
		})
	}
	// Each alone is fine.
	c, err := Load("", []string{"EXTENSION_REGISTRY_OCI_TOKEN_FILE=" + secretFile})
	if err != nil || c.OCI.Token.Reveal() != "from-file" {
		t.Fatalf("token_file alone: %v, %q", err, c.OCI.Token.Reveal())
	}
}

// TestConfigNeverPrintsSecrets prints a loaded configuration every way a
// log line or a debug dump would and finds none of its secrets.
func TestConfigNeverPrintsSecrets(t *testing.T) {
	env := []string{
		"EXTENSION_REGISTRY_GITEA_URL=https://g.example.com",
		"EXTENSION_REGISTRY_GITEA_ORGANIZATIONS=o",
		"EXTENSION_REGISTRY_GITEA_TOKEN=gitea-T0KEN-value",
		"EXTENSION_REGISTRY_OCI_USERNAME=robot",
		"EXTENSION_REGISTRY_OCI_PASSWORD=oci-PASSW0RD-value",
	}
	c, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Gitea.Token.Reveal() != "gitea-T0KEN-value" || c.OCI.Password.Reveal() != "oci-PASSW0RD-value" {
		t.Fatal("secrets not loaded")
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c.Gitea, c.OCI), string(j)} {
		if strings.Contains(out, "T0KEN") || strings.Contains(out, "PASSW0RD") {
			t.Errorf("configuration printed a secret: %s", out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("configuration does not show that the secret is set: %s", out)
		}
	}
}
