package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// demoExtensions are the examples `serve --demo` publishes: name, type,
// current version, in the list's order (name, then type).
var demoExtensions = [][3]string{
	{"aws", "provider", "1.2.0"},
	{"buildkit", "cluster", "0.12.0"},
	{"k3s", "taskserv", "1.27.5"},
	{"kubernetes", "taskserv", "1.28.0"},
	{"upcloud", "provider", "2.1.3"},
}

func TestHomeListsEveryExtension(t *testing.T) {
	base := serve(t, demoConfig(t))
	p := get(t, base+"/", http.StatusOK)
	checkManners(t, "home", p)
	cards := findAll(p.doc, tag("li", "card"))
	if len(cards) != len(demoExtensions) {
		t.Fatalf("home shows %d extensions, want %d: %v", len(cards), len(demoExtensions), cardNames(p))
	}
	for i, want := range demoExtensions {
		c := text(cards[i])
		for _, s := range []string{want[0], want[1], "v" + want[2], "oci"} {
			if !strings.Contains(c, s) {
				t.Errorf("card %d %q lacks %q", i, c, s)
			}
		}
		if a := findAll(cards[i], tag("a")); len(a) == 0 || attr(a[0], "href") != "/extensions/"+want[1]+"/"+want[0] {
			t.Errorf("card %d does not link to its page", i)
		}
	}
	if !strings.Contains(p.body, "Kubernetes container orchestration platform") {
		t.Error("home lacks the kubernetes description")
	}
}

func TestHomeFilters(t *testing.T) {
	base := serve(t, demoConfig(t))
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"type=taskserv", []string{"k3s", "kubernetes"}},
		{"type=provider", []string{"aws", "upcloud"}},
		{"source=oci&type=cluster", []string{"buildkit"}},
		{"source=gitea", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			p := get(t, base+"/?"+tc.query, http.StatusOK)
			checkManners(t, tc.query, p)
			if got := cardNames(p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("shows %v, want %v", got, tc.want)
			}
			if tc.want == nil && !strings.Contains(p.body, "No extension matches these filters") {
				t.Error("an empty filter does not say so")
			}
		})
	}
	t.Run("current filter marked", func(t *testing.T) {
		p := get(t, base+"/?type=taskserv", http.StatusOK)
		var cur []string
		for _, a := range findAll(p.doc, tag("a")) {
			if attr(a, "aria-current") == "true" {
				cur = append(cur, text(a))
			}
		}
		if !reflect.DeepEqual(cur, []string{"taskserv", "All sources"}) {
			t.Errorf("current filters %v", cur)
		}
	})
}

func TestBadParametersAreHTML400s(t *testing.T) {
	base := serve(t, demoConfig(t))
	long := strings.Repeat("<x>", 300) // long, yet under the server edge's 4 KiB query limit
	for _, path := range []string{
		"/?type=" + url.QueryEscape(long),
		"/?source=nowhere",
		"/?page=0",
		"/?page=99999999999999999999",
		"/search?q=" + url.QueryEscape(long),
		"/search?q=a&type=plugin",
		"/extensions/taskserv/kubernetes?page=-1",
	} {
		p := get(t, base+path, http.StatusBadRequest)
		checkManners(t, path, p)
		if strings.Contains(p.body, "<x>") || len(p.body) > 8000 {
			t.Errorf("GET %.60s: echoes the input unescaped or unbounded (%d bytes)", path, len(p.body))
		}
	}
}

func TestSearchRanksAsTheAPI(t *testing.T) {
	base := serve(t, demoConfig(t))
	for _, q := range []string{"kube", "k", "cloud", "container", "zzz-none"} {
		t.Run(q, func(t *testing.T) {
			p := get(t, base+"/search?q="+url.QueryEscape(q), http.StatusOK)
			checkManners(t, q, p)
			var api []struct{ Name string }
			resp, err := http.Get(base + "/api/v1/extensions/search?q=" + url.QueryEscape(q))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&api); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, e := range api {
				want = append(want, e.Name)
			}
			if got := cardNames(p); !reflect.DeepEqual(got, want) {
				t.Errorf("page ranks %v, API %v", got, want)
			}
			if len(want) == 0 && !strings.Contains(p.body, "No extension matches") {
				t.Error("no results and no sentence saying so")
			}
			if v := findAll(p.doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "q" }); len(v) != 1 || attr(v[0], "value") != q {
				t.Error("the search box does not keep the query")
			}
		})
	}
	t.Run("type narrows", func(t *testing.T) {
		p := get(t, base+"/search?q=k&type=taskserv", http.StatusOK)
		if got := cardNames(p); !reflect.DeepEqual(got, []string{"k3s", "kubernetes"}) {
			t.Errorf("q=k&type=taskserv shows %v", got)
		}
	})
	t.Run("empty query", func(t *testing.T) {
		p := get(t, base+"/search?q=+", http.StatusOK)
		checkManners(t, "empty", p)
		if len(cardNames(p)) != 0 || !strings.Contains(p.body, "Type a word") {
			t.Error("an empty search does not invite a term")
		}
	})
}

