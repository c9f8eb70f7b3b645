package httpapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/provisioning-platform/extension-registry/hooks"
	"github.com/provisioning-platform/extension-registry/httpapi"
	"github.com/provisioning-platform/extension-registry/internal/openapitest"
)

// registered is one route as the package's source registers it.
type registered struct {
	pattern string   // the ServeMux pattern, e.g. /api/v1/extensions/{type}/{name}
	query   []string // query parameters its handler reads, directly or through helpers
}

// paramReaders are the functions that read a query parameter named by
// their second argument (this package's and internal/httpkit's).
var paramReaders = map[string]bool{"query": true, "intParam": true, "Query": true, "Int": true}

// walkRoutes reads the package's source and returns every route
// registered with a Router's Get: the pattern (Prefix + "…", or a literal)
// and the query parameters its handler (a method or function of the
// package) reads — with a parameter reader (paramReaders) or
// r.URL.Query().Get("…") — following the helper calls of this package and
// of internal/httpkit.
func walkRoutes(t *testing.T) []registered {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	kit, err := filepath.Glob("../internal/httpkit/*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, kit...)
	funcs := map[string]*ast.FuncDecl{}
	var parsed []*ast.File
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(f, "..") {
			parsed = append(parsed, af) // routes are registered in this package
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				funcs[fd.Name.Name] = fd
			}
		}
	}
	// reads collects the parameter names a function body reads, and the
	// package functions it calls, transitively.
	var reads func(n ast.Node, seen map[string]bool) []string
	reads = func(n ast.Node, seen map[string]bool) []string {
		var out []string
		ast.Inspect(n, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if paramReaders[name] && len(call.Args) >= 2 {
				if lit, ok := call.Args[1].(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, s)
				}
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && name == "Get" && len(call.Args) == 1 {
				if inner, ok := sel.X.(*ast.CallExpr); ok {
					if is, ok := inner.Fun.(*ast.SelectorExpr); ok && is.Sel.Name == "Query" {
						if lit, ok := call.Args[0].(*ast.BasicLit); ok {
							s, _ := strconv.Unquote(lit.Value)
							out = append(out, s)
						}
					}
				}
			}
			if fd, ok := funcs[name]; ok && !seen[name] {
				seen[name] = true
				out = append(out, reads(fd.Body, seen)...)
			}
			return true
		})
		return out
	}
	var routes []registered
	for _, af := range parsed {
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Get" {
				return true
			}
			pattern, ok := patternOf(call.Args[0])
			if !ok {
				return true
			}
			r := registered{pattern: pattern}
			switch h := call.Args[1].(type) {
			case *ast.SelectorExpr: // a.list
				if fd, ok := funcs[h.Sel.Name]; ok {
					r.query = reads(fd.Body, map[string]bool{h.Sel.Name: true})
				}
			case *ast.FuncLit:
				r.query = reads(h.Body, map[string]bool{})
			}
			slices.Sort(r.query)
			r.query = slices.Compact(r.query)
			routes = append(routes, r)
			return true
		})
	}
	if len(routes) < 10 {
		t.Fatalf("found %d routes in the source; the walk no longer understands how routes are registered", len(routes))
	}
	return routes
}

// patternOf evaluates a route pattern: "literal" or Prefix+"literal".
func patternOf(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil && strings.HasPrefix(s, "/")
	case *ast.BinaryExpr:
		id, ok := x.X.(*ast.Ident)
		if !ok || id.Name != "Prefix" || x.Op != token.ADD {
			return "", false
		}
		rest, ok := patternOf(x.Y)
		return httpapi.Prefix + rest, ok
	}
	return "", false
}

