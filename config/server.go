package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Server holds the limits of the HTTP server: every phase of a request is
// bounded, and so is what one client can make the registry spend.
type Server struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout cuts an answer when one write to the client does not
	// complete within it; a download that keeps moving is never cut.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle for that long.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the request line and headers.
	MaxHeaderBytes int
	// MaxConnections caps the open client connections.
	MaxConnections int
	// MaxInflight caps the requests handled at once; more get 503.
	MaxInflight int
	// RequestTimeout is the total backend budget of a v1 request, until its
	// answer starts.
	RequestTimeout time.Duration
	// ShutdownTimeout is how long requests in flight may finish after a
	// stop signal.
	ShutdownTimeout time.Duration
}

// RateLimit limits requests per client address (contract §10).
type RateLimit struct {
	// RPS is the sustained rate per client address; 0 turns it off.
	RPS float64
	// Burst is how many requests a client may send at once; 0 means
	// max(1, 2×RPS).
	Burst int
	// TrustedProxies are IPs or CIDR prefixes whose X-Forwarded-For is
	// believed.
	TrustedProxies []string
}

// DefaultServer returns the server limits' defaults.
func DefaultServer() Server {
	return Server{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		MaxConnections:    4096,
		MaxInflight:       1024,
		RequestTimeout:    30 * time.Second,
		ShutdownTimeout:   30 * time.Second,
	}
}

func duration(dst func(*Config) *time.Duration) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v[0]))
		if err != nil {
			return fmt.Errorf("invalid duration %q (use e.g. 30s, 5m, 1h)", v[0])
		}
		*dst(c) = d
		return nil
	}
}

func integer(dst func(*Config) *int) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil {
			return fmt.Errorf("invalid number %q", v[0])
		}
		*dst(c) = n
		return nil
	}
}

func init() {
	keys = append(keys,
		key{path: "server.read_header_timeout", set: duration(func(c *Config) *time.Duration { return &c.Server.ReadHeaderTimeout })},
		key{path: "server.read_timeout", set: duration(func(c *Config) *time.Duration { return &c.Server.ReadTimeout })},
		key{path: "server.write_timeout", set: duration(func(c *Config) *time.Duration { return &c.Server.WriteTimeout })},
		key{path: "server.idle_timeout", set: duration(func(c *Config) *time.Duration { return &c.Server.IdleTimeout })},
		key{path: "server.max_header_bytes", set: integer(func(c *Config) *int { return &c.Server.MaxHeaderBytes })},
		key{path: "server.max_connections", set: integer(func(c *Config) *int { return &c.Server.MaxConnections })},
		key{path: "server.max_inflight", set: integer(func(c *Config) *int { return &c.Server.MaxInflight })},
		key{path: "server.request_timeout", set: duration(func(c *Config) *time.Duration { return &c.Server.RequestTimeout })},
		key{path: "shutdown_timeout", set: duration(func(c *Config) *time.Duration { return &c.Server.ShutdownTimeout })},
		key{path: "rate_limit.rps", set: func(c *Config, v []string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v[0]), 64)
			if err != nil {
				return fmt.Errorf("invalid number %q", v[0])
			}
			c.RateLimit.RPS = f
			return nil
		}},
		key{path: "rate_limit.burst", set: integer(func(c *Config) *int { return &c.RateLimit.Burst })},
		key{path: "rate_limit.trusted_proxies", list: true, set: list(func(c *Config) *[]string { return &c.RateLimit.TrustedProxies })},
	)
}

// validateServer checks the server limits and the rate limit.
func (c *Config) validateServer(bad func(string, string, ...any) error) error {
	s := c.Server
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"server.read_header_timeout", s.ReadHeaderTimeout},
		{"server.read_timeout", s.ReadTimeout},
		{"server.write_timeout", s.WriteTimeout},
		{"server.idle_timeout", s.IdleTimeout},
		{"server.request_timeout", s.RequestTimeout},
		{"shutdown_timeout", s.ShutdownTimeout},
	} {
		if d.v <= 0 {
			return bad(d.key, "must be positive, got %s", d.v)
		}
	}
	for _, n := range []struct {
		key string
		v   int
		min int
	}{
		{"server.max_header_bytes", s.MaxHeaderBytes, 4096},
		{"server.max_connections", s.MaxConnections, 1},
		{"server.max_inflight", s.MaxInflight, 1},
	} {
		if n.v < n.min {
			return bad(n.key, "must be at least %d, got %d", n.min, n.v)
		}
	}
	r := c.RateLimit
	if r.RPS < 0 || r.RPS != r.RPS || r.RPS > 1e9 {
		return bad("rate_limit.rps", "must be 0 (off) or a positive number, got %v", r.RPS)
	}
	if r.Burst < 0 {
		return bad("rate_limit.burst", "must not be negative, got %d", r.Burst)
	}
	for _, p := range r.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			return bad("rate_limit.trusted_proxies", "entries are IP addresses or CIDR prefixes, got %q", p)
		}
	}
	return nil
}
