package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopSharedRegistries()
	testserver.StopSharedGiteas()
	stopBrowser()
	os.Exit(code)
}

// benchServe runs `serve --demo` for a benchmark and returns its base URL.
func benchServe(b *testing.B) string {
	b.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = b.TempDir()
	st, err := app.NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := app.PublishExamples(b.Context(), st, "../examples"); err != nil {
		b.Fatal(err)
	}
	a, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	return "http://" + a.Addr()
}

// demoConfig is the configuration `serve --demo` runs with, on a loopback
// port and a fresh data directory holding the published examples.
func demoConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	b, err := app.NewOCI(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.PublishExamples(t.Context(), b, "../examples"); err != nil {
		t.Fatalf("PublishExamples: %v", err)
	}
	return cfg
}

// serve runs the registry of cfg until the test ends and returns its base
// URL.
func serve(t *testing.T, cfg config.Config) string {
	t.Helper()
	a, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + a.Addr()
}

// page is one answer of the registry.
type page struct {
	status int
	header http.Header
	body   string
	doc    *html.Node
}

// fetch sends GET (or method) url with the header pairs kv and reads the
// answer, parsing it when it is HTML.
func fetch(t *testing.T, method, url string, kv ...string) page {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := page{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && len(b) > 0 {
		if p.doc, err = html.Parse(strings.NewReader(p.body)); err != nil {
			t.Fatalf("GET %s: not HTML: %v", url, err)
		}
	}
	return p
}

// get fetches url and wants status.
func get(t *testing.T, url string, status int) page {
	t.Helper()
	p := fetch(t, http.MethodGet, url)
	if p.status != status {
		t.Fatalf("GET %.200s: status %d, want %d\n%.2000s", url, p.status, status, p.body)
	}
	return p
}

// findAll returns the elements of doc for which match is true, in order.
func findAll(doc *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// tag matches elements by name and, optionally, a class they carry.
func tag(name string, class ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if n.Data != name {
			return false
		}
		for _, c := range class {
			if !strings.Contains(" "+attr(n, "class")+" ", " "+c+" ") {
				return false
			}
		}
		return true
	}
}

// attr is the value of the attribute key of n, or "".
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is the text content of n, spaces collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// cardNames are the extension names of the cards of a list page, in order.
func cardNames(p page) []string {
	var out []string
	for _, h := range findAll(p.doc, tag("li", "card")) {
		out = append(out, text(findAll(h, tag("h2"))[0]))
	}
	return out
}

// stopBrowser is replaced by the browser tests' own.
var stopBrowser = func() {}
