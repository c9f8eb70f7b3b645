package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// dom reads the page as the browser holds it now, through the DOM domain
// (which works with script execution disabled), parsed.
func dom(tb *tab) page {
	tb.t.Helper()
	var s string
	var err error
	// A page being replaced by a navigation has no node to read for a
	// moment: try again then.
	for range 50 {
		if s, err = chromedp.Run(tb.ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil || tb.ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		tb.t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		tb.t.Fatal(err)
	}
	return page{body: s, doc: doc}
}

func TestBrowserSearchWorksWithoutJavaScript(t *testing.T) {
	base := serve(t, demoConfig(t))
	tb := newTab(t, base)
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	tb.open("/")
	p := dom(tb)
	if hs := findAll(p.doc, tag("html")); attr(hs[0], "data-js") != "" {
		t.Fatal("the page's script ran although script execution is disabled")
	}
	if got := cardNames(p); len(got) != len(demoExtensions) {
		t.Fatalf("without script the home page shows %v", got)
	}
	// A person types and presses the Search button: a plain form submission.
	tb.do(
		chromedp.SendKeys(chromedp.ID("q"), "kubernetes"),
		chromedp.SetValue(chromedp.ID("search-type"), "taskserv"),
		chromedp.Click(chromedp.CSS(`form.search button[type="submit"]`)),
	)
	tb.waitLocation("/search?q=kubernetes&type=taskserv")
	deadline := time.Now().Add(10 * time.Second)
	for {
		p = dom(tb)
		if got := cardNames(p); len(got) == 2 && got[0] == "kubernetes" && got[1] == "k3s" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the submitted search shows %v, want [kubernetes k3s]", cardNames(p))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Copy buttons need script, so they stay hidden; the commands are
	// still there to select.
	tb.open("/extensions/taskserv/kubernetes")
	p = dom(tb)
	for _, b := range findAll(p.doc, tag("button", "copy")) {
		if _, hidden := attrOK(b, "hidden"); !hidden {
			t.Error("a copy button shows without script")
			break
		}
	}
	if !strings.Contains(text(p.doc), "curl -OJ "+base+"/api/v1/extensions/taskserv/kubernetes/1.28.0") {
		t.Error("without script the commands are missing")
	}
}

// attrOK is the attribute key of n and whether n has it.
func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func TestBrowserExtensionPageDownloads(t *testing.T) {
	base := serve(t, demoConfig(t))
	tb := newTab(t, base)
	tb.open("/extensions/taskserv/kubernetes")

	type row struct{ Version, Checksum, Short, Href string }
	rows := eval[[]row](tb, `[...document.querySelectorAll("tr.version")].map(tr => ({
		Version: tr.querySelector(".vname").textContent,
		Checksum: tr.querySelector("code.checksum").title,
		Short: tr.querySelector("code.checksum").textContent,
		Href: tr.querySelector("a.download").href,
	}))`)
	var versions []string
	for _, r := range rows {
		versions = append(versions, r.Version)
	}
	if strings.Join(versions, " ") != "1.28.0 1.27.5 1.27.4" {
		t.Fatalf("the page lists versions %v, want every one, newest first", versions)
	}

	// Clicking the first download link saves the archive under its name;
	// its sha256 is the checksum the page shows.
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
	}); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.Click(chromedp.CSS(`tr.version a.download`)))
	file := filepath.Join(dir, "kubernetes_taskserv.tar.gz")
	waitFile(t, file)
	got, _ := testserver.FileDigest(t, file)
	if got != rows[0].Checksum {
		t.Errorf("the downloaded file has %s, the page shows %s", got, rows[0].Checksum)
	}
	if !strings.HasPrefix(strings.TrimPrefix(rows[0].Checksum, "sha256:"), strings.TrimSuffix(rows[0].Short, "…")) || len(rows[0].Short) > 20 {
		t.Errorf("the short checksum %q is not the start of %s", rows[0].Short, rows[0].Checksum)
	}

	// The other links too, fetched by the browser itself.
	for _, r := range rows[1:] {
		sum := eval[string](tb, `fetch(`+jsString(r.Href)+`).then(r => r.arrayBuffer()).then(b => crypto.subtle.digest("SHA-256", b)).then(d =>
			"sha256:" + [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, "0")).join(""))`)
		if sum != r.Checksum {
			t.Errorf("%s: the browser fetched %s, the page shows %s", r.Version, sum, r.Checksum)
		}
	}

	// Copy: the checksum button puts the full checksum on the clipboard,
	// a command's button the command.
	for _, perm := range []browser.PermissionDescriptor{{Name: "clipboard-read"}, {Name: "clipboard-write", AllowWithoutSanitization: true}} {
		if _, err := chromedp.CallBrowser(tb.ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &perm, Setting: browser.PermissionSettingGranted, Origin: base,
		}); err != nil {
			t.Fatalf("grant %s: %v", perm.Name, err)
		}
	}
	tb.do(chromedp.Click(chromedp.CSS(`tr.version button.copy`)))
	waitClipboard(tb, rows[0].Checksum)
	tb.do(chromedp.Click(chromedp.CSS(`section[aria-labelledby="get"] button.copy`)))
	waitClipboard(tb, "curl -OJ "+base+"/api/v1/extensions/taskserv/kubernetes/1.28.0")
	// The per-version commands open with the keyboard.
	tb.do(chromedp.Focus(chromedp.CSS(`tr.version details summary`)), chromedp.KeyEvent("\r"))
	if open := eval[bool](tb, `document.querySelector("tr.version details").open`); !open {
		t.Error("Enter on a version's Commands does not open them")
	}
}

// waitFile waits until path exists and Chromium has finished writing it.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := os.Stat(path)
		_, partial := os.Stat(path + ".crdownload")
		if err == nil && partial != nil {
			return
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			t.Fatalf("no download %s (the folder holds %v)", path, entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitClipboard waits until the clipboard holds want.
func waitClipboard(tb *tab, want string) {
	tb.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		got = eval[string](tb, `navigator.clipboard.readText()`)
		if got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.t.Errorf("the clipboard holds %q, want %q", got, want)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
