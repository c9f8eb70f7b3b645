package connector

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRetryAfterPassedThrough runs the OCI tool against a loopback
// registry that rate-limits every request with Retry-After: 120 and checks
// that the 429 Status carries the registry's delay (header and details),
// not the fixed 30 s of before.
func TestRetryAfterPassedThrough(t *testing.T) {
	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(limited.Close)
	s := newServer(t, Options{})
	a := s.get(t, "/connectors/oci/extensions", gatewayHeaders(limited.URL, "", nil))
	expectStatus(t, a, http.StatusTooManyRequests, "TooManyRequests")
	if got := a.header.Get("Retry-After"); got != "120" {
		t.Errorf("Retry-After %q, want the registry's 120", got)
	}
	var st struct {
		Details struct {
			RetryAfterSeconds int `json:"retryAfterSeconds"`
		} `json:"details"`
	}
	a.json(t, &st)
	if st.Details.RetryAfterSeconds != 120 {
		t.Errorf("details.retryAfterSeconds %d, want 120", st.Details.RetryAfterSeconds)
	}
}
