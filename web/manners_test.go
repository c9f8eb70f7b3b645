package web_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkManners fails t for what a page must never be: more or fewer than
// one h1, duplicate ids, form controls without a label, buttons without a
// name, inline script or style (the CSP would block them), a resource
// loaded from another host, a missing language, title or viewport, a page
// of 100 KB or more, or missing security headers.
func checkManners(t *testing.T, name string, p page) {
	t.Helper()
	if p.doc == nil {
		t.Fatalf("%s: not an HTML answer (Content-Type %q)", name, p.header.Get("Content-Type"))
	}
	if n := len(p.body); n >= 100<<10 {
		t.Errorf("%s: %d bytes, want < 100 KB", name, n)
	}
	if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", name, ct)
	}
	csp := p.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", name, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Errorf("%s: Content-Security-Policy %q allows inline code or other hosts", name, csp)
	}
	if p.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no X-Content-Type-Options: nosniff", name)
	}
	if h1 := findAll(p.doc, tag("h1")); len(h1) != 1 {
		t.Errorf("%s: %d h1 elements, want 1", name, len(h1))
	}
	if hs := findAll(p.doc, tag("html")); len(hs) != 1 || attr(hs[0], "lang") == "" {
		t.Errorf("%s: no <html lang>", name)
	}
	if ts := findAll(p.doc, tag("title")); len(ts) != 1 || text(ts[0]) == "" {
		t.Errorf("%s: no title", name)
	}
	if vp := findAll(p.doc, func(n *html.Node) bool { return n.Data == "meta" && attr(n, "name") == "viewport" }); len(vp) != 1 {
		t.Errorf("%s: no viewport meta", name)
	}

	ids := map[string]bool{}
	labels := map[string]bool{}
	for _, n := range findAll(p.doc, func(*html.Node) bool { return true }) {
		if id := attr(n, "id"); id != "" {
			if ids[id] {
				t.Errorf("%s: duplicate id %q", name, id)
			}
			ids[id] = true
		}
		if n.Data == "label" {
			labels[attr(n, "for")] = true
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
				t.Errorf("%s: inline %s attribute on <%s>", name, a.Key, n.Data)
			}
		}
		switch n.Data {
		case "style":
			t.Errorf("%s: inline <style>", name)
		case "script":
			if src := attr(n, "src"); !strings.HasPrefix(src, "/static/") || n.FirstChild != nil {
				t.Errorf("%s: script %q is not a file under /static/", name, src)
			}
		case "link", "img", "iframe", "object", "embed", "source", "video", "audio":
			for _, k := range []string{"href", "src"} {
				if v := attr(n, k); v != "" && (!strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//")) {
					t.Errorf("%s: <%s %s=%q> loads from another place", name, n.Data, k, v)
				}
			}
		}
	}
	for _, n := range findAll(p.doc, func(n *html.Node) bool {
		return (n.Data == "input" && attr(n, "type") != "hidden" && attr(n, "type") != "submit") || n.Data == "select" || n.Data == "textarea"
	}) {
		if !labels[attr(n, "id")] && attr(n, "aria-label") == "" {
			t.Errorf("%s: <%s name=%q> has no label", name, n.Data, attr(n, "name"))
		}
	}
	for _, b := range findAll(p.doc, tag("button")) {
		if text(b) == "" && attr(b, "aria-label") == "" {
			t.Errorf("%s: a button without a name", name)
		}
	}
	for _, a := range findAll(p.doc, tag("a")) {
		if attr(a, "href") == "" || text(a) == "" {
			t.Errorf("%s: link %q without a target or text", name, attr(a, "href"))
		}
	}
}
