// Package edge is the server's outer layer, wrapped around the whole mux:
// it refuses what no route should ever see (malformed or unclean paths,
// malformed or oversize queries), bounds what a client can make the
// registry spend (requests in flight, a backend budget per request, a write
// idle cut, requests per client address), and answers each refusal with the
// error body of the face the path belongs to, so a client of the v1 API
// gets the v1 JSON error and a Connectors gateway gets a metav1.Status.
package edge

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// FailFunc writes an error answer in a face's own format. message is
// already bounded and safe to show.
type FailFunc func(w http.ResponseWriter, r *http.Request, status int, message string)

// Face is one HTTP face: the paths under Prefix (exactly Prefix when
// Exact) are answered with Fail.
type Face struct {
	Prefix string
	Exact  bool
	Fail   FailFunc
}

// Options configures the edge. Zero limits mean "no limit".
type Options struct {
	// Faces are tried in order; the first whose Prefix starts the path
	// writes the error. Default writes it for every other path.
	Faces   []Face
	Default FailFunc
	// MaxInflight caps the requests being handled at once; one more is
	// answered 503 with Retry-After at once, never queued.
	MaxInflight int
	// RequestTimeout is the total time a request under BudgetPrefix may
	// spend before its answer starts (its backend budget); once the first
	// byte of the answer is written the budget no longer applies, so a
	// download streams for as long as it keeps moving.
	RequestTimeout time.Duration
	BudgetPrefix   string
	// WriteTimeout cuts an answer when one write to the client does not
	// complete within it (a client that stopped reading).
	WriteTimeout time.Duration
	// MaxBodyBytes caps a request body; 0 means 10 MiB.
	MaxBodyBytes int64
	// RateLimit limits requests per client address.
	RateLimit RateLimit
	// Registerer receives http_edge_refused_total{reason}; nil: not
	// counted.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// The reasons the edge refuses a request, the values of the reason label.
const (
	reasonRateLimit = "rate_limit"
	reasonInflight  = "max_inflight"
	reasonRequest   = "bad_request"
)

// DefaultMaxBodyBytes is the request body cap when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 10 << 20

// Edge is the configured outer layer. Its Handler wraps the mux; its
// Listener wraps the server's listener.
type Edge struct {
	opts     Options
	log      *slog.Logger
	inflight chan struct{}
	limiter  *limiter

	refused *prometheus.CounterVec

	mu     sync.Mutex
	active map[*Request]struct{}
}

// Request is a request being handled, as Active reports it.
type Request struct {
	Method string
	// Path is the request path, cut to 128 bytes.
	Path  string
	Start time.Time
	sent  atomic.Int64
}

// Sent is how many body bytes the answer has written so far.
func (r *Request) Sent() int64 { return r.sent.Load() }

// New returns the edge of opts. It fails when a trusted proxy entry is not
// an IP address or CIDR prefix.
func New(opts Options) (*Edge, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Default == nil {
		opts.Default = func(w http.ResponseWriter, _ *http.Request, status int, message string) {
			http.Error(w, message, status)
		}
	}
	e := &Edge{opts: opts, log: opts.Logger, active: map[*Request]struct{}{}}
	e.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_edge_refused_total",
		Help: "Requests the server edge answered itself, before any route: rate_limit (429), max_inflight (503), bad_request (a malformed, unclean or oversize path or query).",
	}, []string{"reason"})
	for _, r := range []string{reasonRateLimit, reasonInflight, reasonRequest} {
		e.refused.WithLabelValues(r)
	}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(e.refused); err != nil {
			return nil, fmt.Errorf("edge metrics: %w", err)
		}
	}
	if opts.MaxInflight > 0 {
		e.inflight = make(chan struct{}, opts.MaxInflight)
	}
	if opts.RateLimit.RPS > 0 {
		l, err := newLimiter(opts.RateLimit)
		if err != nil {
			return nil, err
		}
		e.limiter = l
	}
	return e, nil
}

// fail answers r with the error body of the face its path belongs to.
func (e *Edge) fail(w http.ResponseWriter, r *http.Request, status int, message string) {
	e.failFor(r.URL.Path)(w, r, status, message)
}

func (e *Edge) failFor(path string) FailFunc {
	for _, f := range e.opts.Faces {
		if path == f.Prefix || !f.Exact && strings.HasPrefix(path, f.Prefix) {
			return f.Fail
		}
	}
	return e.opts.Default
}

// Handler wraps next: rate limit, in-flight cap, request checks, budget and
// write idle cut, in this order.
func (e *Edge) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A request with a body that is refused gets its connection closed
		// after the answer, so net/http does not wait to drain a body that
		// may never arrive.
		if r.ContentLength != 0 {
			w = &closeOnError{ResponseWriter: w}
		}
		probe := exempt(r.URL.Path)
		if e.limiter != nil && !probe {
			if !e.limiter.admit(w, r, time.Now()) {
				e.refused.WithLabelValues(reasonRateLimit).Inc()
				e.fail(w, r, http.StatusTooManyRequests, "Too many requests from this client address; retry after "+w.Header().Get("Retry-After")+" s")
				return
			}
		}
		if e.inflight != nil && !probe {
			select {
			case e.inflight <- struct{}{}:
				defer func() { <-e.inflight }()
			default:
				e.refused.WithLabelValues(reasonInflight).Inc()
				w.Header().Set("Retry-After", "1")
				e.fail(w, r, http.StatusServiceUnavailable, fmt.Sprintf("The registry is handling %d requests, its maximum; retry shortly", e.opts.MaxInflight))
				return
			}
		}
		if status, msg := checkRequest(r); status != 0 {
			e.refused.WithLabelValues(reasonRequest).Inc()
			e.fail(w, r, status, msg)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, e.opts.MaxBodyBytes)
		}
		req := e.track(r)
		defer e.untrack(req)
		ew := &writer{ResponseWriter: w, rc: http.NewResponseController(w), timeout: e.opts.WriteTimeout, req: req}
		ew.extend()
		if e.opts.RequestTimeout > 0 && strings.HasPrefix(r.URL.Path, e.opts.BudgetPrefix) {
			ctx := withBudget(r.Context(), e.opts.RequestTimeout)
			defer ctx.release()
			ew.onFirstWrite = ctx.lift
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(ew, r)
	})
}

// exempt lists the paths neither rate limited nor held to the in-flight
// cap: the probes a kubelet sends, which must answer (cheaply, without a
// backend call) even when clients flood the registry, or the pod would be
// restarted for being busy.
func exempt(path string) bool { return path == "/livez" || path == "/readyz" }

func (e *Edge) track(r *http.Request) *Request {
	p := r.URL.Path
	if len(p) > 128 {
		p = p[:128]
	}
	req := &Request{Method: r.Method, Path: p, Start: time.Now()}
	e.mu.Lock()
	e.active[req] = struct{}{}
	e.mu.Unlock()
	return req
}

func (e *Edge) untrack(req *Request) {
	e.mu.Lock()
	delete(e.active, req)
	e.mu.Unlock()
}

// Active returns the requests being handled now, oldest first.
func (e *Edge) Active() []*Request {
	e.mu.Lock()
	out := make([]*Request, 0, len(e.active))
	for r := range e.active {
		out = append(out, r)
	}
	e.mu.Unlock()
	slices.SortFunc(out, func(a, b *Request) int { return a.Start.Compare(b.Start) })
	return out
}

// retryAfter formats a wait as whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	return strconv.Itoa(max(s, 1))
}
