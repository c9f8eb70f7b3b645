package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one template set per page, each the layout plus the page's
// own blocks.
var pages = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range []string{"home", "extension", "error"} {
		out[name] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}()

// contentSecurityPolicy allows nothing but this origin's own styles and
// scripts (no inline script, no other host), forms that post back here, and
// no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// maxPageBytes is the size a page must stay under; the templates and the
// caps on what they show keep every page well below it.
const maxPageBytes = 100 << 10

// layout is what every page gives the layout template.
type layout struct {
	// Title is the document title, before " · Extension Registry".
	Title string
	// Query and Type fill the search form of the header.
	Query string
	Type  string
	// Down lists the sources that fail right now, shown as a notice.
	Down []sourceDown
	// CSS, JS and Icon are the asset URLs, carrying their content hash.
	CSS, JS, Icon string
}

// render executes page with data and writes it with status: the security
// headers, an ETag of the body, and 304 without a body when the request's
// If-None-Match holds that ETag.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	var buf bytes.Buffer
	if err := pages[page].Execute(&buf, data); err != nil {
		p.log.Error("rendering a page failed", "page", page, "error", err)
		p.plainError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	if buf.Len() > maxPageBytes {
		p.log.Warn("page exceeds its size budget", "page", page, "bytes", buf.Len())
	}
	sum := sha256.Sum256(buf.Bytes())
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", etag)
	if status == http.StatusOK && etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// securityHeaders sets the headers every page and asset carries.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// etagMatches reports whether an If-None-Match header value names etag
// (or is "*"), comparing weakly as RFC 9110 asks for If-None-Match.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// plainError answers when a page cannot be rendered at all.
func (p *Pages) plainError(w http.ResponseWriter, status int, msg string) {
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// newLayout returns the layout fields shared by every page.
func (p *Pages) newLayout(r *http.Request, title string) layout {
	return layout{Title: title, Down: p.status.down(r.Context()), CSS: assetURL("style.css"), JS: assetURL("app.js"), Icon: assetURL("favicon.svg")}
}
