package connector

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// FuzzParseTarget: any X-Plugin-* header values either decode to a target
// with an http(s) base URL without credentials, or fail with a header
// error of bounded length; the target's log form never holds a secret
// value, and deriving credentials from it never panics.
func FuzzParseTarget(f *testing.F) {
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	f.Add(b(`{"baseURL":"https://gitea.example.com"}`), b("kubernetes.io/basic-auth"), b(`{"username":"`+b("u")+`","password":"`+b("p4ssw0rd-value")+`"}`))
	f.Add(b(`{"baseURL":"http://127.0.0.1:5000"}`), "kubernetes.io/basic-auth", b(`{"token":"`+b("tok")+`"}`))
	f.Add(b(`{"baseURL":"http://r.example.com"}`), b("kubernetes.io/dockerconfigjson"), b(`{".dockerconfigjson":"`+b(`{"auths":{"r.example.com":{"auth":"`+b("u:p")+`"}}}`)+`"}`))
	f.Add("!!!", "", "")
	f.Add(b(`[]`), b(" "), b("x"))
	f.Add(b(`{"baseURL":"http://u:p@h"}`), "", "")
	f.Fuzz(func(t *testing.T, meta, auth, secret string) {
		h := http.Header{}
		for k, v := range map[string]string{HeaderMeta: meta, HeaderAuth: auth, HeaderSecret: secret} {
			if v != "" {
				h.Set(k, v)
			}
		}
		target, err := ParseTarget(h)
		if err != nil {
			if len(err.Error()) > 300 {
				t.Fatalf("error of %d bytes: %.100s", len(err.Error()), err)
			}
			return
		}
		if s := target.BaseURL.Scheme; s != "http" && s != "https" || target.BaseURL.User != nil || target.BaseURL.Host == "" {
			t.Fatalf("accepted base URL %q", target.BaseURL)
		}
		logged := target.String()
		for k, v := range target.Secret {
			if len(v) >= 8 && strings.Contains(logged, string(v)) && !strings.Contains(target.BaseURL.String()+k+target.SecretType, string(v)) {
				t.Fatalf("the log form %q holds the value of %q", logged, k)
			}
		}
		_, _ = ociCredentials(target)
		_, _ = giteaCredentials(target)
	})
}