func TestExtensionPage(t *testing.T) {
	base := serve(t, demoConfig(t))
	p := get(t, base+"/extensions/taskserv/kubernetes", http.StatusOK)
	checkManners(t, "kubernetes", p)
	for _, s := range []string{"Kubernetes container orchestration platform", "provisioning-team", "orchestration", "oci", "2025-10-06"} {
		if !strings.Contains(text(p.doc), s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if a := findAll(p.doc, func(n *html.Node) bool {
		return n.Data == "a" && attr(n, "href") == "https://gitea.example.com/provisioning/kubernetes_taskserv"
	}); len(a) != 1 {
		t.Error("no repository link")
	}

	var api []struct {
		Version, Checksum string
		Size              int64
	}
	resp, err := http.Get(base + "/api/v1/extensions/taskserv/kubernetes/versions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&api); err != nil {
		t.Fatal(err)
	}
	rows := findAll(p.doc, tag("tr", "version"))
	if len(rows) != len(api) || len(rows) != 3 {
		t.Fatalf("%d version rows, API lists %d", len(rows), len(api))
	}
	for i, v := range api {
		row := rows[i]
		if got := text(findAll(row, tag("span", "vname"))[0]); got != v.Version {
			t.Errorf("row %d shows %s, want %s", i, got, v.Version)
		}
		sum := findAll(row, tag("code", "checksum"))
		if len(sum) != 1 || attr(sum[0], "title") != v.Checksum || !strings.HasPrefix(strings.TrimPrefix(v.Checksum, "sha256:"), strings.TrimSuffix(text(sum[0]), "…")) {
			t.Errorf("row %d checksum does not show %s", i, v.Checksum)
		}
		dl := findAll(row, tag("a", "download"))
		if len(dl) != 1 || attr(dl[0], "href") != "/api/v1/extensions/taskserv/kubernetes/"+v.Version {
			t.Errorf("row %d download link wrong", i)
			continue
		}
		got := fetch(t, http.MethodGet, base+attr(dl[0], "href"))
		if got.status != http.StatusOK || testserver.Digest([]byte(got.body)) != v.Checksum {
			t.Errorf("row %d: the download link gives %d bytes of %s, the page shows %s", i, len(got.body), testserver.Digest([]byte(got.body)), v.Checksum)
		}
		cmds := text(row)
		for _, want := range []string{
			"curl -OJ " + base + "/api/v1/extensions/taskserv/kubernetes/" + v.Version,
			"extension-registry pull --server " + base + " taskserv/kubernetes@" + v.Version,
		} {
			if !strings.Contains(cmds, want) {
				t.Errorf("row %d lacks the command %q", i, want)
			}
		}
	}
	if cur := text(rows[0]); !strings.Contains(cur, "current") || strings.Contains(text(rows[1]), "current") {
		t.Error("the current version is not the one marked")
	}
}

func TestUnknownExtensionIsA404Page(t *testing.T) {
	base := serve(t, demoConfig(t))
	for _, path := range []string{
		"/extensions/taskserv/nope",
		"/extensions/plugin/kubernetes",
		"/extensions/taskserv/kubernetes/extra",
		"/extensions/",
		"/static/nope.js",
	} {
		p := get(t, base+path, http.StatusNotFound)
		checkManners(t, path, p)
	}
	p := get(t, base+"/extensions/taskserv/nope", http.StatusNotFound)
	if !strings.Contains(text(p.doc), "Extension taskserv/nope not found") {
		t.Errorf("404 page does not name the extension: %s", text(p.doc))
	}
	// The API keeps its JSON 404s.
	if api := fetch(t, http.MethodGet, base+"/api/v1/extensions/taskserv/nope"); api.status != 404 || !strings.HasPrefix(api.header.Get("Content-Type"), "application/json") {
		t.Errorf("API 404 became %d %s", api.status, api.header.Get("Content-Type"))
	}
}

func TestETagAndNotModified(t *testing.T) {
	base := serve(t, demoConfig(t))
	for _, path := range []string{"/", "/?type=taskserv", "/search?q=kube", "/extensions/provider/aws"} {
		first := get(t, base+path, http.StatusOK)
		etag := first.header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", path)
		}
		if again := get(t, base+path, http.StatusOK); again.header.Get("ETag") != etag {
			t.Errorf("%s: ETag changes between two identical answers", path)
		}
		nm := fetch(t, http.MethodGet, base+path, "If-None-Match", etag)
		if nm.status != http.StatusNotModified || nm.body != "" {
			t.Errorf("%s with If-None-Match: %d and %d bytes, want 304 and none", path, nm.status, len(nm.body))
		}
		if other := fetch(t, http.MethodGet, base+path, "If-None-Match", `"other"`); other.status != http.StatusOK {
			t.Errorf("%s with another ETag: %d", path, other.status)
		}
		if head := fetch(t, http.MethodHead, base+path); head.status != http.StatusOK || head.body != "" || head.header.Get("ETag") != etag {
			t.Errorf("%s HEAD: %d, %d bytes, ETag %q", path, head.status, len(head.body), head.header.Get("ETag"))
		}
	}
	if a, b := get(t, base+"/?type=taskserv", 200).header.Get("ETag"), get(t, base+"/?type=provider", 200).header.Get("ETag"); a == b {
		t.Error("two different pages share an ETag")
	}
	css := get(t, base+"/", 200)
	links := findAll(css.doc, func(n *html.Node) bool { return n.Data == "link" && attr(n, "rel") == "stylesheet" })
	if len(links) != 1 {
		t.Fatal("no stylesheet")
	}
	st := get(t, base+attr(links[0], "href"), http.StatusOK)
	if !strings.HasPrefix(st.header.Get("Content-Type"), "text/css") || st.header.Get("ETag") == "" {
		t.Errorf("stylesheet: %s, ETag %q", st.header.Get("Content-Type"), st.header.Get("ETag"))
	}
	if nm := fetch(t, http.MethodGet, base+attr(links[0], "href"), "If-None-Match", st.header.Get("ETag")); nm.status != http.StatusNotModified {
		t.Errorf("stylesheet with If-None-Match: %d", nm.status)
	}
	if post := fetch(t, http.MethodPost, base+"/"); post.status != http.StatusMethodNotAllowed || post.doc == nil {
		t.Errorf("POST /: %d %s", post.status, post.header.Get("Content-Type"))
	}
}
