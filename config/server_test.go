package config

import (
	"strings"
	"testing"
	"time"
)

func TestServerKeys(t *testing.T) {
	file := writeFile(t, `
server:
  read_header_timeout: 5s
  read_timeout: 20s
  write_timeout: 45s
  idle_timeout: 1m
  max_header_bytes: 32768
  max_connections: 100
  max_inflight: 50
  request_timeout: 10s
shutdown_timeout: 40s
rate_limit:
  rps: 2.5
  burst: 10
  trusted_proxies: [10.0.0.0/8]
`)
	c, err := Load(file, []string{"EXTENSION_REGISTRY_RATE_LIMIT_TRUSTED_PROXIES=10.0.0.0/8,192.168.1.1", "EXTENSION_REGISTRY_SERVER_MAX_INFLIGHT=64"})
	if err != nil {
		t.Fatal(err)
	}
	want := Server{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 20 * time.Second, WriteTimeout: 45 * time.Second, IdleTimeout: time.Minute,
		MaxHeaderBytes: 32768, MaxConnections: 100, MaxInflight: 64, RequestTimeout: 10 * time.Second, ShutdownTimeout: 40 * time.Second}
	if c.Server != want {
		t.Errorf("server = %+v, want %+v", c.Server, want)
	}
	if c.RateLimit.RPS != 2.5 || c.RateLimit.Burst != 10 || strings.Join(c.RateLimit.TrustedProxies, ",") != "10.0.0.0/8,192.168.1.1" {
		t.Errorf("rate_limit = %+v", c.RateLimit)
	}
	d := Default()
	if d.Server.ShutdownTimeout != 30*time.Second || d.RateLimit.RPS != 0 || d.Server.MaxInflight < 1 || d.Server.MaxConnections < 1 {
		t.Errorf("defaults: %+v %+v", d.Server, d.RateLimit)
	}
}

func TestServerKeysRefused(t *testing.T) {
	for _, tc := range []struct{ env, key string }{
		{"EXTENSION_REGISTRY_SHUTDOWN_TIMEOUT=0s", "shutdown_timeout"},
		{"EXTENSION_REGISTRY_SERVER_READ_TIMEOUT=soon", "server.read_timeout"},
		{"EXTENSION_REGISTRY_SERVER_MAX_INFLIGHT=0", "server.max_inflight"},
		{"EXTENSION_REGISTRY_SERVER_MAX_CONNECTIONS=-1", "server.max_connections"},
		{"EXTENSION_REGISTRY_SERVER_MAX_HEADER_BYTES=100", "server.max_header_bytes"},
		{"EXTENSION_REGISTRY_SERVER_REQUEST_TIMEOUT=-5s", "server.request_timeout"},
		{"EXTENSION_REGISTRY_RATE_LIMIT_RPS=-1", "rate_limit.rps"},
		{"EXTENSION_REGISTRY_RATE_LIMIT_RPS=NaN", "rate_limit.rps"},
		{"EXTENSION_REGISTRY_RATE_LIMIT_BURST=-2", "rate_limit.burst"},
		{"EXTENSION_REGISTRY_RATE_LIMIT_TRUSTED_PROXIES=proxy.example.com", "rate_limit.trusted_proxies"},
	} {
		_, err := Load("", []string{tc.env})
		if err == nil || !strings.Contains(err.Error(), tc.key) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line naming %s", tc.env, err, tc.key)
		}
	}
}
