package config

import (
	"fmt"
	"net/url"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// Validate checks that the configuration can work. The error is a
// *KeyError naming the first key at fault.
func (c *Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return &KeyError{Key: key, Origin: c.given[key], Reason: fmt.Sprintf(format, args...)}
	}
	if err := checkListen(c.Listen); err != nil {
		return bad("listen", "%v", err)
	}
	if c.PublicURL != "" {
		if err := checkURL(c.PublicURL); err != nil {
			return bad("public_url", "%v", err)
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return bad("data_dir", "must not be empty")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("log_level", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.Cache.TTL <= 0 {
		return bad("cache.ttl", "must be positive, got %s", c.Cache.TTL)
	}
	if c.Cache.Capacity < 1 {
		return bad("cache.capacity", "must be at least 1, got %d", c.Cache.Capacity)
	}
	if err := c.validateOps(bad); err != nil {
		return err
	}
	if err := c.validateIndex(bad); err != nil {
		return err
	}
	if err := c.validateGitea(bad); err != nil {
		return err
	}
	if err := c.validateOCI(bad); err != nil {
		return err
	}
	if err := c.validateServer(bad); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range c.Sources {
		if s != "gitea" && s != "oci" {
			return bad("sources", "unknown source %q (use gitea, oci)", s)
		}
		if seen[s] {
			return bad("sources", "source %q is listed twice", s)
		}
		seen[s] = true
	}
	if len(c.Sources) == 0 {
		return bad("sources", "must name at least one source")
	}
	if len(c.Sources) == 1 && c.Sources[0] == "gitea" && !c.Gitea.Enabled() {
		return bad("sources", "names only gitea, but gitea.url is not set: the registry would serve nothing")
	}
	for _, h := range c.Connectors.AllowedHosts {
		if err := checkAllowedHost(h); err != nil {
			return bad("connectors.allowed_hosts", "%v", err)
		}
	}
	return nil
}

func (c *Config) validateGitea(bad func(string, string, ...any) error) error {
	g := c.Gitea
	if !g.Enabled() {
		for _, kv := range [][2]string{{"gitea.token", g.Token.Reveal()}, {"gitea.username", g.Username}, {"gitea.password", g.Password.Reveal()}} {
			if kv[1] != "" {
				return bad(kv[0], "is set but gitea.url is not")
			}
		}
		// Organizations alone are the ConnectorClass API's default for
		// requests without ?organization=.
		return nil
	}
	if err := checkURL(g.URL); err != nil {
		return bad("gitea.url", "%v", err)
	}
	if len(g.Organizations) == 0 {
		return bad("gitea.organizations", "must name at least one organization when gitea.url is set")
	}
	if g.Token.IsSet() && g.Username != "" {
		return bad("gitea.token", "use either a token or gitea.username/gitea.password, not both")
	}
	if (g.Username == "") != !g.Password.IsSet() {
		return bad("gitea.username", "gitea.username and gitea.password go together")
	}
	return nil
}

func (c *Config) validateOCI(bad func(string, string, ...any) error) error {
	o := c.OCI
	if !registry.ValidOCIPath(o.Namespace) {
		return bad("oci.namespace", "must be a lowercase repository path such as provisioning-extensions, got %q", o.Namespace)
	}
	// Credentials are checked even without oci.registry: `publish --to`
	// uses them.
	if o.Token.IsSet() && o.Username != "" {
		return bad("oci.token", "use either a token or oci.username/oci.password, not both")
	}
	if (o.Username == "") != !o.Password.IsSet() {
		return bad("oci.username", "oci.username and oci.password go together")
	}
	for _, entry := range o.Repositories {
		entry = strings.Trim(strings.TrimSpace(entry), "/")
		if rel := strings.TrimPrefix(entry, o.Namespace+"/"); entry != "" && !registry.ValidOCIComponent(rel) {
			return bad("oci.repositories", "entries are a repository name under the namespace %q (or %s/name), got %q", o.Namespace, o.Namespace, entry)
		}
	}
	if o.Registry == "" {
		return nil
	}
	if strings.Contains(o.Registry, "://") || strings.Contains(o.Registry, "/") {
		return bad("oci.registry", "must be host[:port] without a scheme or path, got %q", o.Registry)
	}
	return nil
}

// checkURL accepts an absolute http or https URL with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a valid URL")
	}
	// Credentials first, so that no message below repeats them.
	if u.User != nil {
		return fmt.Errorf("must not carry credentials; use the username/password keys")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("must start with http:// or https://, got %q", s)
	}
	if u.Host == "" {
		return fmt.Errorf("has no host: %q", s)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return fmt.Errorf("must not carry a query or fragment, got %q", s)
	}
	return nil
}
