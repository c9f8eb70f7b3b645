package httpkit

import (
	"errors"
	"math"

	registry "github.com/provisioning-platform/extension-registry"
)

// DefaultRetryAfter is the Retry-After, in seconds, of a 429 answer when
// the backend named no delay.
const DefaultRetryAfter = 30

// maxRetryAfter bounds a delay a backend names: an hour.
const maxRetryAfter = 3600

// RetryAfter returns the whole seconds a client should wait after a 429
// caused by err: the delay the backend asked for (registry.RetryAfter, or
// an error in the chain implementing registry.RetryAfterError), rounded up
// and at most an hour, else DefaultRetryAfter.
func RetryAfter(err error) int {
	d, ok := registry.RetryAfter(err)
	if !ok {
		var ra registry.RetryAfterError
		if errors.As(err, &ra) {
			d, ok = ra.RetryAfter(), true
		}
	}
	if !ok || d <= 0 {
		return DefaultRetryAfter
	}
	return int(min(math.Ceil(d.Seconds()), maxRetryAfter))
}
