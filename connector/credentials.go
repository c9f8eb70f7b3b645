package connector

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/provisioning-platform/extension-registry/internal/secret"
)

// Credentials are what a backend is built with: basic-auth username and
// password, or a token. The zero value is anonymous access. The secret
// parts are secret.Values, which never print; String and LogValue redact
// the username too.
type Credentials struct {
	Username string
	Password secret.Value
	Token    secret.Value
	// RefreshToken is an OCI registry's OAuth2 refresh token (a Docker
	// config's identitytoken).
	RefreshToken secret.Value
}

// String says which credentials are set, never their values.
func (c Credentials) String() string {
	switch {
	case c.Token.IsSet():
		return "Credentials{token: <redacted>}"
	case c.RefreshToken.IsSet():
		return "Credentials{refresh token: <redacted>}"
	case c.Username != "" || c.Password.IsSet():
		return "Credentials{username: <redacted>, password: <redacted>}"
	default:
		return "Credentials{anonymous}"
	}
}

// GoString redacts like String, so that %#v shows no secret either.
func (c Credentials) GoString() string { return c.String() }

// LogValue logs the credentials as String does.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// GoString redacts like String, so that %#v shows no secret either.
func (t Target) GoString() string { return t.String() }

// genericCredentials reads a Secret of any type other than the two typed
// ones by its keys: "token" is a token, else "username" and "password" are
// basic auth (as in cpaas.io/distribution-registry-token Secrets).
func genericCredentials(t Target) (Credentials, error) {
	if tok := strings.TrimSpace(string(t.Secret["token"])); tok != "" {
		return Credentials{Token: secret.New(tok)}, nil
	}
	if u, p := string(t.Secret["username"]), string(t.Secret["password"]); u != "" && p != "" {
		return Credentials{Username: u, Password: secret.New(p)}, nil
	}
	return Credentials{}, badHeader(HeaderSecret, "a Secret of type %q needs a token key (or username and password keys)", t.SecretType)
}

// basicCredentials reads a kubernetes.io/basic-auth Secret.
func basicCredentials(t Target) (Credentials, error) {
	u, p := string(t.Secret["username"]), string(t.Secret["password"])
	if u == "" || p == "" {
		return Credentials{}, badHeader(HeaderSecret, "a %s Secret needs username and password keys", SecretBasicAuth)
	}
	return Credentials{Username: u, Password: secret.New(p)}, nil
}

// giteaCredentials returns the credentials a Gitea backend is built with:
// basic auth (the password may be a personal access token) or a token.
func giteaCredentials(t Target) (Credentials, error) {
	if t.SecretType == SecretDockerConfigJSON {
		return Credentials{}, badHeader(HeaderAuth, "Secret type %s is for OCI registries; Gitea takes %s or a Secret with a token key", SecretDockerConfigJSON, SecretBasicAuth)
	}
	return ociCredentials(t)
}

// ociCredentials returns the credentials an OCI backend is built with: none
// without a Secret, basic auth, the entry of the registry's host in a
// dockerconfigjson Secret, else a token (or username and password) by key.
func ociCredentials(t Target) (Credentials, error) {
	switch t.SecretType {
	case "":
		return Credentials{}, nil
	case SecretBasicAuth:
		return basicCredentials(t)
	case SecretDockerConfigJSON:
		return dockerConfigCredentials(t.Secret[".dockerconfigjson"], t.BaseURL)
	default:
		return genericCredentials(t)
	}
}

// dockerAuth is one entry of a Docker config's "auths".
type dockerAuth struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// dockerConfigCredentials picks the entry for base's host out of a Docker
// config JSON. Keys may be "host", "host:port" or URLs such as
// "https://host/v1/"; an exact host:port match wins over a match on the
// host name alone.
func dockerConfigCredentials(raw []byte, base *url.URL) (Credentials, error) {
	if len(raw) == 0 {
		return Credentials{}, badHeader(HeaderSecret, "a %s Secret needs a .dockerconfigjson key", SecretDockerConfigJSON)
	}
	var cfg struct {
		Auths map[string]dockerAuth `json:"auths"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return Credentials{}, badHeader(HeaderSecret, ".dockerconfigjson is not a Docker config JSON")
	}
	entry, ok := lookupAuth(cfg.Auths, base)
	if !ok {
		return Credentials{}, &headerError{header: HeaderSecret, noCredentials: true,
			reason: fmt.Sprintf(".dockerconfigjson has no auths entry for registry %s", base.Host)}
	}
	var (
		c        Credentials
		password string
	)
	switch {
	case entry.RegistryToken != "":
		c.Token = secret.New(entry.RegistryToken)
	case entry.IdentityToken != "":
		// An identity token is an OAuth2 refresh token (docker login to a
		// registry with an OAuth token service), exchanged for access
		// tokens; the username, when any, goes with it.
		c.RefreshToken, c.Username = secret.New(entry.IdentityToken), entry.Username
	case entry.Auth != "":
		dec, err := decodeBase64(entry.Auth)
		if err != nil {
			return Credentials{}, badHeader(HeaderSecret, ".dockerconfigjson auth of registry %s is not valid Base64", base.Host)
		}
		u, p, found := strings.Cut(string(dec), ":")
		if !found {
			return Credentials{}, badHeader(HeaderSecret, ".dockerconfigjson auth of registry %s is not username:password", base.Host)
		}
		c.Username, password = u, p
	default:
		c.Username, password = entry.Username, entry.Password
	}
	c.Password = secret.New(password)
	if !c.Token.IsSet() && !c.RefreshToken.IsSet() && (c.Username == "" || password == "") {
		return Credentials{}, &headerError{header: HeaderSecret, noCredentials: true,
			reason: fmt.Sprintf(".dockerconfigjson entry of registry %s has no credentials", base.Host)}
	}
	return c, nil
}

// lookupAuth finds the entry of auths that names base's registry.
func lookupAuth(auths map[string]dockerAuth, base *url.URL) (dockerAuth, bool) {
	wantHost, wantPort := base.Hostname(), base.Port()
	var loose *dockerAuth
	for key, entry := range auths {
		host, port := registryKey(key)
		if !strings.EqualFold(host, wantHost) {
			continue
		}
		if port == wantPort {
			return entry, true
		}
		if (port == "" || wantPort == "") && loose == nil {
			e := entry
			loose = &e
		}
	}
	if loose != nil {
		return *loose, true
	}
	return dockerAuth{}, false
}

// registryKey splits an auths key ("host", "host:port", "https://host/v1/")
// into host name and port.
func registryKey(key string) (host, port string) {
	key = strings.TrimSpace(key)
	if i := strings.Index(key, "://"); i >= 0 {
		key = key[i+3:]
	}
	if i := strings.IndexByte(key, '/'); i >= 0 {
		key = key[:i]
	}
	if h, p, err := net.SplitHostPort(key); err == nil {
		return h, p
	}
	return strings.Trim(key, "[]"), ""
}
