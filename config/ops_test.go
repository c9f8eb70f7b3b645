package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestOpsKeys: the keys of operating the service load from the
// environment, and what cannot work is refused naming the key.
func TestOpsKeys(t *testing.T) {
	pki := testserver.NewPKI(t)
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("no certificate here\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	cfg, err := config.Load("", []string{
		"EXTENSION_REGISTRY_URL=http://registry.example.com:8082", // the client's, ignored
		"EXTENSION_REGISTRY_LOG_FORMAT=json",
		"EXTENSION_REGISTRY_TLS_CERT_FILE=" + pki.CertFile,
		"EXTENSION_REGISTRY_TLS_KEY_FILE=" + pki.KeyFile,
		"EXTENSION_REGISTRY_OCI_CA_FILE=" + pki.CAFile,
		"EXTENSION_REGISTRY_GITEA_URL=https://gitea.example.com",
		"EXTENSION_REGISTRY_GITEA_ORGANIZATIONS=o",
		"EXTENSION_REGISTRY_GITEA_CA_FILE=" + pki.CAFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogFormat != "json" || !cfg.TLS.Enabled() || cfg.OCI.CAFile != pki.CAFile || cfg.Gitea.CAFile != pki.CAFile {
		t.Errorf("loaded %+v", cfg)
	}
	if def := config.Default(); def.LogFormat != "text" || def.TLS.Enabled() {
		t.Errorf("defaults: log_format %q, TLS %v", def.LogFormat, def.TLS.Enabled())
	}
	if pool, err := config.CertPool(pki.CAFile, "oci.ca_file"); err != nil || pool == nil {
		t.Errorf("CertPool: %v", err)
	}

	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"EXTENSION_REGISTRY_LOG_FORMAT=logfmt"}, "log_format"},
		{[]string{"EXTENSION_REGISTRY_TLS_KEY_FILE=" + pki.KeyFile}, "tls.cert_file"},
		{[]string{"EXTENSION_REGISTRY_TLS_CERT_FILE=" + pki.CAFile, "EXTENSION_REGISTRY_TLS_KEY_FILE=" + pki.KeyFile}, "tls.cert_file"},
		{[]string{"EXTENSION_REGISTRY_OCI_CA_FILE=" + notPEM}, "oci.ca_file"},
		{[]string{"EXTENSION_REGISTRY_OCI_CA_FILE=" + filepath.Join(t.TempDir(), "missing.pem")}, "oci.ca_file"},
		{[]string{"EXTENSION_REGISTRY_GITEA_CA_FILE=" + pki.CAFile}, "gitea.ca_file"},
		{[]string{"EXTENSION_REGISTRY_URLS=x"}, "EXTENSION_REGISTRY_URLS"},
	} {
		_, err := config.Load("", c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v; want one line naming %s", c.env, err, c.want)
		}
	}
}
