package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded file with the ETag of its content.
type asset struct {
	body []byte
	etag string
}

// assets are the files under static/, read once.
var assets = func() map[string]asset {
	out := map[string]asset{}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		out[e.Name()] = asset{body: b, etag: hex.EncodeToString(sum[:8])}
	}
	return out
}()

// assetURL is the URL of the embedded file name, with its content hash as
// a query so that a changed file is fetched again despite long caching.
func assetURL(name string) string {
	return "/static/" + name + "?v=" + assets[name].etag
}

// static answers GET /static/{file} with an embedded asset: its
// ETag (304 on a match), a long cache lifetime (the URL changes with the
// content), and the page security headers.
func (p *Pages) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	a, ok := assets[name]
	if !ok {
		p.fail(w, r, http.StatusNotFound, "There is no file "+r.URL.Path+".")
		return
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	h.Set("ETag", `"`+a.etag+`"`)
	h.Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
