package upstream_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/upstream"
)

// flaky is a loopback server that answers the first fails requests with
// status (and Retry-After when set), then 200 "ok". It counts requests.
type flaky struct {
	srv        *httptest.Server
	hits       atomic.Int32
	fails      int32
	status     int
	retryAfter string
}

func newFlaky(t *testing.T, fails int32, status int, retryAfter string) *flaky {
	t.Helper()
	f := &flaky{fails: fails, status: status, retryAfter: retryAfter}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if n := f.hits.Add(1); n <= f.fails {
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			w.WriteHeader(f.status)
			_, _ = io.WriteString(w, "busy")
			return
		}
		_, _ = io.WriteString(w, "ok "+string(body))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// fastRetry is the default policy with short waits, for tests.
func fastRetry() *upstream.Retry {
	r := upstream.NewRetry(http.DefaultTransport, "Test server")
	r.Backoff = 10 * time.Millisecond
	return r
}

func do(t *testing.T, rt http.RoundTripper, ctx context.Context, method, url, body string) (*http.Response, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func TestRetryRepeatsTryAgainLater(t *testing.T) {
	for _, status := range []int{429, 502, 503, 504} {
		f := newFlaky(t, 2, status, "")
		resp, err := do(t, fastRetry(), context.Background(), http.MethodGet, f.srv.URL, "")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d twice then 200: %v, %v", status, resp, err)
		}
		if n := f.hits.Load(); n != 3 {
			t.Errorf("%d: %d requests, want 3", status, n)
		}
	}
}

func TestRetryGivesUpAfterTwoRetries(t *testing.T) {
	f := newFlaky(t, 100, 503, "")
	resp, err := do(t, fastRetry(), context.Background(), http.MethodGet, f.srv.URL, "")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("always 503: %v, %v; want the 503", resp, err)
	}
	if n := f.hits.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (two retries)", n)
	}
	f = newFlaky(t, 100, 429, "0")
	_, err = do(t, fastRetry(), context.Background(), http.MethodGet, f.srv.URL, "")
	if !errors.Is(err, registry.ErrRateLimited) {
		t.Fatalf("always 429: %v, want ErrRateLimited", err)
	}
	if n := f.hits.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRetryLeavesOtherAnswersAlone(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 500} {
		f := newFlaky(t, 1, status, "")
		resp, err := do(t, fastRetry(), context.Background(), http.MethodGet, f.srv.URL, "")
		if err != nil || resp.StatusCode != status || f.hits.Load() != 1 {
			t.Errorf("%d: %v, %v after %d requests; want the answer, once", status, resp, err, f.hits.Load())
		}
	}
}

func TestRetryOnlyRepeatableMethods(t *testing.T) {
	f := newFlaky(t, 1, 503, "")
	resp, err := do(t, fastRetry(), context.Background(), http.MethodPost, f.srv.URL, "payload")
	if err != nil || resp.StatusCode != 503 || f.hits.Load() != 1 {
		t.Errorf("POST: %v, %v after %d requests; want the 503, once", resp, err, f.hits.Load())
	}
	f = newFlaky(t, 1, 503, "")
	resp, err = do(t, fastRetry(), context.Background(), http.MethodPut, f.srv.URL, "payload")
	if err != nil || resp.StatusCode != 200 || f.hits.Load() != 2 {
		t.Fatalf("PUT with a replayable body: %v, %v after %d requests", resp, err, f.hits.Load())
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "ok payload" {
		t.Errorf("PUT retried with body %q, want the same body again", b)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	f := newFlaky(t, 1, 429, "1")
	start := time.Now()
	resp, err := do(t, fastRetry(), context.Background(), http.MethodGet, f.srv.URL, "")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("429 Retry-After 1: %v, %v", resp, err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %s, want about the 1 s the server asked", d)
	}

	date := time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
	f = newFlaky(t, 1, 503, date)
	start = time.Now()
	resp, err = do(t, fastRetry(), context.Background(), http.MethodGet, f.srv.URL, "")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("503 Retry-After date: %v, %v", resp, err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("retried after %s, want the delay up to the HTTP date", d)
	}
}

func TestRetryAfterPastTheCapIsReported(t *testing.T) {
	f := newFlaky(t, 100, 429, "120")
	start := time.Now()
	_, err := do(t, fastRetry(), context.Background(), http.MethodGet, f.srv.URL, "")
	if !errors.Is(err, registry.ErrRateLimited) {
		t.Fatalf("429 Retry-After 120: %v, want ErrRateLimited", err)
	}
	if d, ok := registry.RetryAfter(err); !ok || d != 120*time.Second {
		t.Errorf("RetryAfter = %s, %v; want the server's 120 s", d, ok)
	}
	if msg := registry.PublicMessage(err); !strings.Contains(msg, "Test server") {
		t.Errorf("message %q does not name the server", msg)
	}
	if n, d := f.hits.Load(), time.Since(start); n != 1 || d > 5*time.Second {
		t.Errorf("%d requests in %s: a wait past the cap must not be waited", n, d)
	}
}

func TestRetryStopsAtTheContext(t *testing.T) {
	// A deadline shorter than the wait: not retried.
	f := newFlaky(t, 100, 503, "3")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	resp, err := do(t, fastRetry(), ctx, http.MethodGet, f.srv.URL, "")
	if err != nil || resp.StatusCode != 503 || f.hits.Load() != 1 || time.Since(start) > 900*time.Millisecond {
		t.Errorf("wait past the deadline: %v, %v, %d requests in %s; want the 503 at once", resp, err, f.hits.Load(), time.Since(start))
	}
	// Canceled while waiting: the wait ends with the context.
	f = newFlaky(t, 100, 503, "5")
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	_, err = do(t, fastRetry(), ctx, http.MethodGet, f.srv.URL, "")
	if !errors.Is(err, context.Canceled) || time.Since(start) > 3*time.Second {
		t.Errorf("canceled during the wait: %v after %s; want context.Canceled at once", err, time.Since(start))
	}
}

// TestRetryRespectsTheMarkedDeadline: a detached call (no deadline of its
// own, as a shared blob fill is) marked with its first caller's deadline
// gives the 429 back at once rather than waiting past that deadline.
func TestRetryRespectsTheMarkedDeadline(t *testing.T) {
	f := newFlaky(t, 100, 429, "1")
	caller, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	detached := upstream.WithRetryDeadline(context.WithoutCancel(caller), caller)
	if _, ok := detached.Deadline(); ok {
		t.Fatal("the marked context has a deadline of its own")
	}
	start := time.Now()
	_, err := do(t, fastRetry(), detached, http.MethodGet, f.srv.URL, "")
	if !errors.Is(err, registry.ErrRateLimited) {
		t.Fatalf("429 Retry-After 1 with 1.5 s left: %v, want ErrRateLimited", err)
	}
	// One wait of 1 s fits in 1.5 s, a second does not: two requests, and
	// the answer before the caller's deadline.
	if n, d := f.hits.Load(), time.Since(start); n != 2 || d >= 1500*time.Millisecond {
		t.Errorf("%d requests in %s; want 2, before the caller's deadline", n, d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false},
		{"999999999", time.Hour, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range tests {
		got, ok := upstream.ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
