// Package config loads the registry's configuration: defaults, then one
// YAML file, then EXTENSION_REGISTRY_* environment variables, each key
// overriding the one before. A configuration that cannot work is refused
// with one line that names the key.
package config

import (
	"time"

	"github.com/provisioning-platform/extension-registry/internal/secret"
)

// EnvPrefix starts every environment variable the configuration reads.
const EnvPrefix = "EXTENSION_REGISTRY_"

// Config is the whole configuration of the registry.
type Config struct {
	// Listen is the HTTP listen address.
	Listen string
	// PublicURL is the registry's external base URL; empty means derived
	// from each request.
	PublicURL string
	// DataDir holds the embedded OCI store.
	DataDir string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text (the default) or json.
	LogFormat string
	// TLS makes the service serve HTTPS.
	TLS   TLS
	Cache Cache
	Blobs Blobs
	Gitea Gitea
	OCI   OCI
	// Sources is the precedence order of the backends; a source left out
	// is not served.
	Sources    []string
	Connectors Connectors
	Webhooks   Webhooks
	// Redis shares the index between replicas (redis.*).
	Redis Redis
	// Server holds the HTTP server's limits (server.*, shutdown_timeout).
	Server Server
	// RateLimit limits requests per client address (rate_limit.*).
	RateLimit RateLimit

	// given records, while Load runs, which key paths were set and where
	// (for keys that conflict with one another); nil once Load returns.
	given map[string]string
	Index Index
}

// Cache configures the catalog cache.
type Cache struct {
	TTL      time.Duration
	Capacity int
}

// Gitea configures the Gitea backend. It is enabled when URL is set.
type Gitea struct {
	URL string
	// Organizations are read in order. Without URL they are only the
	// ConnectorClass API's default for requests without ?organization=.
	Organizations []string
	Token         secret.Value
	Username      string
	Password      secret.Value
	// CAFile names a PEM file of CA certificates trusted for the Gitea
	// server, beside the system's.
	CAFile string
}

// Enabled reports whether a Gitea server is configured.
func (g Gitea) Enabled() bool { return g.URL != "" }

// OCI configures the OCI backend: a remote registry when Registry is set,
// else the embedded store under DataDir.
type OCI struct {
	Registry     string
	Namespace    string
	Username     string
	Password     secret.Value
	Token        secret.Value
	Insecure     bool
	Repositories []string
	// CAFile names a PEM file of CA certificates trusted for the
	// registry, beside the system's.
	CAFile string
	// RefreshToken is an identity token from a Docker/oras login store
	// (publish --to); no configuration key sets it.
	RefreshToken secret.Value
}

// Connectors configures the ConnectorClass API.
type Connectors struct {
	// AllowedHosts limits the tool hosts the ConnectorClass API calls:
	// entries are host names, host:port, or "*." domain wildcards; "*"
	// allows every host.
	AllowedHosts []string
}

// Default returns the configuration with every default of the contract.
func Default() Config {
	return Config{
		Listen:    ":8082",
		DataDir:   "./data",
		LogLevel:  "info",
		LogFormat: "text",
		Cache:     Cache{TTL: 5 * time.Minute, Capacity: 1000},
		Blobs:     Blobs{MaxSize: defaultBlobsMaxSize},
		OCI:       OCI{Namespace: "provisioning-extensions"},
		Sources:   []string{"gitea", "oci"},
		Server:    DefaultServer(),
		Index:     Index{Interval: time.Minute, MaxStale: 24 * time.Hour, Concurrency: 8},
	}
}

// Load returns the configuration of file (none when empty) and the
// environment env (as os.Environ gives it), validated. The error is one line
// that names the offending key.
func Load(file string, env []string) (Config, error) {
	c := Default()
	if file != "" {
		if err := c.applyFile(file); err != nil {
			return Config{}, err
		}
	}
	if err := c.applyEnv(env); err != nil {
		return Config{}, err
	}
	if err := c.checkExclusive(); err != nil {
		return Config{}, err
	}
	// Validation names where a wrong value came from (file line or
	// variable), so given is kept until it has run.
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	c.given = nil
	return c, nil
}
