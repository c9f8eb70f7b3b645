package upstream

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// The retry policy every backend shares.
const (
	// DefaultRetries is how many times a request is repeated after an
	// answer that says "try again later".
	DefaultRetries = 2
	// DefaultMaxWait caps one wait between tries. A server asking for a
	// longer Retry-After is not retried: its rate limit is reported, with
	// the delay it asked for.
	DefaultMaxWait = 10 * time.Second
	// DefaultBackoff is the first wait when the server names none; it
	// doubles at each try.
	DefaultBackoff = 200 * time.Millisecond
	// maxReportedRetryAfter bounds the delay a rate-limit error passes on.
	maxReportedRetryAfter = time.Hour
	// maxDrain bounds what is read of a response that is retried, so that
	// its connection can be reused.
	maxDrain = 64 << 10
)

// Retry is the http.RoundTripper every backend talks through: it repeats a
// request answered 429, 502, 503 or 504, at most Retries times, waiting as
// the answer's Retry-After says (seconds or an HTTP date) or, without one,
// Backoff, then twice as long. It never waits past MaxWait nor past the
// request's context. Only requests that can be repeated safely are retried:
// GET, HEAD and OPTIONS, and PUT or DELETE whose body can be sent again.
// Transport errors are not retried: the caller's deadline decides.
//
// A request still answered 429 when the tries are spent (or whose
// Retry-After is longer than MaxWait) fails with a *registry.Error of kind
// ErrRateLimited whose RetryAfter is the server's, so the faces can pass it
// on; other final answers are returned as they are.
type Retry struct {
	// Base carries each try (http.DefaultTransport when nil).
	Base http.RoundTripper
	// Upstream names the server in messages, e.g. "Gitea at
	// https://gitea.example.com"; it must hold no credential.
	Upstream string
	// Retries, MaxWait and Backoff are the policy; NewRetry sets the
	// defaults above.
	Retries int
	MaxWait time.Duration
	Backoff time.Duration
}

// NewRetry returns a Retry with the default policy over base.
func NewRetry(base http.RoundTripper, upstreamName string) *Retry {
	return &Retry{Base: base, Upstream: upstreamName, Retries: DefaultRetries, MaxWait: DefaultMaxWait, Backoff: DefaultBackoff}
}

// RoundTrip sends req, repeating it as the policy says.
func (t *Retry) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	replayable := retryableMethod(req)
	wait := t.Backoff
	for try := 0; ; try++ {
		if try > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("retry: %w", err)
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		resp, err := base.RoundTrip(req)
		if err != nil || !retryableStatus(resp.StatusCode) {
			return resp, err
		}
		after, named := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		d := wait
		if named {
			d = after
		}
		if !replayable || try >= t.Retries || d > t.MaxWait || !fits(req.Context(), d) {
			if resp.StatusCode == http.StatusTooManyRequests {
				discard(resp)
				return nil, t.rateLimited(after, named)
			}
			return resp, nil
		}
		discard(resp)
		if err := sleep(req.Context(), d); err != nil {
			return nil, err
		}
		wait *= 2
	}
}

// rateLimited is the error of a request still answered 429.
func (t *Retry) rateLimited(after time.Duration, named bool) error {
	e := &registry.Error{Kind: registry.ErrRateLimited, Message: t.name() + " is rate limiting the registry"}
	if named {
		e.RetryAfter = min(after, maxReportedRetryAfter)
		if e.RetryAfter > 0 {
			e.Message += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Second))
		}
	}
	return e
}

func (t *Retry) name() string {
	if t.Upstream == "" {
		return "The upstream server"
	}
	return t.Upstream
}

// ParseRetryAfter parses a Retry-After value, delay-seconds or an HTTP date
// (relative to now), into a delay of at least zero. ok is false when the
// value is absent or malformed.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(maxReportedRetryAfter/time.Second) {
			return maxReportedRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// retryableMethod reports whether req may be sent again.
func retryableMethod(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	}
	return false
}

// retryableStatus reports whether an answer says "try again later".
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// fits reports whether waiting d leaves ctx time for another try.
// A deadline marked with WithRetryDeadline counts as well.
func fits(ctx context.Context, d time.Duration) bool {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
		return false
	}
	if deadline, ok := ctx.Value(retryDeadlineKey{}).(time.Time); ok && time.Until(deadline) <= d {
		return false
	}
	return true
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// discard drains (a bounded part of) and closes a response that is not
// returned.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	resp.Body.Close()
}

// retryDeadlineKey carries the deadline a detached call's retries must
// respect (WithRetryDeadline).
type retryDeadlineKey struct{}

// WithRetryDeadline returns ctx marked with the deadline of the request a
// detached call works for: a shared call that outlives its first caller
// (context.WithoutCancel) loses that caller's deadline, yet the retry
// policy must not wait past it for a Retry-After, or the caller gets its
// own timeout instead of the backend's 429. The mark never cancels
// anything; without a deadline in from, ctx is returned unchanged.
func WithRetryDeadline(ctx, from context.Context) context.Context {
	if d, ok := from.Deadline(); ok {
		return context.WithValue(ctx, retryDeadlineKey{}, d)
	}
	return ctx
}
