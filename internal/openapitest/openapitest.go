// Package openapitest checks real answers of the registry against its
// OpenAPI documents with kin-openapi, for the tests of the packages that
// serve them.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Load parses and validates an OpenAPI document.
func Load(tb testing.TB, doc []byte) *openapi3.T {
	tb.Helper()
	loader := openapi3.NewLoader()
	t, err := loader.LoadFromData(doc)
	if err != nil {
		tb.Fatalf("OpenAPI document: %v", err)
	}
	if err := t.Validate(context.Background()); err != nil {
		tb.Fatalf("OpenAPI document is not valid: %v", err)
	}
	return t
}

// Route is a documented operation that matches a concrete request path.
type Route struct {
	// Template is the full path template, server prefix included.
	Template string
	// Params are the path parameters of the match.
	Params map[string]string
	route  *routers.Route
}

// Find returns the documented GET operation whose path (under its server
// URL, the document's or the path's own) matches urlPath; ok is false when
// none does. A literal segment wins over a parameter.
func Find(doc *openapi3.T, urlPath string) (Route, bool) {
	return FindMethod(doc, http.MethodGet, urlPath)
}

// FindMethod is Find for a request method: the path's POST operation for a
// POST, else its GET operation (a HEAD, OPTIONS or refused method is
// answered by the route of the GET), else its POST operation.
func FindMethod(doc *openapi3.T, method, urlPath string) (Route, bool) {
	var best Route
	bestLiterals := -1
	for tmpl, item := range doc.Paths.Map() {
		full := serverPrefix(doc, item) + tmpl
		params, literals, ok := match(full, urlPath)
		op, opMethod := item.Get, http.MethodGet
		if (method == http.MethodPost && item.Post != nil) || op == nil {
			op, opMethod = item.Post, http.MethodPost
		}
		if !ok || op == nil || literals <= bestLiterals {
			continue
		}
		bestLiterals = literals
		best = Route{Template: full, Params: params, route: &routers.Route{
			Spec: doc, Path: tmpl, PathItem: item, Method: opMethod, Operation: op,
		}}
	}
	return best, bestLiterals >= 0
}

// Templates lists every documented path with its server prefix, sorted.
func Templates(doc *openapi3.T) []string {
	var out []string
	for tmpl, item := range doc.Paths.Map() {
		out = append(out, serverPrefix(doc, item)+tmpl)
	}
	sort.Strings(out)
	return out
}

func serverPrefix(doc *openapi3.T, item *openapi3.PathItem) string {
	servers := doc.Servers
	if len(item.Servers) > 0 {
		servers = item.Servers
	}
	if len(servers) == 0 {
		return ""
	}
	return strings.TrimRight(servers[0].URL, "/")
}

// match matches a path against a template of {param} segments.
func match(tmpl, p string) (map[string]string, int, bool) {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(p, "/")
	if len(ts) != len(ps) {
		return nil, 0, false
	}
	params := map[string]string{}
	literals := 0
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if ps[i] == "" {
				return nil, 0, false
			}
			params[t[1:len(t)-1]] = ps[i]
			continue
		}
		if t != ps[i] {
			return nil, 0, false
		}
		literals++
	}
	return params, literals, true
}

// Validate checks one real answer against doc: the path is documented
// (see FindMethod), the status is one of the operation's responses, and
// the headers and body fit that response's schema. It returns a
// description of every mismatch, or nil.
func Validate(doc *openapi3.T, req *http.Request, status int, header http.Header, body []byte) error {
	rt, ok := FindMethod(doc, req.Method, req.URL.Path)
	if !ok {
		return fmt.Errorf("%s %s: no documented path matches", req.Method, req.URL.Path)
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: rt.Params,
		Route:      rt.route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("%s %s → %d (%s): %w", req.Method, req.URL.RequestURI(), status, rt.Template, err)
	}
	return nil
}

// Get sends a GET for url with client and validates the answer against
// doc, failing the test on a mismatch. It returns status and body.
func Get(tb testing.TB, doc *openapi3.T, client *http.Client, url string, header http.Header) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	if err := Validate(doc, req, resp.StatusCode, resp.Header, body); err != nil {
		tb.Errorf("%v\nbody: %.300s", err, body)
	}
	return resp.StatusCode, body
}
