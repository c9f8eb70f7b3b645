package connector

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/provisioning-platform/extension-registry/internal/openapitest"
)

// queryReads returns every query parameter name the package's source
// reads with httpkit.Query or httpkit.Int (or r.URL.Query().Get).
func queryReads(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			arg := -1
			switch {
			case (sel.Sel.Name == "Query" || sel.Sel.Name == "Int") && len(call.Args) >= 2:
				arg = 1
			case sel.Sel.Name == "Get" && len(call.Args) == 1:
				if inner, ok := sel.X.(*ast.CallExpr); ok {
					if is, ok := inner.Fun.(*ast.SelectorExpr); ok && is.Sel.Name == "Query" {
						arg = 0
					}
				}
			}
			if arg < 0 {
				return true
			}
			if lit, ok := call.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				out = append(out, s)
			}
			return true
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// toolOnly names the parameters only one base reads.
var toolOnly = map[string]string{"organization": GiteaBase, "namespace": OCIBase}

// TestOpenAPIDocumentsTheParameters: every query parameter the package
// reads is documented in each base's document (organization only in
// Gitea's, namespace only in OCI's), and every documented query parameter
// is read.
func TestOpenAPIDocumentsTheParameters(t *testing.T) {
	read := queryReads(t)
	if len(read) < 5 {
		t.Fatalf("found only %v: the walk no longer understands how parameters are read", read)
	}
	for _, base := range []string{GiteaBase, OCIBase} {
		doc := openapitest.Load(t, OpenAPI(base))
		var documented []string
		for _, item := range doc.Paths.Map() {
			for _, p := range item.Get.Parameters {
				if p.Value.In == "query" {
					documented = append(documented, p.Value.Name)
				}
			}
		}
		for _, name := range documented {
			if !slices.Contains(read, name) {
				t.Errorf("%s documents the query parameter %q, which no handler reads", base, name)
			}
		}
		for _, name := range read {
			if only, ok := toolOnly[name]; ok && only != base {
				if slices.Contains(documented, name) {
					t.Errorf("%s documents %q, which only %s reads", base, name, only)
				}
				continue
			}
			if !slices.Contains(documented, name) {
				t.Errorf("query parameter %q is read but %s does not document it", name, base)
			}
		}
	}
}
