package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if c.Listen != ":8082" || c.DataDir != "./data" || c.Cache.TTL != 5*time.Minute || c.Cache.Capacity != 1000 ||
		c.OCI.Namespace != "provisioning-extensions" || strings.Join(c.Sources, ",") != "gitea,oci" || c.Gitea.Enabled() {
		t.Errorf("defaults differ from the contract: %+v", c)
	}
}

func TestFileThenEnvironment(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, `
listen: 127.0.0.1:9000
public_url: https://registry.example.com
data_dir: /var/lib/extreg
cache:
  ttl: 1m
  capacity: 50
gitea:
  url: https://gitea.example.com
  organizations: [provisioning, community]
  token_file: `+tokenFile+`
oci:
  registry: harbor.example.com:5000
  namespace: exts
  username: robot
  password: pw
  insecure: true
  repositories:
    - aws
    - exts/k3s_taskserv
sources: [oci, gitea]
connectors:
  allowed_hosts: ["*.example.com"]
`)
	env := []string{
		"EXTENSION_REGISTRY_CACHE_TTL=90s",
		"EXTENSION_REGISTRY_GITEA_ORGANIZATIONS=a, b, c",
		"EXTENSION_REGISTRY_OCI_INSECURE=false",
		"PATH=/usr/bin",
	}
	c, err := Load(file, env)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen from file", c.Listen, "127.0.0.1:9000"},
		{"public_url", c.PublicURL, "https://registry.example.com"},
		{"cache.ttl from env wins", c.Cache.TTL, 90 * time.Second},
		{"cache.capacity", c.Cache.Capacity, 50},
		{"organizations from env, comma separated", c.Gitea.Organizations, []string{"a", "b", "c"}},
		{"token read from token_file", c.Gitea.Token.Reveal(), "s3cr3t"},
		{"oci.insecure from env wins", c.OCI.Insecure, false},
		{"oci.repositories", c.OCI.Repositories, []string{"aws", "exts/k3s_taskserv"}},
		{"sources order", c.Sources, []string{"oci", "gitea"}},
		{"allowed hosts", c.Connectors.AllowedHosts, []string{"*.example.com"}},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestEveryKeyHasAnEnvironmentVariable(t *testing.T) {
	for _, k := range Keys() {
		name := EnvName(k)
		if !strings.HasPrefix(name, "EXTENSION_REGISTRY_") || strings.ContainsAny(name, ".-") {
			t.Errorf("key %s: env name %s", k, name)
		}
	}
	if got := EnvName("gitea.organizations"); got != "EXTENSION_REGISTRY_GITEA_ORGANIZATIONS" {
		t.Errorf("EnvName = %s", got)
	}
}