// documented returns the GET operation of a full path template (the
// document's server prefix, or the path's own, included).
func documented(doc *openapi3.T, full string) (*openapi3.Operation, bool) {
	for p, item := range doc.Paths.Map() {
		prefix := strings.TrimRight(doc.Servers[0].URL, "/")
		if len(item.Servers) > 0 {
			prefix = strings.TrimRight(item.Servers[0].URL, "/")
		}
		if prefix+p == full && item.Get != nil {
			return item.Get, true
		}
	}
	return nil, false
}

// TestOpenAPICoversTheRoutes walks the registered routes and fails when
// one of them, a query parameter its handler reads, a path parameter, or
// one of the statuses every route can answer is missing from
// httpapi/openapi.json — and when the document lists a path the router
// does not serve.
func TestOpenAPICoversTheRoutes(t *testing.T) {
	doc := openapitest.Load(t, httpapi.OpenAPI())
	routes := walkRoutes(t)
	var patterns []string
	for _, r := range routes {
		patterns = append(patterns, r.pattern)
		t.Run(r.pattern, func(t *testing.T) {
			op, ok := documented(doc, r.pattern)
			if !ok {
				t.Fatalf("route %s is not in the OpenAPI document", r.pattern)
			}
			params := map[string]string{}
			for _, p := range op.Parameters {
				params[p.Value.Name] = p.Value.In
			}
			for _, q := range r.query {
				if params[q] != "query" {
					t.Errorf("query parameter %q is read by the handler but not documented", q)
				}
			}
			for _, seg := range strings.Split(r.pattern, "/") {
				if strings.HasPrefix(seg, "{") {
					name := strings.Trim(seg, "{}")
					if params[name] != "path" {
						t.Errorf("path parameter %q is not documented", name)
					}
				}
			}
			for name, in := range params {
				if in == "query" && !slices.Contains(r.query, name) {
					t.Errorf("documented query parameter %q is never read", name)
				}
			}
			// Every route answers these: the server edge's 400, 414, 429
			// and 503, the router's 405, a panic's 500; a route with a
			// {type} also 404.
			want := []string{"200", "400", "405", "414", "429", "500", "503"}
			if strings.Contains(r.pattern, "{type}") {
				want = append(want, "404")
			}
			for _, code := range want {
				if op.Responses.Value(code) == nil {
					t.Errorf("status %s is not documented", code)
				}
			}
		})
	}

	// The webhook endpoints (package hooks) take POST.
	hookPaths := []string{hooks.GiteaPath, hooks.RegistryPath}
	for _, p := range hookPaths {
		item := doc.Paths.Find(strings.TrimPrefix(p, httpapi.Prefix))
		if item == nil || item.Post == nil {
			t.Errorf("webhook endpoint %s is not in the OpenAPI document with a post operation", p)
			continue
		}
		for _, code := range []string{"200", "202", "400", "401", "404", "405", "413"} {
			if item.Post.Responses.Value(code) == nil {
				t.Errorf("%s: status %s is not documented", p, code)
			}
		}
	}

	// The other way: every documented path is served by the route of the
	// same pattern, not by a catch-all.
	mux := http.NewServeMux()
	api := httpapi.New(httpapi.Options{})
	api.Register(mux)
	httpapi.RegisterProbes(mux, nil, nil)
	httpapi.RegisterOpenAPI(mux, nil)
	h := hooks.New(hooks.Options{})
	defer h.Close()
	h.Register(mux)
	api.RegisterFallback(mux)
	for _, tmpl := range openapitest.Templates(doc) {
		if !slices.Contains(patterns, tmpl) && !slices.Contains(hookPaths, tmpl) {
			t.Errorf("the document lists %s, which no route of the source registers", tmpl)
		}
		req := httptest.NewRequest(http.MethodGet, strings.NewReplacer("{type}", "provider", "{name}", "aws", "{version}", "1.2.0").Replace(tmpl), nil)
		if _, pattern := mux.Handler(req); pattern != tmpl {
			t.Errorf("GET %s is served by the pattern %q, want %q", req.URL.Path, pattern, tmpl)
		}
	}
}
