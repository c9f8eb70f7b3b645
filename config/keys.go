package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/provisioning-platform/extension-registry/internal/secret"
)

// key is one configuration key: its dotted path, whether it holds a list,
// and how it is stored.
type key struct {
	path string
	list bool
	set  func(c *Config, v []string) error
}

// EnvName is the environment variable of a key path: "cache.ttl" is
// EXTENSION_REGISTRY_CACHE_TTL.
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.NewReplacer(".", "_").Replace(path))
}

func str(dst func(*Config) *string) func(*Config, []string) error {
	return func(c *Config, v []string) error { *dst(c) = strings.TrimSpace(v[0]); return nil }
}

func list(dst func(*Config) *[]string) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		var out []string
		for _, s := range v {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*dst(c) = out
		return nil
	}
}

// secretStr stores a secret given inline, trimmed.
func secretStr(dst func(*Config) *secret.Value) func(*Config, []string) error {
	return func(c *Config, v []string) error { *dst(c) = secret.New(strings.TrimSpace(v[0])); return nil }
}

// fromFile reads a secret from the file named by the value, trimmed. An
// empty file is refused: it would silently leave the secret unset.
func fromFile(dst func(*Config) *secret.Value) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		b, err := os.ReadFile(strings.TrimSpace(v[0]))
		if err != nil {
			return fmt.Errorf("cannot read file: %w", err)
		}
		val := strings.TrimSpace(string(b))
		if val == "" {
			return errors.New("names a file that is empty")
		}
		*dst(c) = secret.New(val)
		return nil
	}
}

// keys is every configuration key the registry knows.
var keys = []key{
	{path: "listen", set: str(func(c *Config) *string { return &c.Listen })},
	{path: "public_url", set: str(func(c *Config) *string { return &c.PublicURL })},
	{path: "data_dir", set: str(func(c *Config) *string { return &c.DataDir })},
	{path: "log_level", set: str(func(c *Config) *string { return &c.LogLevel })},
	{path: "cache.ttl", set: func(c *Config, v []string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v[0]))
		if err != nil {
			return fmt.Errorf("invalid duration %q (use e.g. 30s, 5m, 1h)", v[0])
		}
		c.Cache.TTL = d
		return nil
	}},
	{path: "cache.capacity", set: func(c *Config, v []string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil {
			return fmt.Errorf("invalid number %q", v[0])
		}
		c.Cache.Capacity = n
		return nil
	}},
	{path: "gitea.url", set: str(func(c *Config) *string { return &c.Gitea.URL })},
	{path: "gitea.organizations", list: true, set: list(func(c *Config) *[]string { return &c.Gitea.Organizations })},
	{path: "gitea.token", set: secretStr(func(c *Config) *secret.Value { return &c.Gitea.Token })},
	{path: "gitea.token_file", set: fromFile(func(c *Config) *secret.Value { return &c.Gitea.Token })},
	{path: "gitea.username", set: str(func(c *Config) *string { return &c.Gitea.Username })},
	{path: "gitea.password", set: secretStr(func(c *Config) *secret.Value { return &c.Gitea.Password })},
	{path: "gitea.password_file", set: fromFile(func(c *Config) *secret.Value { return &c.Gitea.Password })},
	{path: "oci.registry", set: str(func(c *Config) *string { return &c.OCI.Registry })},
	{path: "oci.namespace", set: str(func(c *Config) *string { return &c.OCI.Namespace })},
	{path: "oci.username", set: str(func(c *Config) *string { return &c.OCI.Username })},
	{path: "oci.password", set: secretStr(func(c *Config) *secret.Value { return &c.OCI.Password })},
	{path: "oci.password_file", set: fromFile(func(c *Config) *secret.Value { return &c.OCI.Password })},
	{path: "oci.token", set: secretStr(func(c *Config) *secret.Value { return &c.OCI.Token })},
	{path: "oci.token_file", set: fromFile(func(c *Config) *secret.Value { return &c.OCI.Token })},
	{path: "oci.insecure", set: func(c *Config, v []string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v[0]))
		if err != nil {
			return fmt.Errorf("invalid boolean %q (use true or false)", v[0])
		}
		c.OCI.Insecure = b
		return nil
	}},
	{path: "oci.repositories", list: true, set: list(func(c *Config) *[]string { return &c.OCI.Repositories })},
	{path: "sources", list: true, set: list(func(c *Config) *[]string { return &c.Sources })},
	{path: "log_format", set: str(func(c *Config) *string { return &c.LogFormat })},
	{path: "tls.cert_file", set: str(func(c *Config) *string { return &c.TLS.CertFile })},
	{path: "tls.key_file", set: str(func(c *Config) *string { return &c.TLS.KeyFile })},
	{path: "gitea.ca_file", set: str(func(c *Config) *string { return &c.Gitea.CAFile })},
	{path: "oci.ca_file", set: str(func(c *Config) *string { return &c.OCI.CAFile })},
	{path: "connectors.allowed_hosts", list: true, set: list(func(c *Config) *[]string { return &c.Connectors.AllowedHosts })},
}

