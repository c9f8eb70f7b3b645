package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewMistakesStopStartup pins the configuration mistakes a review
// found that used to load: each now fails with one line naming the key.
func TestReviewMistakesStopStartup(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty-token")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := []struct{ yaml, key, reason string }{
		{"cache: {ttl: [5m]}", "cache.ttl", "expects a single value, not a list"},
		{"cache: {capacity: [5]}", "cache.capacity", "expects a single value, not a list"},
		{"log_level: [debug]", "log_level", "expects a single value, not a list"},
		{"oci: {namespace: [a]}", "oci.namespace", "expects a single value, not a list"},
		{"public_url: https://example.com/base?x=1", "public_url", "must not carry a query or fragment"},
		{"public_url: 'https://example.com/base#frag'", "public_url", "must not carry a query or fragment"},
		{"gitea: {url: 'https://g.example.com/?a=b', organizations: [o]}", "gitea.url", "must not carry a query"},
		{`connectors: {allowed_hosts: ["*."]}`, "connectors.allowed_hosts", "a wildcard entry needs a domain"},
		{`connectors: {allowed_hosts: ["a*b.example.com"]}`, "connectors.allowed_hosts", "a wildcard is only allowed"},
		{"gitea: {url: https://g.example.com, organizations: [o], token_file: " + empty + "}", "gitea.token_file", "names a file that is empty"},
		{"listen: 127.0.0.1:99999", "listen", "port must be 0 to 65535"},
		{"listen: 999.1.1.1:80", "listen", "host must be an IP address or a host name"},
		{"listen: 'a b:80'", "listen", "host must be"},
	}
	for _, tc := range files {
		file := writeFile(t, tc.yaml)
		_, err := Load(file, nil)
		if err == nil {
			t.Errorf("%s: loaded, want %s refused", tc.yaml, tc.key)
			continue
		}
		msg := err.Error()
		want := "config: " + tc.key + " (" + file + " line 1): " + tc.reason
		if !strings.HasPrefix(msg, want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: got %q, want one line starting %q", tc.yaml, msg, want)
		}
	}
	// From the environment, the line names the variable.
	_, err := Load("", []string{"EXTENSION_REGISTRY_PUBLIC_URL=https://example.com/?x=1"})
	if err == nil || !strings.HasPrefix(err.Error(), "config: public_url (EXTENSION_REGISTRY_PUBLIC_URL): must not carry a query") {
		t.Errorf("public_url from the environment: got %v", err)
	}
	_, err = Load("", []string{"EXTENSION_REGISTRY_SOURCES=oci,,gitea"})
	if err == nil || !strings.HasPrefix(err.Error(), "config: sources (EXTENSION_REGISTRY_SOURCES): has an empty element") {
		t.Errorf("sources with an empty element: got %v", err)
	}
}

// TestReviewGoodValuesStillLoad keeps the accepted forms next to the
// refused ones.
func TestReviewGoodValuesStillLoad(t *testing.T) {
	for _, y := range []string{
		"listen: ':0'",
		"listen: localhost:8082",
		"listen: '[::1]:8082'",
		"listen: 10.0.0.1:http",
		"public_url: https://example.com/base",
		`connectors: {allowed_hosts: ["*", "*.example.com", "tool.local:8080", "10.1.2.3"]}`,
		"cache: {ttl: 5m}",
		"oci: {repositories: [aws]}",
	} {
		if _, err := Load(writeFile(t, y), nil); err != nil {
			t.Errorf("%s: %v", y, err)
		}
	}
	if _, err := Load("", []string{"EXTENSION_REGISTRY_SOURCES=oci"}); err != nil {
		t.Errorf("one source: %v", err)
	}
}

// TestExampleConfigNamesEveryKey: examples/config.yaml shows every key, set
// or commented out with its default, under its section (it used to lack
// index.*, blobs.*, tls.*, webhooks.*, log_format and the *.ca_file keys).
// TestExampleConfigLoads checks that the file still loads.
func TestExampleConfigNamesEveryKey(t *testing.T) {
	b, err := os.ReadFile("../examples/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Each line's key, with the section it sits under.
	present := map[string]bool{}
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		text := strings.TrimLeft(line, "# ")
		k, _, ok := strings.Cut(text, ":")
		if !ok || strings.ContainsAny(k, " \t\"[") || k == "" {
			continue
		}
		indented := strings.HasPrefix(strings.TrimPrefix(line, "#"), "  ")
		if !indented {
			section = k
			present[k] = true
			continue
		}
		present[section+"."+k] = true
	}
	for _, k := range Keys() {
		if !present[k] {
			t.Errorf("examples/config.yaml does not show %s", k)
		}
	}
}
