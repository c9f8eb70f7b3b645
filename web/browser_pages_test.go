package web_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserHarnessSeesCSPViolations checks the harness itself: a page
// that breaks its CSP with an inline script shows up in the console the
// other browser tests check, so their "no console error" means something.
func TestBrowserHarnessSeesCSPViolations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>x</title><h1>x</h1><script>window.ran=1</script>`))
	}))
	defer srv.Close()
	tb := newTab(t, srv.URL)
	tb.open("/")
	if ran := eval[bool](tb, `window.ran === 1`); ran {
		t.Error("the CSP did not stop the inline script")
	}
	deadline := time.Now().Add(5 * time.Second)
	var seen []string
	for len(seen) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		seen = tb.takeConsole()
	}
	if len(seen) == 0 || !strings.Contains(strings.Join(seen, "\n"), "Content Security Policy") {
		t.Errorf("no CSP violation in the console: %q", seen)
	}
}

// cardNamesIn reads the names of the cards the page shows.
func cardNamesIn(tb *tab) []string {
	tb.t.Helper()
	return eval[[]string](tb, `[...document.querySelectorAll("li.card h2")].map(e => e.textContent.trim())`)
}

// waitCards waits until the page shows exactly want.
func waitCards(tb *tab, want []string) {
	tb.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := cardNamesIn(tb)
		if reflect.DeepEqual(got, want) || (len(got) == 0 && len(want) == 0) {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("the page shows %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserHomeFiltersAndSearch(t *testing.T) {
	base := serve(t, demoConfig(t))
	tb := newTab(t, base)
	tb.open("/")
	var all []string
	for _, e := range demoExtensions {
		all = append(all, e[0])
	}
	waitCards(tb, all)
	if js := eval[string](tb, `document.documentElement.dataset.js || ""`); js != "on" {
		t.Error("the page's script did not run (blocked by the CSP?)")
	}

	// The type filter narrows the list.
	tb.do(chromedp.Click(chromedp.CSS(`nav.filters a[href="/?type=taskserv"]`)))
	tb.waitLocation("/?type=taskserv")
	waitCards(tb, []string{"k3s", "kubernetes"})
	if cur := eval[string](tb, `document.querySelector('nav.filters a[aria-current="true"]').textContent`); cur != "taskserv" {
		t.Errorf("the current type filter shows %q", cur)
	}

	// Searching as you type narrows it without submitting.
	tb.open("/")
	tb.do(chromedp.SendKeys(chromedp.ID("q"), "kube"))
	waitCards(tb, []string{"kubernetes", "k3s"}) // k3s by its description, "Lightweight Kubernetes"
	tb.waitLocation("/search?q=kube")
	if h1 := eval[string](tb, `document.querySelector("h1").textContent`); !strings.Contains(h1, "kube") {
		t.Errorf("the heading after typing is %q", h1)
	}
	// The filters now narrow the search, keeping the words typed.
	tb.do(chromedp.Click(chromedp.CSS(`nav.filters a[href="/search?q=kube&type=cluster"]`)))
	tb.waitLocation("/search?q=kube&type=cluster")
	waitCards(tb, nil)
	if empty := eval[string](tb, `document.querySelector("#results .empty").textContent`); !strings.Contains(empty, "No extension matches") {
		t.Errorf("an empty result says %q", empty)
	}

	// The keyboard alone: Tab to the search box, type, Enter.
	tb.open("/")
	var focused []string
	for range 3 {
		tb.do(chromedp.KeyEvent("\t"))
		focused = append(focused, eval[string](tb, `document.activeElement.id || document.activeElement.className || document.activeElement.tagName`))
	}
	if !reflect.DeepEqual(focused, []string{"skip", "brand", "q"}) {
		t.Fatalf("Tab goes through %v, want the skip link, the home link, the search box", focused)
	}
	tb.do(chromedp.KeyEvent("cloud\r"))
	tb.waitLocation("/search?q=cloud")
	waitCards(tb, []string{"upcloud", "aws"}) // a name containing the word ranks above a tag
}
