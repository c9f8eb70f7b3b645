package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad: any configuration file either loads into a valid
// configuration or is refused with one line naming a key.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"listen: :8082\ncache:\n  ttl: 1m\n",
		"cache: {ttl: 5 minutes}\n",
		"gitea:\n  url: https://g.example.com\n  organizations: [a, b]\n",
		"rate_limit:\n  rps: 5\n  trusted_proxies: [10.0.0.0/8]\n",
		"server: {max_inflight: 0}\n",
		"- a\n- b\n", "{", "", "unknown: 1\n", "sources: [oci, oci]\n", "shutdown_timeout: -1s\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		file := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(file, nil)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a multi-line error: %q", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load returned a configuration that does not validate: %v", err)
		}
	})
}
