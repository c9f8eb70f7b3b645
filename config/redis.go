package config

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/provisioning-platform/extension-registry/internal/secret"
)

// Redis configures the index that replicas share (contract §11). Without
// URL every replica keeps its own index.
type Redis struct {
	// URL is redis://[user:password@]host:port/db (rediss:// for TLS);
	// a secret, since it may hold a password.
	URL secret.Value
	// LockExpiry is how long a replica that died while refreshing a
	// source keeps the others from refreshing it; zero means 30s.
	LockExpiry time.Duration
}

// Enabled reports whether a Redis is configured.
func (r Redis) Enabled() bool { return r.URL.IsSet() }

func init() {
	keys = append(keys,
		key{path: "redis.url", set: redisURL(func(c *Config) *secret.Value { return &c.Redis.URL })},
		key{path: "redis.url_file", set: func(c *Config, v []string) error {
			if err := fromFile(func(c *Config) *secret.Value { return &c.Redis.URL })(c, v); err != nil {
				return err
			}
			return checkRedisURL(c.Redis.URL.Reveal())
		}},
		key{path: "redis.lock_expiry", set: func(c *Config, v []string) error {
			if err := duration(func(c *Config) *time.Duration { return &c.Redis.LockExpiry })(c, v); err != nil {
				return err
			}
			if c.Redis.LockExpiry < 100*time.Millisecond || c.Redis.LockExpiry > time.Hour {
				return errors.New("must be between 100ms and 1h")
			}
			return nil
		}},
	)
	exclusive = append(exclusive, [2]string{"redis.url", "redis.url_file"})
}

// redisURL stores a Redis URL given inline, after checking its form.
func redisURL(dst func(*Config) *secret.Value) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		s := strings.TrimSpace(v[0])
		if s == "" {
			*dst(c) = secret.Value{}
			return nil
		}
		if err := checkRedisURL(s); err != nil {
			return err
		}
		*dst(c) = secret.New(s)
		return nil
	}
}

// checkRedisURL refuses what is not a redis:// or rediss:// URL with a
// host. The message never repeats the URL: it may hold a password.
func checkRedisURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return errors.New("must be a URL like redis://host:6379/0 (or rediss:// for TLS); the value is not shown, it may hold a password")
	}
	return nil
}
