package connector

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestSpecExampleHeaders decodes the request example of the ConnectorClass
// API extension specification, byte for byte.
func TestSpecExampleHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("X-Plugin-Meta", "eyJiYXNlVVJMIjoiaHR0cHM6Ly9naXRodWIuY29tIn0=")
	h.Set("X-Plugin-Auth", "a3ViZXJuZXRlcy5pby9iYXNpYy1hdXRo")
	h.Set("X-Plugin-Secret", "eyJwYXNzd29yZCI6ImNHRnpjekV5TXc9PSIsInVzZXJuYW1lIjoiWVdSdGFXND0ifQ==")
	target, err := ParseTarget(h)
	if err != nil {
		t.Fatalf("ParseTarget: %v", err)
	}
	if got := target.BaseURL.String(); got != "https://github.com" {
		t.Errorf("base URL = %q, want https://github.com", got)
	}
	if target.SecretType != SecretBasicAuth {
		t.Errorf("secret type = %q, want %s", target.SecretType, SecretBasicAuth)
	}
	creds, err := giteaCredentials(target)
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	if creds.Username != "admin" || creds.Password.Reveal() != "pass123" {
		t.Errorf("credentials = %q/%q, want admin/pass123", creds.Username, creds.Password.Reveal())
	}
}

// TestSpecFieldExamples decodes the per-header examples of the original
// specification.
func TestSpecFieldExamples(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderMeta, "eyJiYXNlVVJMIjoiaHR0cDovL2dpdGh1Yi5jb20ifQ==")
	h.Set(HeaderAuth, "a3ViZXJuZXRlcy5pby9iYXNpYy1hdXRo")
	h.Set(HeaderSecret, "eyJ1c2VybmFtZSI6IllXUnRhVzQ9IiwicGFzc3dvcmQiOiJjMlZqY21WMCJ9")
	target, err := ParseTarget(h)
	if err != nil {
		t.Fatalf("ParseTarget: %v", err)
	}
	if got := target.BaseURL.String(); got != "http://github.com" {
		t.Errorf("base URL = %q", got)
	}
	if u, p := string(target.Secret["username"]), string(target.Secret["password"]); u != "admin" || p != "secret" {
		t.Errorf("secret = %q/%q, want admin/secret", u, p)
	}
}

func TestParseTargetAnonymous(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderMeta, b64(`{"baseURL":"https://git.example.com/gitea/"}`))
	target, err := ParseTarget(h)
	if err != nil {
		t.Fatal(err)
	}
	if !target.Anonymous() {
		t.Errorf("target %v is not anonymous", target)
	}
	if got := target.BaseURL.String(); got != "https://git.example.com/gitea" {
		t.Errorf("base URL = %q, want the path prefix without its trailing slash", got)
	}
}

// TestParseTargetErrors checks that every malformed header is refused with
// a message naming it and never repeating its secret content.
func TestParseTargetErrors(t *testing.T) {
	meta := b64(`{"baseURL":"https://git.example.com"}`)
	auth := b64(SecretBasicAuth)
	secret := b64(`{"username":"` + b64("leaky-user") + `","password":"` + b64("leaky-pass") + `"}`)
	tests := []struct {
		name                 string
		meta, auth, secret   string
		wantHeader, wantText string
	}{
		{"missing meta", "", auth, secret, HeaderMeta, "missing"},
		{"meta not base64", "%%%", "", "", HeaderMeta, "Base64"},
		{"meta not JSON", b64("https://git.example.com"), "", "", HeaderMeta, "JSON"},
		{"empty baseURL", b64(`{"baseURL":""}`), "", "", HeaderMeta, "empty"},
		{"baseURL without scheme", b64(`{"baseURL":"git.example.com"}`), "", "", HeaderMeta, "http"},
		{"baseURL ftp", b64(`{"baseURL":"ftp://git.example.com"}`), "", "", HeaderMeta, "http"},
		{"baseURL with credentials", b64(`{"baseURL":"https://leaky-user:leaky-pass@git.example.com"}`), "", "", HeaderMeta, "credentials"},
		{"baseURL with query", b64(`{"baseURL":"https://git.example.com/?a=b"}`), "", "", HeaderMeta, "query"},
		{"auth without secret", meta, auth, "", HeaderSecret, "missing"},
		{"secret without auth", meta, "", secret, HeaderAuth, "missing"},
		{"auth not base64", meta, "!!!", secret, HeaderAuth, "Base64"},
		{"secret not base64", meta, auth, "!!!", HeaderSecret, "Base64"},
		{"secret not JSON", meta, auth, b64("leaky-pass"), HeaderSecret, "JSON"},
		{"secret value not base64", meta, auth, b64(`{"password":"leaky-pass!"}`), HeaderSecret, `"password"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range map[string]string{HeaderMeta: tc.meta, HeaderAuth: tc.auth, HeaderSecret: tc.secret} {
				if v != "" {
					h.Set(k, v)
				}
			}
			_, err := ParseTarget(h)
			if err == nil {
				t.Fatal("ParseTarget succeeded")
			}
			st := statusFor(err, "tool")
			if st.ErrStatus.Code != http.StatusBadRequest || st.ErrStatus.Reason != "BadRequest" {
				t.Errorf("status = %d %s, want 400 BadRequest", st.ErrStatus.Code, st.ErrStatus.Reason)
			}
			msg := st.ErrStatus.Message
			if !strings.Contains(msg, tc.wantHeader) || !strings.Contains(msg, tc.wantText) {
				t.Errorf("message %q does not name %s and %q", msg, tc.wantHeader, tc.wantText)
			}
			if strings.Contains(msg, "leaky") {
				t.Errorf("message %q repeats secret content", msg)
			}
		})
	}
}

func TestTargetRedacts(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderMeta, b64(`{"baseURL":"https://git.example.com"}`))
	h.Set(HeaderAuth, b64(SecretOpaque))
	h.Set(HeaderSecret, b64(`{"token":"`+b64("tok-redact-me")+`"}`))
	target, err := ParseTarget(h)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := giteaCredentials(target)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	log := slog.New(slog.NewJSONHandler(&sb, nil))
	log.Info("x", "target", target, "creds", creds)
	for _, s := range []string{
		sb.String(),
		fmt.Sprint(target), fmt.Sprintf("%+v", target), fmt.Sprintf("%#v", target),
		fmt.Sprint(creds), fmt.Sprintf("%+v", creds), fmt.Sprintf("%#v", creds),
	} {
		if strings.Contains(s, "tok-redact-me") || strings.Contains(s, b64("tok-redact-me")) {
			t.Errorf("secret shown in %q", s)
		}
	}
	if !strings.Contains(fmt.Sprint(target), "token") {
		t.Errorf("String() should name the secret keys: %s", target)
	}
}

// b64 is standard Base64, as the Connectors gateway encodes headers.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
