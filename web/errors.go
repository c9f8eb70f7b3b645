package web

import (
	"context"
	"errors"
	"net/http"
	"unicode/utf8"

	registry "github.com/provisioning-platform/extension-registry"
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

// failErr answers a failed catalog call with the page of its kind. The
// message is the error's public one (never internal detail or credentials).
func (p *Pages) failErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	msg := registry.PublicMessage(err)
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, registry.ErrInvalidType), errors.Is(err, registry.ErrInvalidVersion), errors.Is(err, registry.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, registry.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, registry.ErrRateLimited):
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", "30")
		msg = "A source is rate limiting the registry. Try again in a minute."
	case errors.Is(err, registry.ErrUnauthorized), errors.Is(err, registry.ErrForbidden):
		status = http.StatusServiceUnavailable
		msg = "A source refused the registry's credentials."
	case errors.Is(err, registry.ErrTimeout), errors.Is(err, registry.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
		if msg == "" {
			msg = "A source could not be reached."
		}
	}
	if status >= 500 {
		p.log.Warn("page failed", "path", clip(r.URL.Path, maxEcho), "status", status, "error", err)
	}
	if msg == "" {
		msg = "The registry could not answer this page."
	}
	p.fail(w, r, status, msg)
}

// clip returns s cut to at most n runes, marked with an ellipsis when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
