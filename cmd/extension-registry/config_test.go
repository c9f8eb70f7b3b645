package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigMistakes checks contract §5 on the real command: a
// configuration that cannot work stops it at start with exit code 1 and
// one line naming the key — never a panic, never a silent default.
func TestConfigMistakes(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		return writeFile(t, filepath.Join(dir, name), content, 0o644)
	}
	unknownKey := file("unknown-key.yaml", "cache:\n  size: 3\n")
	src := writeFile(t, filepath.Join(dir, "src", "main.k"), "x = 1\n", 0o644)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	serve := []string{"serve"}
	publish := []string{"publish", filepath.Dir(src), "--type", "provider", "--name", "x", "--version", "1.0.0"}
	for _, c := range []struct {
		name string
		args []string
		env  []string
		want string // the line contains it
		line string // when set, the exact line
		code int    // the exit code when not 1
	}{
		{name: "unknown key in the file", args: append(serve, "--config", unknownKey), want: "cache.size"},
		{name: "unknown top-level key", args: append(serve, "--config", file("typo.yaml", "listn: :80\n")), want: "listn"},
		{name: "file named by EXTENSION_REGISTRY_CONFIG", args: serve, env: []string{"EXTENSION_REGISTRY_CONFIG=" + unknownKey}, want: "cache.size"},
		{name: "unknown environment variable", args: serve, env: []string{"EXTENSION_REGISTRY_CACHE_TTLL=1m"}, want: "EXTENSION_REGISTRY_CACHE_TTLL"},
		{
			name: "bad duration in the environment (the README's example)", args: serve,
			env:  []string{"EXTENSION_REGISTRY_CACHE_TTL=5 minutes"},
			line: `extension-registry: config: cache.ttl (EXTENSION_REGISTRY_CACHE_TTL): invalid duration "5 minutes" (use e.g. 30s, 5m, 1h)`,
		},
		{name: "bad duration in the file", args: append(serve, "--config", file("ttl.yaml", "cache:\n  ttl: soon\n")), want: "cache.ttl"},
		{name: "bad number", args: serve, env: []string{"EXTENSION_REGISTRY_CACHE_CAPACITY=many"}, want: "cache.capacity"},
		{name: "bad boolean", args: serve, env: []string{"EXTENSION_REGISTRY_OCI_INSECURE=maybe"}, want: "oci.insecure"},
		{
			name: "config file from the environment missing", args: serve, env: []string{"EXTENSION_REGISTRY_CONFIG=/nonexistent/registry.yaml"},
			line: "extension-registry: config: EXTENSION_REGISTRY_CONFIG: cannot read /nonexistent/registry.yaml: no such file or directory",
		},
		{name: "config file from the environment not YAML", args: serve, env: []string{"EXTENSION_REGISTRY_CONFIG=" + file("env-broken.yaml", "cache: [\n")}, want: "config: EXTENSION_REGISTRY_CONFIG: "},
		{name: "config file from the environment not a mapping", args: serve, env: []string{"EXTENSION_REGISTRY_CONFIG=" + file("env-list.yaml", "- a\n")}, want: "config: EXTENSION_REGISTRY_CONFIG ("},
		{
			name: "--config wins over the environment", args: append(serve, "--config", "/nonexistent/flag.yaml"), env: []string{"EXTENSION_REGISTRY_CONFIG=/nonexistent/env.yaml"},
			line: "extension-registry: config: --config: cannot read /nonexistent/flag.yaml: no such file or directory",
		},
		{
			name: "publish with a config file from the environment missing", args: publish, env: []string{"EXTENSION_REGISTRY_CONFIG=/nonexistent/registry.yaml"},
			line: "extension-registry: config: EXTENSION_REGISTRY_CONFIG: cannot read /nonexistent/registry.yaml: no such file or directory",
		},
		{name: "unknown source", args: serve, env: []string{"EXTENSION_REGISTRY_SOURCES=gitea,s3"}, want: "sources"},
		{name: "Gitea URL without a scheme", args: serve, env: []string{"EXTENSION_REGISTRY_GITEA_URL=gitea.example.com", "EXTENSION_REGISTRY_GITEA_ORGANIZATIONS=o"}, want: "gitea.url"},
		{name: "public URL without a scheme", args: append(serve, "--config", file("public.yaml", "public_url: registry.example.com\n")), want: "public_url"},
		{name: "OCI registry with a scheme", args: serve, env: []string{"EXTENSION_REGISTRY_OCI_REGISTRY=https://registry.example.com"}, want: "oci.registry"},
		{
			name: "unreadable token file (a folder)",
			args: append(serve, "--config", file("token.yaml", "gitea:\n  url: https://gitea.example.com\n  organizations: [o]\n  token_file: "+dir+"\n")),
			want: "gitea.token_file",
		},
		{
			name: "missing password file", args: serve,
			env:  []string{"EXTENSION_REGISTRY_OCI_REGISTRY=registry.example.com", "EXTENSION_REGISTRY_OCI_USERNAME=u", "EXTENSION_REGISTRY_OCI_PASSWORD_FILE=" + filepath.Join(dir, "missing")},
			want: "oci.password_file",
		},
		{name: "missing config file", args: append(serve, "--config", filepath.Join(dir, "missing.yaml")), want: "--config"},
		{name: "config file that is not YAML", args: append(serve, "--config", file("broken.yaml", "cache: [\n")), want: "--config"},
		{name: "bad --listen", args: append(serve, "--listen", "8082"), want: "listen"},
		{name: "--listen not host:port: one prefix", args: append(serve, "--listen", "nope"), line: `extension-registry: config: listen (--listen): must be host:port or :port, got "nope"`},
		{name: "--listen with a port out of range", args: append(serve, "--listen", "127.0.0.1:99999"), want: "config: listen (--listen): port must be 0 to 65535"},
		{name: "--listen with a bad IP literal", args: append(serve, "--listen", "999.1.1.1:80"), want: "config: listen (--listen): host must be an IP address or a host name"},
		{name: "one-element list for a scalar key", args: append(serve, "--config", file("list.yaml", "cache:\n  ttl: [5m]\n")), want: "config: cache.ttl (", line: ""},
		{name: "public_url with a query", args: append(serve, "--config", file("pubq.yaml", "public_url: https://example.com/base?x=1\n")), want: "must not carry a query or fragment"},
		{name: "empty element in sources", args: serve, env: []string{"EXTENSION_REGISTRY_SOURCES=oci,,gitea"}, want: "config: sources (EXTENSION_REGISTRY_SOURCES): has an empty element"},
		{name: "completion for an unknown shell", args: []string{"completion", "tcsh"}, want: `completion: unknown shell "tcsh"`, code: exitUsage},
		{name: "port already in use", args: append(serve, "--listen", busy.Addr().String()), want: busy.Addr().String()},
		{name: "--demo with a remote registry", args: []string{"serve", "--demo"}, env: []string{"EXTENSION_REGISTRY_OCI_REGISTRY=registry.example.com"}, want: "oci.registry"},
		{name: "--demo with an --examples folder holding none", args: []string{"serve", "--demo", "--examples", "missing"}, want: "--demo: no example extensions under missing"},
		{name: "publish with a configuration mistake", args: publish, env: []string{"EXTENSION_REGISTRY_CACHE_TTL=soon"}, want: "cache.ttl"},
		{name: "publish --to without a namespace", args: append(publish, "--to", "127.0.0.1:5000"), want: "--to"},
		{name: "publish --to with a scheme", args: append(publish, "--to", "https://registry.example.com/ns"), want: "--to: want HOST/NAMESPACE without a scheme"},
		{name: "publish with a 300-byte name", args: []string{"publish", src, "--type", "provider", "--name", strings.Repeat("a", 300), "--version", "1.0.0"}, want: "--name: Invalid extension name \"aaaa"},
		{name: "publish with an uppercase name", args: []string{"publish", src, "--type", "provider", "--name", "AWS", "--version", "1.0.0"}, want: "--name: Invalid extension name \"AWS\": must be lowercase"},
		{name: "publish with an unknown type", args: []string{"publish", src, "--type", "plugin", "--name", "x", "--version", "1.0.0"}, want: "--type"},
		{name: "publish with a bad --created", args: append(publish, "--created", "yesterday"), want: "--created", code: exitUsage},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A mistake that slipped through would serve: on a free port.
			env := environ(append([]string{"EXTENSION_REGISTRY_DATA_DIR=" + t.TempDir()}, c.env...)...)
			if c.args[0] == "serve" && !strings.Contains(strings.Join(c.args, " "), "--listen") {
				env = append(env, "EXTENSION_REGISTRY_LISTEN=127.0.0.1:0")
			}
			r := run(t, t.TempDir(), env, c.args...)
			line := strings.TrimSuffix(r.stderr, "\n")
			if want := max(c.code, 1); r.code != want {
				t.Errorf("exit code %d, want %d", r.code, want)
			}
			if strings.Contains(line, "\n") || line == "" {
				t.Errorf("stderr is not one line:\n%s", r.stderr)
			}
			if !strings.HasPrefix(line, "extension-registry: ") {
				t.Errorf("stderr %q does not start with the command's name", line)
			}
			if c.line != "" && line != c.line {
				t.Errorf("stderr\n%s\nwant\n%s", line, c.line)
			}
			if c.want != "" && !strings.Contains(line, c.want) {
				t.Errorf("stderr %q does not name %s", line, c.want)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("a panic:\n%s", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}
