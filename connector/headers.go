package connector

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// The headers the Connectors gateway adds to every request it forwards.
const (
	// HeaderMeta carries Base64 JSON {"baseURL": "..."}: the tool address.
	HeaderMeta = "X-Plugin-Meta"
	// HeaderAuth carries the Kubernetes Secret type, Base64-encoded (as
	// the Connectors gateway sends it) or as it stands (as katanomi/pkg's
	// plugin client sends it): see parseSecretType.
	HeaderAuth = "X-Plugin-Auth"
	// HeaderSecret carries the Base64 JSON of the Secret's data map, whose
	// values are Base64 again.
	HeaderSecret = "X-Plugin-Secret"
)

// The Secret types the API knows by name. Any other type (Opaque or a
// custom one) is read by its keys: "token", else "username" and "password".
const (
	SecretBasicAuth        = "kubernetes.io/basic-auth"
	SecretDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	SecretOpaque           = "Opaque"
)

// Target is what one forwarded request asks for: the tool to call and the
// Secret to call it with. Its String and LogValue never show secret data.
type Target struct {
	// BaseURL is the tool address of X-Plugin-Meta, without a trailing
	// slash.
	BaseURL *url.URL
	// SecretType is the Secret type of X-Plugin-Auth; empty when the
	// request carries no credentials (anonymous access).
	SecretType string
	// Secret is the decoded data of X-Plugin-Secret: key to raw value.
	Secret map[string][]byte
}

// Anonymous reports whether the request carries no credentials.
func (t Target) Anonymous() bool { return t.SecretType == "" && len(t.Secret) == 0 }

// String describes the target without its secret data.
func (t Target) String() string {
	keys := make([]string, 0, len(t.Secret))
	for k := range t.Secret {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	base := ""
	if t.BaseURL != nil {
		base = t.BaseURL.String()
	}
	return fmt.Sprintf("Target{baseURL: %s, secretType: %q, secretKeys: %v (values redacted)}", base, t.SecretType, keys)
}

// LogValue logs the target as String does, without secret data.
func (t Target) LogValue() slog.Value { return slog.StringValue(t.String()) }

// headerError is a missing or undecodable header; its message names the
// header and never repeats the header's value.
type headerError struct {
	header string
	reason string
	// noCredentials marks a well-formed Secret that holds no credentials
	// for the tool (a Docker config without its registry): the auth probe
	// answers it 401.
	noCredentials bool
}

func (e *headerError) Error() string { return "header " + e.header + ": " + e.reason }

func badHeader(header, format string, args ...any) error {
	return &headerError{header: header, reason: fmt.Sprintf(format, args...)}
}

// decodeBase64 decodes standard Base64, tolerating missing padding and
// surrounding spaces.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// ParseTarget decodes the X-Plugin-* headers of r exactly as the Connectors
// gateway encodes them. X-Plugin-Meta is required; X-Plugin-Auth and
// X-Plugin-Secret come together or not at all (then access is anonymous).
// A missing or undecodable header is an error whose message names it.
func ParseTarget(h http.Header) (Target, error) {
	var t Target
	base, err := parseMeta(h.Get(HeaderMeta))
	if err != nil {
		return t, err
	}
	t.BaseURL = base

	authRaw, secretRaw := strings.TrimSpace(h.Get(HeaderAuth)), strings.TrimSpace(h.Get(HeaderSecret))
	switch {
	case authRaw == "" && secretRaw == "":
		return t, nil
	case authRaw == "":
		return t, badHeader(HeaderAuth, "missing while %s is set", HeaderSecret)
	case secretRaw == "":
		return t, badHeader(HeaderSecret, "missing while %s is set", HeaderAuth)
	}
	if t.SecretType, err = parseSecretType(authRaw); err != nil {
		return t, err
	}
	if t.Secret, err = parseSecret(secretRaw); err != nil {
		return t, err
	}
	return t, nil
}

// knownSecretTypes are the built-in Kubernetes Secret types without a
// domain prefix.
var knownSecretTypes = map[string]bool{SecretOpaque: true}

// qualifiedSecretType is a Secret type of the form domain/name
// ("kubernetes.io/basic-auth", "cpaas.io/distribution-registry-token"). A
// '.' never occurs in Base64, so such a value cannot be an encoded one.
var qualifiedSecretType = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// maxSecretType bounds the Secret type, decoded or not: Kubernetes names
// are far shorter.
const maxSecretType = 253

// parseSecretType reads X-Plugin-Auth. A value that is a Secret type as it
// stands — "Opaque" or domain/name — is taken as it is; anything else is
// Base64-decoded, then must be a Secret type of printable ASCII.
func parseSecretType(raw string) (string, error) {
	if knownSecretTypes[raw] || (len(raw) <= maxSecretType && qualifiedSecretType.MatchString(raw)) {
		return raw, nil
	}
	dec, err := decodeBase64(raw)
	if err != nil {
		return "", badHeader(HeaderAuth, "neither a Secret type (such as %s) nor its Base64", SecretBasicAuth)
	}
	typ := strings.TrimSpace(string(dec))
	switch {
	case typ == "":
		return "", badHeader(HeaderAuth, "empty Secret type")
	case len(typ) > maxSecretType || strings.IndexFunc(typ, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0:
		return "", badHeader(HeaderAuth, "the decoded Secret type is not a Kubernetes Secret type")
	}
	return typ, nil
}

// parseMeta decodes X-Plugin-Meta into the tool's base URL.
func parseMeta(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, badHeader(HeaderMeta, "missing: the Connectors gateway sends the tool address in it")
	}
	b, err := decodeBase64(raw)
	if err != nil {
		return nil, badHeader(HeaderMeta, "not valid Base64")
	}
	var meta struct {
		BaseURL string `json:"baseURL"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, badHeader(HeaderMeta, `not a JSON object {"baseURL": "..."}`)
	}
	s := strings.TrimSpace(meta.BaseURL)
	if s == "" {
		return nil, badHeader(HeaderMeta, "baseURL is empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, badHeader(HeaderMeta, "baseURL is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, badHeader(HeaderMeta, "baseURL must start with http:// or https://")
	case u.Host == "" || u.Hostname() == "":
		return nil, badHeader(HeaderMeta, "baseURL has no host")
	case u.User != nil:
		// Never echo the URL: it carries credentials.
		return nil, badHeader(HeaderMeta, "baseURL must not carry credentials; put them in the Connector's Secret")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, badHeader(HeaderMeta, "baseURL must not have a query or fragment")
	}
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// parseSecret decodes X-Plugin-Secret: Base64 JSON whose values are Base64.
func parseSecret(raw string) (map[string][]byte, error) {
	b, err := decodeBase64(raw)
	if err != nil {
		return nil, badHeader(HeaderSecret, "not valid Base64")
	}
	var data map[string]string
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, badHeader(HeaderSecret, "not a JSON object of Secret data")
	}
	out := make(map[string][]byte, len(data))
	for k, v := range data {
		dec, err := decodeBase64(v)
		if err != nil {
			return nil, badHeader(HeaderSecret, "the value of key %q is not valid Base64", k)
		}
		out[k] = dec
	}
	return out, nil
}
