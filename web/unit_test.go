package web

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPagesTalkOnlyToTheCatalog keeps the layering: no file of the package
// imports a backend or another face.
func TestPagesTalkOnlyToTheCatalog(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, banned := range []string{"/gitea", "/oci", "/httpapi", "/connector", "/app"} {
				if strings.HasPrefix(path, "github.com/provisioning-platform/extension-registry"+banned) {
					t.Errorf("%s imports %s: pages read only the catalog", f, path)
				}
			}
		}
	}
}

func TestHelpers(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{shellQuote("http://h:1/api/v1/extensions/taskserv/k8s/1.0.0"), "http://h:1/api/v1/extensions/taskserv/k8s/1.0.0"},
		{shellQuote("http://[::1]:80/x"), "'http://[::1]:80/x'"},
		{shellQuote("a'b c"), `'a'\''b c'`},
		{humanSize(0), ""},
		{humanSize(1023), "1023 B"},
		{humanSize(1536), "1.5 KiB"},
		{humanSize(5 << 30), "5.0 GiB"},
		{shortChecksum("sha256:0123456789abcdef"), "0123456789ab…"},
		{shortChecksum(""), ""},
		{clip("ééé", 2), "éé…"},
		{webURL("javascript:alert(1)"), ""},
		{webURL("https://example.com/x"), "https://example.com/x"},
		{webURL("//example.com"), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for _, c := range []struct {
		header string
		want   bool
	}{
		{`"abc"`, true}, {`W/"abc"`, true}, {`"x", "abc"`, true}, {`*`, true}, {`"abd"`, false}, {``, false},
	} {
		if got := etagMatches(c.header, `"abc"`); got != c.want {
			t.Errorf("etagMatches(%q) = %v", c.header, got)
		}
	}
}
