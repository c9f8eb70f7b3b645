package web_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

func TestBrowserHostileAnnotationsDoNotRun(t *testing.T) {
	base := serve(t, hostileRegistry(t))
	tb := newTab(t, base)
	for _, path := range []string{"/", "/search?q=evil", "/extensions/provider/evil"} {
		tb.open(path)
		if pwned := eval[bool](tb, `window.__pwned !== undefined`); pwned {
			t.Errorf("%s: an annotation's script ran", path)
		}
		if n := eval[int](tb, `document.querySelectorAll("img, b, script:not([src])").length`); n != 0 {
			t.Errorf("%s: %d elements came from annotations", path, n)
		}
	}
	// The description reads as the text it is.
	if d := eval[string](tb, `document.querySelector(".lead").textContent`); d != evilDescription {
		t.Errorf("the description shows as %q", d)
	}
	// Hovering the rows and tags fires nothing either.
	tb.do(chromedp.MouseClickXY(10, 10))
	for _, sel := range []string{".tags li", ".lead", "dl.meta"} {
		tb.do(chromedp.ScrollIntoView(chromedp.CSS(sel)))
	}
	if pwned := eval[bool](tb, `window.__pwned !== undefined`); pwned {
		t.Error("an annotation's handler ran")
	}
}

// phoneWidth and wideWidth are the viewports the layout is checked at.
const (
	phoneWidth, phoneHeight = 390, 844
	wideWidth, wideHeight   = 1280, 860
)

func TestBrowserPhoneAndWideLayouts(t *testing.T) {
	base := serve(t, demoConfig(t))
	tb := newTab(t, base)
	tb.expectFailure("/extensions/taskserv/nope") // a 404 page, which the browser notes
	for _, w := range []struct {
		name          string
		width, height int64
	}{{"phone", phoneWidth, phoneHeight}, {"wide", wideWidth, wideHeight}} {
		for _, path := range []string{"/", "/search?q=kube", "/extensions/taskserv/kubernetes", "/extensions/taskserv/nope"} {
			tb.do(chromedp.EmulateViewport(w.width, w.height, chromedp.EmulateScale(1)))
			tb.open(path)
			// Nothing is wider than the screen: no sideways scrolling.
			if sw := eval[int64](tb, `document.documentElement.scrollWidth`); sw > w.width {
				t.Errorf("%s %s: the page is %d px wide on a %d px screen", w.name, path, sw, w.width)
			}
			if fs := eval[float64](tb, `parseFloat(getComputedStyle(document.body).fontSize)`); fs < 14 {
				t.Errorf("%s %s: body text is %.0f px", w.name, path, fs)
			}

		}
		// The versions table: columns when wide, stacked cards on a phone.
		tb.open("/extensions/taskserv/kubernetes")
		display := eval[string](tb, `getComputedStyle(document.querySelector("tr.version")).display`)
		if want := map[string]string{"phone": "grid", "wide": "table-row"}[w.name]; display != want {
			t.Errorf("%s: version rows display as %s, want %s", w.name, display, want)
		}
	}
}

func TestBrowserLightAndDarkSchemes(t *testing.T) {
	base := serve(t, demoConfig(t))
	tb := newTab(t, base)
	bg := map[string]string{}
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		tb.open("/")
		bg[scheme] = eval[string](tb, `getComputedStyle(document.body).backgroundColor + " / " + getComputedStyle(document.body).color`)
	}
	if bg["light"] == bg["dark"] {
		t.Errorf("light and dark look the same: %s", bg["light"])
	}
	// Dark means a dark background: its luminance is low.
	lum := eval[float64](tb, `(() => { const m = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
		return (0.2126*m[0] + 0.7152*m[1] + 0.0722*m[2]) / 255; })()`)
	if lum > 0.3 {
		t.Errorf("the dark scheme's background has luminance %.2f", lum)
	}
}

// TestBrowserScreenshots saves the README's screenshots into
// docs/screenshots when EXTREG_SCREENSHOTS=1.
func TestBrowserScreenshots(t *testing.T) {
	if os.Getenv("EXTREG_SCREENSHOTS") != "1" {
		t.Skip("set EXTREG_SCREENSHOTS=1 to write docs/screenshots/")
	}
	cfg := demoConfig(t)
	cfg.PublicURL = "http://localhost:8082" // the commands read as in the README
	base := serve(t, cfg)
	tb := newTab(t, base)
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := func(name, path string, width, height int64, dark bool, then ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		scheme := "light"
		if dark {
			scheme = "dark"
		}
		if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		tb.do(chromedp.EmulateViewport(width, height, chromedp.EmulateScale(1)))
		tb.open(path)
		tb.do(then...)
		capture := chromedp.CaptureScreenshot()
		if width == phoneWidth {
			capture = chromedp.FullScreenshot(100)
		}
		buf, err := chromedp.Run(tb.ctx, capture)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shot("home.png", "/", wideWidth, 720, false)
	shot("search.png", "/search?q=kube", wideWidth, 560, false)
	openFirst := chromedp.Click(chromedp.CSS("tr.version details summary"))
	shot("extension.png", "/extensions/taskserv/kubernetes", wideWidth, 960, false, openFirst)
	shot("phone.png", "/extensions/taskserv/kubernetes", phoneWidth, phoneHeight, false)
	shot("home-dark.png", "/", wideWidth, 720, true)
}
