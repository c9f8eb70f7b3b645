package web

import "net/http"

// WriteStatus writes the error page of an answer the server edge gives
// before any route runs (a malformed or unclean path, a bad query, the
// rate or in-flight limit). It leaves out the banner of sources that are
// down, which may ask the backends, so that a refusal never costs a
// backend call. message must already be safe to show and bounded.
func (p *Pages) WriteStatus(w http.ResponseWriter, r *http.Request, status int, message string) {
	heading := http.StatusText(status)
	if heading == "" {
		heading = "Error"
	}
	p.render(w, r, status, "error", errorPage{
		layout:  layout{Title: heading, CSS: assetURL("style.css"), JS: assetURL("app.js"), Icon: assetURL("favicon.svg")},
		Status:  status,
		Heading: heading,
		Message: clip(message, 2*maxEcho),
	})
}

// EdgePrefixes are the path prefixes of the pages, whose edge refusals are
// answered with WriteStatus; "/" itself (the home page) is one too, matched
// exactly.
var EdgePrefixes = []string{"/extensions/", "/search", "/static/"}