// TestMistakesNameTheKey: every configuration that cannot work stops with
// one line naming the key.
func TestMistakesNameTheKey(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		env        []string
		wantKey    string
	}{
		{name: "unknown key in file", file: "cache:\n  size: 3\n", wantKey: "cache.size"},
		{name: "unknown top-level key", file: "listn: :80\n", wantKey: "listn"},
		{name: "unknown environment variable", env: []string{"EXTENSION_REGISTRY_CACHE_TTLL=1m"}, wantKey: "EXTENSION_REGISTRY_CACHE_TTLL"},
		{name: "bad duration", file: "cache:\n  ttl: 5 minutes\n", wantKey: "cache.ttl"},
		{name: "bad duration from env", env: []string{"EXTENSION_REGISTRY_CACHE_TTL=soon"}, wantKey: "cache.ttl"},
		{name: "negative ttl", env: []string{"EXTENSION_REGISTRY_CACHE_TTL=-1m"}, wantKey: "cache.ttl"},
		{name: "capacity not a number", env: []string{"EXTENSION_REGISTRY_CACHE_CAPACITY=many"}, wantKey: "cache.capacity"},
		{name: "capacity zero", file: "cache:\n  capacity: 0\n", wantKey: "cache.capacity"},
		{name: "gitea url without scheme", env: []string{"EXTENSION_REGISTRY_GITEA_URL=gitea.example.com", "EXTENSION_REGISTRY_GITEA_ORGANIZATIONS=o"}, wantKey: "gitea.url"},
		{name: "gitea without organizations", env: []string{"EXTENSION_REGISTRY_GITEA_URL=https://gitea.example.com"}, wantKey: "gitea.organizations"},
		{name: "gitea token without url", env: []string{"EXTENSION_REGISTRY_GITEA_TOKEN=t"}, wantKey: "gitea.token"},
		{name: "public url without scheme", env: []string{"EXTENSION_REGISTRY_PUBLIC_URL=registry.example.com"}, wantKey: "public_url"},
		{name: "unreadable token file", file: "gitea:\n  url: https://g.example.com\n  organizations: [o]\n  token_file: /nonexistent/token\n", wantKey: "gitea.token_file"},
		{name: "oci registry with scheme", env: []string{"EXTENSION_REGISTRY_OCI_REGISTRY=https://harbor.example.com"}, wantKey: "oci.registry"},
		{name: "bad insecure", env: []string{"EXTENSION_REGISTRY_OCI_INSECURE=maybe"}, wantKey: "oci.insecure"},
		{name: "username without password", env: []string{"EXTENSION_REGISTRY_OCI_REGISTRY=h:5000", "EXTENSION_REGISTRY_OCI_USERNAME=u"}, wantKey: "oci.username"},
		{name: "unknown source", env: []string{"EXTENSION_REGISTRY_SOURCES=gitea,s3"}, wantKey: "sources"},
		{name: "only gitea, not configured", env: []string{"EXTENSION_REGISTRY_SOURCES=gitea"}, wantKey: "sources"},
		{name: "password without username", env: []string{"EXTENSION_REGISTRY_OCI_PASSWORD=p"}, wantKey: "oci.username"},
		{name: "password file without username", file: "oci:\n  password_file: " + secretFile + "\n", wantKey: "oci.username"},
		{name: "username without password, no registry", env: []string{"EXTENSION_REGISTRY_OCI_USERNAME=u"}, wantKey: "oci.username"},
		{name: "token and username, no registry", env: []string{"EXTENSION_REGISTRY_OCI_TOKEN=t", "EXTENSION_REGISTRY_OCI_USERNAME=u", "EXTENSION_REGISTRY_OCI_PASSWORD=p"}, wantKey: "oci.token"},
		{name: "token and password, no registry", env: []string{"EXTENSION_REGISTRY_OCI_TOKEN=t", "EXTENSION_REGISTRY_OCI_PASSWORD=p"}, wantKey: "oci.username"},
		{name: "gitea password without url", env: []string{"EXTENSION_REGISTRY_GITEA_PASSWORD=p"}, wantKey: "gitea.password"},
		{name: "nested repository", file: "oci:\n  repositories: [aws, aws/extra]\n", wantKey: "oci.repositories"},
		{name: "repository in another namespace, from the file", file: "oci:\n  repositories: [other-ns/aws_prov]\n", wantKey: "oci.repositories"},
		{name: "repository in another namespace", env: []string{"EXTENSION_REGISTRY_OCI_REPOSITORIES=aws,other-ns/aws_prov"}, wantKey: "oci.repositories"},
		{name: "repository not lowercase", env: []string{"EXTENSION_REGISTRY_OCI_REPOSITORIES=AWS"}, wantKey: "oci.repositories"},
		{name: "bad namespace", env: []string{"EXTENSION_REGISTRY_OCI_NAMESPACE=Bad Namespace"}, wantKey: "oci.namespace"},
		{name: "bad listen", env: []string{"EXTENSION_REGISTRY_LISTEN=8082"}, wantKey: "listen"},
		{name: "list where a value belongs", file: "listen: [a, b]\n", wantKey: "listen"},
		{name: "mapping where a value belongs", file: "listen:\n  port: 1\n", wantKey: "listen"},
		{name: "not yaml", file: "cache: [\n", wantKey: "--config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := ""
			if tt.file != "" {
				file = writeFile(t, tt.file)
			}
			_, err := Load(file, tt.env)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			if !strings.Contains(msg, tt.wantKey) {
				t.Errorf("error %q does not name %s", msg, tt.wantKey)
			}
		})
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	_, err := Load("", []string{
		"EXTENSION_REGISTRY_GITEA_URL=https://gitea.example.com",
		"EXTENSION_REGISTRY_GITEA_ORGANIZATIONS=o",
		"EXTENSION_REGISTRY_GITEA_TOKEN=tok-sup3rs3cret",
		"EXTENSION_REGISTRY_GITEA_USERNAME=admin",
		"EXTENSION_REGISTRY_GITEA_PASSWORD=pw-sup3rs3cret",
	})
	if err == nil {
		t.Fatal("token and username together accepted")
	}
	if strings.Contains(err.Error(), "sup3rs3cret") {
		t.Errorf("error shows a secret: %v", err)
	}
	for _, u := range []string{"https://user:pa55word@registry.example.com", "ftp://user:pa55word@registry.example.com"} {
		_, err = Load("", []string{"EXTENSION_REGISTRY_PUBLIC_URL=" + u})
		if err == nil || strings.Contains(err.Error(), "pa55word") {
			t.Errorf("URL credentials in %s: %v", u, err)
		}
	}
}

func TestExampleConfigLoads(t *testing.T) {
	c, err := Load("../examples/config.yaml", nil)
	if err != nil {
		t.Fatalf("the documented example does not load: %v", err)
	}
	if c.Listen != ":8082" || c.Cache.TTL != 5*time.Minute {
		t.Errorf("example config: %+v", c)
	}
}

// TestOrganizationsWithoutGitea checks that organizations alone are
// accepted (the ConnectorClass API's default) and enable no Gitea source.
func TestOrganizationsWithoutGitea(t *testing.T) {
	c, err := Load("", []string{"EXTENSION_REGISTRY_GITEA_ORGANIZATIONS=infra,community"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Gitea.Enabled() || len(c.Gitea.Organizations) != 2 {
		t.Errorf("gitea = %+v", c.Gitea)
	}
}
