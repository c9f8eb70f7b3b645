package app

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// badCase is one malformed request. want is its exact status, or 0 for
// "any 4xx".
type badCase struct {
	name   string
	method string
	target string
	header http.Header
	want   int
}

// canary is a secret value some cases carry; no answer may contain it.
const canary = "s3cr3t-canary-7f1c"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func metaFor(baseURL string) string { return b64(`{"baseURL":"` + baseURL + `"}`) }

func secretOf(kv map[string]string) string {
	m := map[string]string{}
	for k, v := range kv {
		m[k] = b64(v)
	}
	b, _ := json.Marshal(m)
	return base64.StdEncoding.EncodeToString(b)
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// v1BadCases are malformed requests to the v1 API.
func v1BadCases() []badCase {
	long := strings.Repeat("n", 10000)
	var cs []badCase
	add := func(name, target string, want int) {
		cs = append(cs, badCase{name: name, method: "GET", target: target, want: want})
	}
	for _, typ := range []string{"widget", "PROVIDER", "providers", "prov", "taskservs", "%20provider", "%D0%BF%D1%80%D0%BE", "provider%20", "0", "_"} {
		add("type "+typ, "/api/v1/extensions/"+typ+"/aws", 400)
		add("type "+typ+" versions", "/api/v1/extensions/"+typ+"/aws/versions", 400)
	}
	for _, v := range []string{"1.2", "1.2.3.4", "v", "latest", "01.2.3", "1.2.3-", "-1.0.0", "1..2", "1.2.3+", "1.0.0-%C3%A9", "9999999999999999999999.0.0", "v1.2.3.4.5", strings.Repeat("1.", 150) + "1"} {
		add("version "+excerptOf(v), "/api/v1/extensions/provider/aws/"+v, 0)
	}
	add("version with bad escape", "/api/v1/extensions/provider/aws/1.0.0+%ZZ", 400)
	add("version with bad escape 2", "/api/v1/extensions/provider/aws/%", 400)
	add("version of an unknown extension", "/api/v1/extensions/provider/nonexistent/1.0.0", 404)
	for _, n := range []struct{ name, seg string }{
		{"name of 300 bytes", strings.Repeat("a", 300)}, {"name of 10000 bytes", long},
		{"encoded slash", "aws%2Fx"}, {"encoded backslash", "a%5Cb"}, {"backslash", `a\b`},
		{"encoded dots", "%2e%2e"}, {"NUL", "a%00b"}, {"control", "a%0Ab"}, {"invalid UTF-8", "%ff%fe"},
		{"non-ASCII", "%C3%A4ws"}, {"space", "a%20b"}, {"html", "%3Cscript%3E"}, {"dot", "."},
	} {
		add("name "+n.name, "/api/v1/extensions/provider/"+n.seg, 0)
		add("name "+n.name+" versions", "/api/v1/extensions/provider/"+n.seg+"/versions", 0)
	}
	for _, p := range []string{"//api/v1/extensions", "/api/v1//extensions", "/api/v1/./health", "/api/v1/extensions/../health",
		"/api/v1/extensions/provider/./aws", "/api/v1/%2e%2e/api/v1/health", "/api/v1/extensions/provider/aws/../../health",
		"/api/v1/extensions/provider//versions", "/api/v1/extensions/provider/aws/.", "/./api/v1/health", "/..", "/api/v1/extensions/provider/aws//"} {
		add("unclean "+p, p, 404)
	}
	add("path of 3000 bytes", "/api/v1/"+strings.Repeat("ab/", 1000), 0)
	add("unknown route", "/api/v1/nothing", 404)
	add("unknown route deep", "/api/v1/extensions/provider/aws/1.0.0/extra", 404)
	add("root", "/nothing/at/all", 404)
	for _, qs := range []string{"type=%zz", "limit=1;offset=2", "limit=-1", "limit=abc", "limit=0", "offset=-5", "offset=x",
		"source=ftp", "type=widget", "type=provider&type=taskserv", "limit=1&limit=2", "%zz=1", "=x", "limit=%00", "limit=1e3", "limit=0x10",
		"limit=" + strings.Repeat("9", 3000) + "x", "type=" + strings.Repeat("p", 5000), "source=gitea;type=provider", "limit=%", "offset=1.5",
		"type=pr%C3%B6vider", strings.TrimSuffix(strings.Repeat("p=1&", 40), "&")} {
		add("list ?"+excerptOf(qs), "/api/v1/extensions?"+qs, 0)
	}
	for _, qs := range []string{"q=", "q=%20", "", "q=" + strings.Repeat("k", 10000), "q=a&q=b", "q=a;limit=1", "q=a&limit=0", "q=a&type=widget",
		"q=%ZZ", "q=a&limit=-1", "q=a&limit=x", "q=a;b"} {
		add("search ?"+excerptOf(qs), "/api/v1/extensions/search?"+qs, 0)
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "FOO", "get", "PROPFIND"} {
		cs = append(cs, badCase{name: "method " + m, method: m, target: "/api/v1/extensions", want: 405})
		cs = append(cs, badCase{name: "method " + m + " download", method: m, target: "/api/v1/extensions/provider/aws/1.0.0", want: 405})
	}
	cs = append(cs, badCase{name: "HEAD unknown", method: "HEAD", target: "/api/v1/extensions/provider/nonexistent", want: 404})
	cs = append(cs, badCase{name: "no leading slash", method: "GET", target: "api/v1/health", want: 400})
	cs = append(cs, badCase{name: "absolute form bad escape", method: "GET", target: "http://x/api/v1/%zz", want: 400})
	cs = append(cs, badCase{name: "header too large", method: "GET", target: "/api/v1/health", header: hdr("X-Big", strings.Repeat("b", 80<<10)), want: 431})
	return cs
}

// connectorBadCases are malformed requests to the ConnectorClass API;
// registry is the host of a real, reachable OCI registry.
func connectorBadCases(registry string) []badCase {
	good := metaFor("http://" + registry)
	basic := b64("kubernetes.io/basic-auth")
	goodSecret := secretOf(map[string]string{"username": "u", "password": canary})
	var cs []badCase
	add := func(name, target string, h http.Header, want int) {
		cs = append(cs, badCase{name: name, method: "GET", target: target, header: h, want: want})
	}
	for _, base := range []string{"/connectors/oci", "/connectors/gitea"} {
		list := base + "/extensions?organization=org&namespace=provisioning-extensions"
		// X-Plugin-Meta
		add(base+" no meta", list, nil, 400)
		add(base+" meta not base64", list, hdr("X-Plugin-Meta", "!!!notbase64"), 400)
		add(base+" meta base64 of non-JSON", list, hdr("X-Plugin-Meta", b64("baseURL=http://x")), 400)
		for _, shape := range []string{`[]`, `"http://x"`, `{"baseURL":5}`, `{"baseURL":""}`, `{"baseURL":"ftp://127.0.0.1"}`, `{"baseURL":"http://"}`,
			`{"baseURL":"http://u:` + canary + `@127.0.0.1"}`, `{"baseURL":"http://127.0.0.1/?a=b"}`, `{"baseURL":"http://127.0.0.1/#f"}`, `{"baseURL":"127.0.0.1"}`, `null`} {
			add(base+" meta "+shape, list, hdr("X-Plugin-Meta", b64(shape)), 400)
		}
		add(base+" meta unlisted host", list, hdr("X-Plugin-Meta", metaFor("http://169.254.169.254")), 403)
		add(base+" meta unlisted host 2", list, hdr("X-Plugin-Meta", metaFor("http://localhost:1")), 403)
		// X-Plugin-Auth / X-Plugin-Secret
		add(base+" auth without secret", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", basic), 400)
		add(base+" secret without auth", list, hdr("X-Plugin-Meta", good, "X-Plugin-Secret", goodSecret), 400)
		add(base+" auth not base64", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", "%%%", "X-Plugin-Secret", goodSecret), 400)
		add(base+" auth empty type", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", b64(" "), "X-Plugin-Secret", goodSecret), 400)
		add(base+" unknown secret type", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", b64("example.com/unknown"), "X-Plugin-Secret", secretOf(map[string]string{"x": canary})), 400)
		add(base+" raw auth, secret without keys", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", "kubernetes.io/basic-auth", "X-Plugin-Secret", secretOf(map[string]string{"x": canary})), 400)
		add(base+" secret not base64", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", basic, "X-Plugin-Secret", "***"), 400)
		add(base+" secret base64 of non-JSON", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", basic, "X-Plugin-Secret", b64("username="+canary)), 400)
		add(base+" secret JSON array", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", basic, "X-Plugin-Secret", b64(`["`+canary+`"]`)), 400)
		add(base+" secret JSON numbers", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", basic, "X-Plugin-Secret", b64(`{"username":1}`)), 400)
		add(base+" secret value not base64", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", basic, "X-Plugin-Secret", b64(`{"password":"`+canary+`!!"}`)), 400)
		add(base+" basic-auth without password", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", basic, "X-Plugin-Secret", secretOf(map[string]string{"username": "u"})), 0)
		add(base+" dockerconfigjson without key", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", b64("kubernetes.io/dockerconfigjson"), "X-Plugin-Secret", secretOf(map[string]string{"x": canary})), 0)
		add(base+" dockerconfigjson not JSON", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", b64("kubernetes.io/dockerconfigjson"), "X-Plugin-Secret", secretOf(map[string]string{".dockerconfigjson": "{" + canary})), 0)
		add(base+" dockerconfigjson without the host", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", b64("kubernetes.io/dockerconfigjson"),
			"X-Plugin-Secret", secretOf(map[string]string{".dockerconfigjson": `{"auths":{"other.example.com":{"auth":"` + b64("u:"+canary) + `"}}}`})), 0)
		add(base+" dockerconfigjson auth not base64", list, hdr("X-Plugin-Meta", good, "X-Plugin-Auth", b64("kubernetes.io/dockerconfigjson"),
			"X-Plugin-Secret", secretOf(map[string]string{".dockerconfigjson": `{"auths":{"` + registry + `":{"auth":"!!` + canary + `"}}}`})), 0)
		// Parameters and paths
		h := hdr("X-Plugin-Meta", good)
		for _, qs := range []string{"page=0", "page=-1", "page=abc", "itemsPerPage=0", "itemsPerPage=x", "type=widget", "page=1;itemsPerPage=2",
			"page=1&page=2", "type=%zz", "organization=" + strings.Repeat("o,", 3000) + "o", "namespace=UPPER", "namespace=" + q("../x")} {
			add(base+" ?"+excerptOf(qs), base+"/extensions?"+qs, h, 0)
		}
		for _, p := range []string{"/extensions/widget/aws", "/extensions/provider/aws/1.2", "/extensions/provider/aws/1.2.3.4",
			"/extensions/provider/" + strings.Repeat("x", 300), "/extensions/provider/aws%2Fx", "/extensions//aws", "/nothing", "/extensions/provider/aws/1.0.0+%ZZ"} {
			add(base+" path "+excerptOf(p), base+p+"?organization=org", h, 0)
		}
		for _, m := range []string{"POST", "DELETE", "FOO"} {
			cs = append(cs, badCase{name: base + " method " + m, method: m, target: list, header: h, want: 405})
		}
	}
	g := hdr("X-Plugin-Meta", good)
	add("gitea organization with a space", "/connectors/gitea/extensions?organization=a%20b", g, 400)
	add("gitea organization traversal", "/connectors/gitea/extensions?organization=..%2Fadmin", g, 400)
	add("gitea organization non-ASCII", "/connectors/gitea/extensions?organization=%C3%A4", g, 400)
	add("unknown connector kind", "/connectors/ftp/extensions", nil, 404)
	add("connectors root unclean", "/connectors//oci", nil, 404)
	return cs
}

// pageBadCases are malformed requests to the pages for people.
func pageBadCases() []badCase {
	var cs []badCase
	for _, c := range []struct {
		target string
		want   int
	}{
		{"/extensions//aws", 404}, {"/extensions/provider/" + strings.Repeat("n", 10000), 404}, {"/search?q=%zz", 400},
		{"/search?q=a&q=b", 400}, {"/search?q=a;b", 400}, {"/static/../app.go", 404}, {"/extensions/provider/aws%2Fx", 400},
		{"/extensions/provider/aws/1.0.0+%ZZ", 400}, {"/?type=" + strings.Repeat("t", 5000), 414}, {"/?q=%zz", 400}, {"/?page=1&page=2", 400},
	} {
		cs = append(cs, badCase{name: "page " + excerptOf(c.target), method: "GET", target: c.target, want: c.want})
	}
	return cs
}

func isPage(target string) bool {
	if target == "/" || strings.HasPrefix(target, "/?") {
		return true
	}
	for _, p := range []string{"/extensions/", "/search", "/static/"} {
		if strings.HasPrefix(target, p) {
			return true
		}
	}
	return false
}

// TestBadInput sends every malformed request of both faces to a running
// registry — the embedded store for v1, a real distribution registry behind
// the ConnectorClass API — and checks each answer: a 4xx (the exact one
// where the table names it), the face's own error body, nothing echoed
// beyond a bounded excerpt, no secret, and an answer within 10 s.
func TestBadInput(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("aws provider"))
	_ = zw.Close()
	pushOCI(t, reg.Host, "provisioning-extensions/aws", "1.0.0", "provider", gz.Bytes())

	var logs testserver.LogBuffer
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Connectors.AllowedHosts = []string{"127.0.0.1"}
	log := slog.New(slog.NewTextHandler(&logs, nil))
	b, err := NewOCI(cfg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PublishExamples(t.Context(), b, "../examples"); err != nil {
		t.Fatal(err)
	}
	base := runForTest(t, cfg, log)
	addr := strings.TrimPrefix(base, "http://")

	cases := append(append(v1BadCases(), connectorBadCases(reg.Host)...), pageBadCases()...)
	if len(cases) < 150 {
		t.Fatalf("only %d cases", len(cases))
	}
	statuses := map[int]int{}
	for _, c := range cases {
		t.Run(c.name, func(tt *testing.T) {
			t := gapAware(tt, needsFix[c.name])
			start := time.Now()
			a := sendRaw(t, addr, c.method, c.target, c.header, 10*time.Second)
			statuses[a.status]++
			if c.want != 0 && a.status != c.want || c.want == 0 && (a.status < 400 || a.status > 499) {
				t.Errorf("%s %s: status %d, want %s; body %s", c.method, excerptOf(c.target), a.status, wantText(c.want), excerptOf(string(a.body)))
			}
			page := isPage(c.target)
			if c.method != http.MethodHead {
				check := checkV1Body
				switch {
				case strings.HasPrefix(c.target, "/connectors/"):
					check = checkStatusBody
				case page:
					check = checkHTMLBody
				}
				if msg := check(a); msg != "" {
					t.Errorf("%s %s (%d): %s", c.method, excerptOf(c.target), a.status, msg)
				}
			}
			if len(a.body) > 1024 && !page || bytes.Contains(a.body, bytes.Repeat([]byte("n"), 500)) {
				t.Errorf("body of %d bytes: the input is echoed", len(a.body))
			}
			if bytes.Contains(a.body, []byte(canary)) {
				t.Errorf("the answer contains the secret: %s", a.body)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("answered after %s", d)
			}
		})
	}
	t.Logf("%d malformed requests; statuses %v", len(cases), statuses)
	if strings.Contains(logs.String(), canary) {
		t.Error("the log contains the secret")
	}
	if n := len(logs.String()); n > 200<<10 {
		t.Errorf("%d bytes of log for %d bad requests: input is logged unbounded", n, len(cases))
	}
	// Metrics stay bounded: no label holds a raw path or invented method.
	t.Run("metric labels", func(tt *testing.T) {
		t := gapAware(tt, needsFix["metric labels"])
		a := sendRaw(t, addr, "GET", "/api/v1/metrics", nil, 10*time.Second)
		for _, bad := range []string{"PROPFIND", "FOO", "nonexistent", strings.Repeat("n", 100)} {
			if bytes.Contains(a.body, []byte(`"`+bad+`"`)) {
				t.Errorf("a metric label holds the client's input %q", excerptOf(bad))
			}
		}
	})
}

// needsFix names the cases that fail until another helper's change is
// merged, with that change. They still run: a failure is logged as an
// open gap, a pass asks for the entry to go. Remove an entry when its fix
// lands, so that the case guards it from then on.
var needsFix = map[string]string{}

func wantText(want int) string {
	if want == 0 {
		return "a 4xx"
	}
	return fmt.Sprint(want)
}

// gapT reports the failures of a case with a known gap as logs.
type gapT struct {
	*testing.T
	gap    string
	failed bool
}

// gapAware returns t itself when gap is empty; else a T whose Errorf logs.
func gapAware(t *testing.T, gap string) testing.TB {
	if gap == "" {
		return t
	}
	g := &gapT{T: t, gap: gap}
	t.Cleanup(func() {
		if !g.failed {
			t.Logf("known gap %q no longer fails: remove it from needsFix", gap)
		}
	})
	return g
}

func (g *gapT) Errorf(format string, args ...any) {
	g.failed = true
	g.Logf("OPEN GAP (%s): "+format, append([]any{g.gap}, args...)...)
}
