package connector

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// katanomiHeaders encodes a Connector's address and Secret exactly as
// katanomi/pkg's plugin client does (plugin/client: SecretOpts and
// MetaOpts): X-Plugin-Auth is the Secret type as it stands, X-Plugin-Secret
// the Base64 of json.Marshal of the Secret's map[string][]byte data (whose
// values encoding/json writes in Base64), X-Plugin-Meta the Base64 JSON of
// the meta.
func katanomiHeaders(baseURL, secretType string, data map[string]string) http.Header {
	h := http.Header{}
	meta, _ := json.Marshal(struct {
		BaseURL string `json:"baseURL"`
		Version string `json:"version,omitempty"`
	}{BaseURL: baseURL})
	h.Set(HeaderMeta, base64.StdEncoding.EncodeToString(meta))
	secret := make(map[string][]byte, len(data))
	for k, v := range data {
		secret[k] = []byte(v)
		rememberSecret(v)
	}
	b, _ := json.Marshal(secret)
	h.Set(HeaderAuth, secretType)
	h.Set(HeaderSecret, base64.StdEncoding.EncodeToString(b))
	return h
}

// TestSecretTypeForms checks how X-Plugin-Auth is read: a Secret type as
// it stands is taken as it is, anything else is Base64-decoded.
func TestSecretTypeForms(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		bad       bool
	}{
		{raw: "kubernetes.io/basic-auth", want: SecretBasicAuth},
		{raw: "kubernetes.io/dockerconfigjson", want: SecretDockerConfigJSON},
		{raw: "cpaas.io/distribution-registry-token", want: "cpaas.io/distribution-registry-token"},
		{raw: "Opaque", want: SecretOpaque},
		{raw: base64.StdEncoding.EncodeToString([]byte(SecretBasicAuth)), want: SecretBasicAuth},
		{raw: base64.StdEncoding.EncodeToString([]byte(SecretOpaque)), want: SecretOpaque},
		{raw: base64.RawStdEncoding.EncodeToString([]byte("kubernetes.io/dockerconfigjson")), want: SecretDockerConfigJSON},
		{raw: "!!!", bad: true},
		{raw: "kubernetes.io/", bad: true},
		{raw: base64.StdEncoding.EncodeToString([]byte("two words")), bad: true},
		{raw: base64.StdEncoding.EncodeToString([]byte("\x00\x01")), bad: true},
	} {
		got, err := parseSecretType(c.raw)
		switch {
		case c.bad && err == nil:
			t.Errorf("parseSecretType(%q) = %q, want an error", c.raw, got)
		case !c.bad && (err != nil || got != c.want):
			t.Errorf("parseSecretType(%q) = %q, %v; want %q", c.raw, got, err, c.want)
		}
	}
}

// TestKatanomiClientHeaders calls the API against the real registry with
// the exact header forms of katanomi/pkg's client: an unencoded
// X-Plugin-Auth is accepted (it was a 400 before), and answers as the
// Base64 form does.
func TestKatanomiClientHeaders(t *testing.T) {
	f := ociEnv(t)
	s := newServer(t, Options{})
	for name, h := range map[string]http.Header{
		"katanomi, basic-auth": katanomiHeaders(f.url, SecretBasicAuth, map[string]string{"username": f.reg.Username, "password": f.reg.Password}),
		"gateway, basic-auth":  basic(f.url, f.reg.Username, f.reg.Password),
	} {
		a := s.get(t, "/connectors/oci/extensions", h)
		if a.code != http.StatusOK {
			t.Errorf("%s: answer %d: %s", name, a.code, a.body)
			continue
		}
		var l List[registry.Extension]
		a.json(t, &l)
		if names(l.Items) != "aws,buildkit,k3s" {
			t.Errorf("%s: list %s", name, names(l.Items))
		}
	}
	// Wrong credentials in the katanomi form are refused as in the other.
	bad := katanomiHeaders(f.url, SecretBasicAuth, map[string]string{"username": f.reg.Username, "password": "leaky-pass"})
	if a := s.get(t, "/connectors/oci/extensions", bad); a.code != http.StatusUnauthorized {
		t.Errorf("wrong password, katanomi form: %d %s", a.code, a.body)
	}
	// The auth probe too.
	probe := katanomiHeaders(f.url, SecretBasicAuth, map[string]string{"username": f.reg.Username, "password": f.reg.Password})
	if a := s.get(t, "/connectors/oci/authcheck", probe); a.code != http.StatusOK {
		t.Errorf("authcheck, katanomi form: %d %s", a.code, a.body)
	}
}
