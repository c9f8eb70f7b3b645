package connector

import (
	"net/url"
	"strings"
	"testing"

	"github.com/provisioning-platform/extension-registry/internal/secret"
)

func mustURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func TestCredentialsBySecretType(t *testing.T) {
	base := mustURL(t, "https://registry.example.com:5000")
	tests := []struct {
		name    string
		typ     string
		data    map[string]string
		oci     bool
		want    Credentials
		wantErr string
	}{
		{"anonymous", "", nil, false, Credentials{}, ""},
		{"basic-auth", SecretBasicAuth, map[string]string{"username": "u", "password": "p"}, false, Credentials{Username: "u", Password: secret.New("p")}, ""},
		{"basic-auth without password", SecretBasicAuth, map[string]string{"username": "u"}, false, Credentials{}, "username and password"},
		{"opaque token", SecretOpaque, map[string]string{"token": "t0k"}, false, Credentials{Token: secret.New("t0k")}, ""},
		{"custom type token", "example.com/gitea-token", map[string]string{"token": "t0k"}, false, Credentials{Token: secret.New("t0k")}, ""},
		{"custom type username and password", "cpaas.io/distribution-registry-token", map[string]string{"username": "u", "password": "p"}, true, Credentials{Username: "u", Password: secret.New("p")}, ""},
		{"opaque without keys", SecretOpaque, map[string]string{"other": "x"}, false, Credentials{}, "token key"},
		{"dockerconfigjson for gitea", SecretDockerConfigJSON, map[string]string{".dockerconfigjson": "{}"}, false, Credentials{}, "OCI registries"},
		{"dockerconfigjson auth field", SecretDockerConfigJSON, map[string]string{".dockerconfigjson": `{"auths":{"registry.example.com:5000":{"auth":"` + b64("du:dp") + `"}}}`}, true, Credentials{Username: "du", Password: secret.New("dp")}, ""},
		{"dockerconfigjson username field", SecretDockerConfigJSON, map[string]string{".dockerconfigjson": `{"auths":{"https://registry.example.com:5000/v2/":{"username":"du","password":"dp"}}}`}, true, Credentials{Username: "du", Password: secret.New("dp")}, ""},
		{"dockerconfigjson identity token", SecretDockerConfigJSON, map[string]string{".dockerconfigjson": `{"auths":{"registry.example.com:5000":{"identitytoken":"idt"}}}`}, true, Credentials{RefreshToken: secret.New("idt")}, ""},
		{"dockerconfigjson other host", SecretDockerConfigJSON, map[string]string{".dockerconfigjson": `{"auths":{"other.example.com":{"auth":"` + b64("du:dp") + `"}}}`}, true, Credentials{}, "no auths entry for registry registry.example.com:5000"},
		{"dockerconfigjson missing key", SecretDockerConfigJSON, map[string]string{}, true, Credentials{}, ".dockerconfigjson key"},
		{"dockerconfigjson not JSON", SecretDockerConfigJSON, map[string]string{".dockerconfigjson": "nope"}, true, Credentials{}, "not a Docker config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := Target{BaseURL: base, SecretType: tc.typ}
			if tc.data != nil {
				target.Secret = map[string][]byte{}
				for k, v := range tc.data {
					target.Secret[k] = []byte(v)
				}
			}
			fn := giteaCredentials
			if tc.oci {
				fn = ociCredentials
			}
			got, err := fn(target)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameCredentials(got, tc.want) {
				t.Errorf("credentials differ (values not shown): got %v", got)
			}
		})
	}
}

func TestDockerConfigKeyForms(t *testing.T) {
	cfg := func(key string) []byte {
		return []byte(`{"auths":{"` + key + `":{"auth":"` + b64("u:p") + `"}}}`)
	}
	tests := []struct {
		base, key string
		match     bool
	}{
		{"https://reg.example.com", "reg.example.com", true},
		{"https://reg.example.com", "https://reg.example.com/v1/", true},
		{"http://127.0.0.1:5000", "127.0.0.1:5000", true},
		{"http://127.0.0.1:5000", "http://127.0.0.1:5000", true},
		{"http://127.0.0.1:5000", "127.0.0.1", true},
		{"http://127.0.0.1:5000", "127.0.0.1:5001", false},
		{"https://REG.example.com", "reg.EXAMPLE.com", true},
		{"https://reg.example.com", "other.example.com", false},
	}
	for _, tc := range tests {
		t.Run(tc.base+" "+tc.key, func(t *testing.T) {
			_, err := dockerConfigCredentials(cfg(tc.key), mustURL(t, tc.base))
			if (err == nil) != tc.match {
				t.Errorf("match = %v, want %v (%v)", err == nil, tc.match, err)
			}
		})
	}
}

func TestDockerConfigPrefersExactPort(t *testing.T) {
	raw := []byte(`{"auths":{"127.0.0.1":{"auth":"` + b64("loose:x") + `"},"127.0.0.1:5000":{"auth":"` + b64("exact:y") + `"}}}`)
	c, err := dockerConfigCredentials(raw, mustURL(t, "http://127.0.0.1:5000"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Username != "exact" {
		t.Errorf("picked %q, want the exact host:port entry", c.Username)
	}
}

func TestHostPolicy(t *testing.T) {
	tests := []struct {
		entries []string
		url     string
		want    bool
	}{
		{nil, "https://git.example.com", false},
		{[]string{"*"}, "http://10.0.0.1:8080", true},
		{[]string{"git.example.com"}, "https://GIT.example.com", true},
		{[]string{"git.example.com"}, "https://git.example.com:8443", true},
		{[]string{"git.example.com"}, "https://evil.example.com", false},
		{[]string{"git.example.com:8443"}, "https://git.example.com:8443", true},
		{[]string{"git.example.com:8443"}, "https://git.example.com", false},
		{[]string{"git.example.com:443"}, "https://git.example.com", true},
		{[]string{"*.example.com"}, "https://git.example.com", true},
		{[]string{"*.example.com"}, "https://a.b.example.com", true},
		{[]string{"*.example.com"}, "https://example.com", false},
		{[]string{"*.example.com"}, "https://example.com.evil.net", false},
		{[]string{"*.example.com:5000"}, "http://reg.example.com:5000", true},
		{[]string{"*.example.com:5000"}, "http://reg.example.com:5001", false},
		{[]string{"127.0.0.1"}, "http://127.0.0.1:3000", true},
		{[]string{"[::1]:5000"}, "http://[::1]:5000", true},
		{[]string{"::1"}, "http://[::1]:5000", true},
		{[]string{" ", "Git.Example.com "}, "https://git.example.com", true},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.entries, ",")+" "+tc.url, func(t *testing.T) {
			if got := newHostPolicy(tc.entries).allows(mustURL(t, tc.url)); got != tc.want {
				t.Errorf("allows = %v, want %v", got, tc.want)
			}
		})
	}
}

// sameCredentials compares credentials by their values (a secret.Value
// compares by identity).
func sameCredentials(a, b Credentials) bool {
	return a.Username == b.Username && a.Password.Reveal() == b.Password.Reveal() &&
		a.Token.Reveal() == b.Token.Reveal() && a.RefreshToken.Reveal() == b.RefreshToken.Reveal()
}
