package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/provisioning-platform/extension-registry/oci"
)

// TestOCICredentialsWithoutRegistry checks that credentials alone, without
// oci.registry, load: `publish --to` uses them.
func TestOCICredentialsWithoutRegistry(t *testing.T) {
	for _, env := range [][]string{
		{"EXTENSION_REGISTRY_OCI_USERNAME=u", "EXTENSION_REGISTRY_OCI_PASSWORD=p"},
		{"EXTENSION_REGISTRY_OCI_TOKEN=t"},
	} {
		c, err := Load("", env)
		if err != nil {
			t.Errorf("%v: %v", env, err)
			continue
		}
		if c.OCI.Registry != "" || (c.OCI.Username+c.OCI.Password.Reveal()+c.OCI.Token.Reveal()) == "" {
			t.Errorf("%v: %+v", env, c.OCI)
		}
	}
}

// TestOCIRepositoriesAsTheBackend checks that oci.repositories accepts at
// load exactly the entries the OCI backend accepts (a name under
// oci.namespace, or that name prefixed with the namespace), so that a bad
// entry is refused with the key named rather than later by the backend.
func TestOCIRepositoriesAsTheBackend(t *testing.T) {
	for _, c := range []struct {
		namespace string
		entry     string
		ok        bool
	}{
		{"provisioning-extensions", "aws", true},
		{"provisioning-extensions", "k3s_taskserv", true},
		{"provisioning-extensions", "provisioning-extensions/k3s_taskserv", true},
		{"provisioning-extensions", "/aws/", true},
		{"provisioning-extensions", "a.b", true},
		{"provisioning-extensions", "a__b", true},
		{"provisioning-extensions", "a---b", true},
		{"provisioning-extensions", "0", true},
		{"team/exts", "aws", true},
		{"team/exts", "team/exts/aws", true},
		{"provisioning-extensions", "other-ns/aws_prov", false},
		{"provisioning-extensions", "aws/extra", false},
		{"provisioning-extensions", "provisioning-extensions/a/b", false},
		{"provisioning-extensions", "provisioning-extensions", true}, // {namespace}/provisioning-extensions
		{"provisioning-extensions", "AWS", false},
		{"provisioning-extensions", "aws prov", false},
		{"provisioning-extensions", "a___b", false},
		{"provisioning-extensions", "a_-b", false},
		{"provisioning-extensions", "-aws", false},
		{"provisioning-extensions", "aws.", false},
		{"provisioning-extensions", "aws:1.0", false},
		{"team/exts", "team/aws", false},
		{"team/exts", "exts/aws", false},
	} {
		t.Run(fmt.Sprintf("%s %s", c.namespace, c.entry), func(t *testing.T) {
			_, err := Load("", []string{
				"EXTENSION_REGISTRY_OCI_REGISTRY=registry.example.com",
				"EXTENSION_REGISTRY_OCI_NAMESPACE=" + c.namespace,
				"EXTENSION_REGISTRY_OCI_REPOSITORIES=aws," + c.entry,
			})
			if c.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !c.ok && (err == nil || !strings.Contains(err.Error(), "oci.repositories") || !strings.Contains(err.Error(), c.entry)) {
				t.Errorf("error %v, want one naming oci.repositories and %q", err, c.entry)
			}
			_, ociErr := oci.NewRemote(oci.RemoteOptions{Registry: "registry.example.com", Namespace: c.namespace, Repositories: []string{c.entry}})
			if (ociErr == nil) != c.ok {
				t.Errorf("the OCI backend disagrees: %v", ociErr)
			}
		})
	}
}
