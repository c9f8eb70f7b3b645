package web_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser: one headless Chromium for the test binary, one tab per test.
var (
	browserMu     sync.Mutex
	browserCtx    context.Context
	browserCancel func()
	browserErr    error
)

func init() {
	stopBrowser = func() {
		browserMu.Lock()
		defer browserMu.Unlock()
		if browserCancel != nil {
			browserCancel()
			browserCancel = nil
		}
	}
}

// chromiumPath finds the browser: EXTREG_TEST_CHROMIUM, else chromium or
// chromium-browser on the PATH (Debian's package, which
// scripts/install-browser.sh installs). Without one the test is skipped,
// except under CI=true, where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("EXTREG_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium binary (set EXTREG_TEST_CHROMIUM or run scripts/install-browser.sh)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// startBrowser starts the shared Chromium on first use. Its flags keep it
// from calling any host of its own (updates, sync, QUIC probes), and a fresh
// profile directory keeps runs apart.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := chromiumPath(t)
	browserMu.Lock()
	defer browserMu.Unlock()
	if browserCtx == nil && browserErr == nil {
		dir, err := os.MkdirTemp("", "extreg-chromium-")
		if err != nil {
			t.Fatal(err)
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(bin),
			chromedp.UserDataDir(dir),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("no-pings", true),
			chromedp.Flag("lang", "en-US"),
			chromedp.WindowSize(1280, 900),
		)
		if os.Geteuid() == 0 {
			opts = append(opts, chromedp.NoSandbox)
		}
		allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(allocCtx)
		if err := chromedp.Do(ctx); err != nil {
			browserErr = fmt.Errorf("start %s: %w", bin, err)
			cancel()
			allocCancel()
		} else {
			browserCtx = ctx
			browserCancel = func() { cancel(); allocCancel(); os.RemoveAll(dir) }
		}
	}
	if browserErr != nil {
		t.Fatal(browserErr)
	}
	return browserCtx
}

// tab is one browser tab of a test, with what it saw on the network and in
// the console.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	requests []string
	console  []string
	// expected holds URLs whose failed loads are the point of the test
	// (an error page), not a console error.
	expected map[string]bool
}

// newTab opens a tab for a test of the registry at base; it closes when the
// test ends, after checking that every request the page made went to base
// and that the console holds no error (no CSP violation, no exception).
func newTab(t *testing.T, base string) *tab {
	t.Helper()
	parent := startBrowser(t)
	ctx, cancel := chromedp.NewContext(parent)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	tb := &tab{t: t, ctx: ctx, base: base}
	t.Cleanup(func() {
		tb.checkNetworkAndConsole()
		cancelTimeout()
		cancel()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			tb.requests = append(tb.requests, ev.Request.URL)
		case *log.EventEntryAdded:
			if tb.expected[ev.Entry.URL] && ev.Entry.Source == log.EntrySourceNetwork {
				return
			}
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				tb.console = append(tb.console, string(ev.Entry.Source)+": "+ev.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			tb.console = append(tb.console, "exception: "+ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				tb.console = append(tb.console, "console."+string(ev.Type))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return tb
}

// checkNetworkAndConsole fails the test for any request to another host
// than the registry's, and for any console error.
func (tb *tab) checkNetworkAndConsole() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	own, _ := url.Parse(tb.base)
	if len(tb.requests) == 0 {
		tb.t.Error("the browser reported no request at all: network events are not seen")
	}
	for _, r := range tb.requests {
		u, err := url.Parse(r)
		if err != nil || u.Host != own.Host || (u.Scheme != "http" && u.Scheme != "https") {
			tb.t.Errorf("the page made a request to another host: %.200s", r)
		}
	}
	for _, c := range tb.console {
		tb.t.Errorf("browser console: %.300s", c)
	}
}

// do runs actions in the tab and fails the test on error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page, waiting for it when
// it is a promise.
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// open navigates to path under the registry and waits for the page.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.base + path))
}

// location is the URL of the page, as the browser's history has it (it
// works with script execution disabled).
func (tb *tab) location() string {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		tb.t.Fatal(err)
	}
	return v
}

// waitLocation waits until the page's URL starts with base+prefix.
func (tb *tab) waitLocation(prefix string) {
	tb.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		loc := tb.location()
		if strings.HasPrefix(loc, tb.base+prefix) {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("the page stayed at %s, want %s%s", loc, tb.base, prefix)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// expectFailure tells the tab that loading base+path fails on purpose (an
// error page), so the browser's note of it is no console error.
func (tb *tab) expectFailure(path string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.expected == nil {
		tb.expected = map[string]bool{}
	}
	tb.expected[tb.base+path] = true
}

// takeConsole returns and forgets what the console held so far.
func (tb *tab) takeConsole() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	c := tb.console
	tb.console = nil
	return c
}