// lookup returns the key of a dotted path.
func lookup(path string) (key, bool) {
	for _, k := range keys {
		if k.path == path {
			return k, true
		}
	}
	return key{}, false
}

// KeyError is a configuration mistake: the key, where its value came from,
// and what is wrong. Its message is one line.
type KeyError struct {
	Key    string
	Origin string
	Reason string
}

func (e *KeyError) Error() string {
	if e.Origin != "" {
		return fmt.Sprintf("config: %s (%s): %s", e.Key, e.Origin, e.Reason)
	}
	return fmt.Sprintf("config: %s: %s", e.Key, e.Reason)
}

// set applies a value to the key at path.
func (c *Config) set(path, origin string, v []string) error {
	k, ok := lookup(path)
	if !ok {
		return &KeyError{Key: path, Origin: origin, Reason: "unknown key"}
	}
	if !k.list && len(v) != 1 {
		return &KeyError{Key: path, Origin: origin, Reason: "expects a single value, not a list"}
	}
	if err := k.set(c, v); err != nil {
		return &KeyError{Key: path, Origin: origin, Reason: err.Error()}
	}
	if c.given == nil {
		c.given = map[string]string{}
	}
	c.given[path] = origin
	return nil
}

// exclusive lists the keys that give one value two ways: setting both is
// refused rather than letting one silently win.
var exclusive = [][2]string{
	{"gitea.token", "gitea.token_file"},
	{"gitea.password", "gitea.password_file"},
	{"oci.token", "oci.token_file"},
	{"oci.password", "oci.password_file"},
}

// checkExclusive refuses a configuration that sets both keys of a pair of
// exclusive, wherever each came from (file or environment).
func (c *Config) checkExclusive() error {
	for _, pair := range exclusive {
		a, aSet := c.given[pair[0]]
		b, bSet := c.given[pair[1]]
		if aSet && bSet {
			return &KeyError{Key: pair[0], Origin: a, Reason: fmt.Sprintf("set together with %s (%s): use one of them", pair[1], b)}
		}
	}
	return nil
}

// applyEnv applies every EXTENSION_REGISTRY_* variable of env. A variable
// with the prefix that names no key is refused, so that a typo does not
// silently leave a default in place.
func (c *Config) applyEnv(env []string) error {
	byEnv := make(map[string]key, len(keys))
	for _, k := range keys {
		byEnv[EnvName(k.path)] = k
	}
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || name == EnvPrefix+"CONFIG" || name == ClientURLEnv {
			continue
		}
		k, known := byEnv[name]
		if !known {
			return &KeyError{Key: name, Reason: "unknown environment variable"}
		}
		vals := []string{val}
		if k.list {
			vals = strings.Split(val, ",")
			if len(vals) > 1 {
				for _, v := range vals {
					if strings.TrimSpace(v) == "" {
						return &KeyError{Key: k.path, Origin: name, Reason: "has an empty element in its comma-separated list"}
					}
				}
			}
		}
		if err := c.set(k.path, name, vals); err != nil {
			return err
		}
	}
	return nil
}
