package web

import (
	"context"
	"errors"
	"net/http"
	"unicode/utf8"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// errorPage is what the error template shows.
type errorPage struct {
	layout
	Status  int
	Heading string
	Message string
}

// maxEcho bounds how much of a client's input an error page repeats.
const maxEcho = 200

// fail writes an error page: the router's answers (404, 405, 500) and the
// pages' own.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, status int, message string) {
	heading := map[int]string{
		http.StatusBadRequest:          "Bad request",
		http.StatusNotFound:            "Page not found",
		http.StatusMethodNotAllowed:    "Method not allowed",
		http.StatusTooManyRequests:     "Too many requests",
		http.StatusServiceUnavailable:  "A source is unavailable",
		http.StatusInternalServerError: "Something went wrong",
	}[status]
	if heading == "" {
		heading = http.StatusText(status)
	}
	p.render(w, r, status, "error", errorPage{
		layout:  p.newLayout(r, heading),
		Status:  status,
		Heading: heading,
		Message: clip(message, 2*maxEcho),
	})
}

// pageAnswer is how a page answers one kind of error: the status, and the
// sentence shown when the error carries no public message of its own (or,
// with own set, always: the error's message would not help a reader).
type pageAnswer struct {
	status  int
	message string
	own     bool
}

// pageKinds is the pages' table from error kinds to answers. A source that
// refuses the registry's credentials is, for a reader, a source that is
// down: 503, not the API's 401.
var pageKinds = httpkit.Kinds[pageAnswer]{
	{Kind: registry.ErrInvalidType, Answer: pageAnswer{http.StatusBadRequest, "Invalid extension type.", false}},
	{Kind: registry.ErrInvalidVersion, Answer: pageAnswer{http.StatusBadRequest, "Invalid version.", false}},
	{Kind: registry.ErrInvalid, Answer: pageAnswer{http.StatusBadRequest, "Invalid request.", false}},
	{Kind: registry.ErrNotFound, Answer: pageAnswer{http.StatusNotFound, "Not found.", false}},
	{Kind: registry.ErrRateLimited, Answer: pageAnswer{http.StatusTooManyRequests, "A source is rate limiting the registry. Try again in a minute.", true}},
	{Kind: registry.ErrUnauthorized, Answer: pageAnswer{http.StatusServiceUnavailable, "A source refused the registry's credentials.", true}},
	{Kind: registry.ErrForbidden, Answer: pageAnswer{http.StatusServiceUnavailable, "A source refused the registry's credentials.", true}},
	{Kind: registry.ErrTimeout, Answer: pageAnswer{http.StatusServiceUnavailable, "A source did not answer in time.", false}},
	{Kind: registry.ErrUnavailable, Answer: pageAnswer{http.StatusServiceUnavailable, "A source could not be reached.", false}},
	{Kind: context.DeadlineExceeded, Answer: pageAnswer{http.StatusServiceUnavailable, "A source did not answer in time.", false}},
}

// failErr answers a failed catalog call with the page of its kind. The
// message is the error's public one (never internal detail or credentials).
func (p *Pages) failErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	a, ok := pageKinds.Find(err)
	if !ok {
		a = pageAnswer{http.StatusInternalServerError, "The registry could not answer this page.", true}
	}
	msg := registry.PublicMessage(err)
	if a.own || msg == "" {
		msg = a.message
	}
	if a.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "30")
	}
	if a.status >= 500 {
		p.log.Warn("page failed", "path", clip(r.URL.Path, maxEcho), "status", a.status, "error", err)
	}
	p.fail(w, r, a.status, msg)
}

// clip returns s cut to at most n runes, marked with an ellipsis when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
