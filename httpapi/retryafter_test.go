package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// TestRetryAfterPassedThrough checks that a 429 answer carries the delay
// the backend asked for, rounded up, and 30 s when it named none.
func TestRetryAfterPassedThrough(t *testing.T) {
	a := &API{log: slog.New(slog.DiscardHandler)}
	for _, c := range []struct {
		err  error
		want string
	}{
		{&registry.Error{Kind: registry.ErrRateLimited, Message: "slow down", RetryAfter: 120 * time.Second}, "120"},
		{&registry.Error{Kind: registry.ErrRateLimited, Message: "slow down", RetryAfter: 1500 * time.Millisecond}, "2"},
		{registry.Errorf(registry.ErrRateLimited, "slow down"), "30"},
	} {
		rec := httptest.NewRecorder()
		a.writeError(rec, httptest.NewRequest(http.MethodGet, "/api/v1/extensions", nil), c.err)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != c.want {
			t.Errorf("%v: %d Retry-After %q, want 429 with %s", c.err, rec.Code, rec.Header().Get("Retry-After"), c.want)
		}
	}
}
