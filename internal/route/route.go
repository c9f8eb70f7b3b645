// Package route registers the read-only routes of the registry's HTTP faces
// on a ServeMux: each route answers GET and HEAD, counts its requests under
// its pattern (never the raw path), recovers from panics, and leaves the
// bodies of 404, 405 and 500 answers to the face that owns the route, so
// that each face speaks its own error format.
package route

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/provisioning-platform/extension-registry/internal/httpkit"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// FailFunc writes an error answer of the face's own format: 404, 405 or
// 500. message quotes client input only as a bounded excerpt. (A query
// string that does not parse whole is refused before any route, by the
// server edge: internal/edge.)
type FailFunc func(w http.ResponseWriter, r *http.Request, status int, message string)

// Router registers routes on Mux. Metrics and Log may be nil.
type Router struct {
	Mux     *http.ServeMux
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// Fail writes the face's error body for 404, 405 and 500 answers.
	Fail FailFunc
}

// allow lists the methods every route answers.
const allow = "GET, HEAD, OPTIONS"

// Get registers h for GET and HEAD requests on pattern (a ServeMux pattern
// without a method). OPTIONS gets 204 with an Allow header (gateways such
// as the Connectors proxy send it to a GET operation); other methods get a
// 405 with the same header.
func (rt *Router) Get(pattern string, h http.HandlerFunc) {
	rt.Mux.Handle(pattern, rt.instrument(Label(pattern), func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set("Allow", allow)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", allow)
			rt.Fail(w, r, http.StatusMethodNotAllowed, "Method "+httpkit.Excerpt(r.Method)+" is not allowed on "+httpkit.Excerpt(r.URL.Path))
			return
		}
		h(w, r)
	}))
}

// Label is the metric route label of a ServeMux pattern: the pattern
// without the router's exact-match marker, so that the home page "/{$}" is
// labelled "/".
func Label(pattern string) string {
	if p := strings.TrimSuffix(pattern, "{$}"); p != "" {
		return p
	}
	return pattern
}

// NotFound registers a catch-all under prefix that answers 404 for every
// path no other route matches.
func (rt *Router) NotFound(prefix string) {
	rt.Mux.Handle(prefix, rt.instrument("unmatched", func(w http.ResponseWriter, r *http.Request) {
		rt.Fail(w, r, http.StatusNotFound, "Route "+httpkit.Excerpt(r.URL.Path)+" not found")
	}))
}

// instrument counts and times requests under route and turns a panic into
// a 500 answer of the face's format.
func (rt *Router) instrument(route string, h http.HandlerFunc) http.Handler {
	// The series of the common case, a GET answered 200, looked up once,
	// at its first request (so that /metrics shows no series before).
	type series struct {
		ok  prometheus.Counter
		dur prometheus.Observer
	}
	var getOK atomic.Pointer[series]
	log := rt.logger()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				rt.logger().Error("handler panic", "route", route, "panic", p)
				if !rec.wrote {
					rt.Fail(rec, r, http.StatusInternalServerError, "Internal server error")
				}
			}
			elapsed := time.Since(start)
			switch {
			case rt.Metrics == nil:
			case r.Method == http.MethodGet && rec.status == http.StatusOK:
				sr := getOK.Load()
				if sr == nil {
					sr = &series{
						ok:  rt.Metrics.Requests.WithLabelValues(route, http.MethodGet, metrics.Code(http.StatusOK)),
						dur: rt.Metrics.Duration.WithLabelValues(route, http.MethodGet),
					}
					getOK.Store(sr)
				}
				sr.ok.Inc()
				sr.dur.Observe(elapsed.Seconds())
			default:
				// Every label from a closed set: the route pattern, a
				// known method or "other", a status code.
				method := metrics.Method(r.Method)
				rt.Metrics.Requests.WithLabelValues(route, method, metrics.Code(rec.status)).Inc()
				rt.Metrics.Duration.WithLabelValues(route, method).Observe(elapsed.Seconds())
			}
			if log.Enabled(r.Context(), slog.LevelDebug) {
				log.Debug("request", "method", r.Method, "route", route, "status", rec.status, "duration", elapsed)
			}
			if p == http.ErrAbortHandler {
				// An aborted response (a download whose upstream broke) is
				// counted above, then cut as net/http intends.
				panic(p)
			}
		}()
		h(rec, r)
	})
}

func (rt *Router) logger() *slog.Logger {
	if rt.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return rt.Log
}

// recorder remembers the status code written through it.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
