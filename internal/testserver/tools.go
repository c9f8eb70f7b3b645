// Package testserver starts the real servers the tests run against — the
// distribution registry and Gitea — on loopback ports, and finds the tools
// (oras, registry, gitea) that scripts/install-tools.sh installs into a
// cache directory outside the repository.
package testserver

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Tool returns the path of an installed test tool named by envVar
// (EXTREG_TEST_REGISTRY, EXTREG_TEST_ORAS, EXTREG_TEST_GITEA). It reads the
// variable, else the env file that scripts/install-tools.sh writes into the
// tools directory. When the tool is missing the test is skipped, except under
// CI=true, where a missing tool fails the test: CI must run every test.
func Tool(tb testing.TB, envVar string) string {
	tb.Helper()
	path := os.Getenv(envVar)
	if path == "" {
		path = fromEnvFile(envVar)
	}
	if path != "" {
		if st, err := os.Stat(path); err == nil && !st.IsDir() {
			return path
		}
	}
	msg := envVar + " is not installed: run `make test` (scripts/install-tools.sh) first"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// ToolsDir is where scripts/install-tools.sh installs the tools.
func ToolsDir() string {
	if d := os.Getenv("TOOLS_DIR"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "extension-registry-tools")
}

func fromEnvFile(envVar string) string {
	f, err := os.Open(filepath.Join(ToolsDir(), "env"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		if k, v, ok := strings.Cut(line, "="); ok && k == envVar {
			return v
		}
	}
	return ""
}
