package httpkit

import (
	"errors"
	"math"
	"time"
)

// DefaultRetryAfter is the Retry-After, in seconds, of a 429 answer when
// the backend named no delay.
const DefaultRetryAfter = 30

// maxRetryAfter bounds a delay a backend names: an hour.
const maxRetryAfter = 3600

// retryAfterer is an error that carries the delay a backend asked for
// (its Retry-After).
type retryAfterer interface {
	RetryAfter() time.Duration
}

// RetryAfter returns the whole seconds a client should wait after a 429
// caused by err: the delay the backend asked for when an error in err's
// chain carries one (a RetryAfter() time.Duration method), rounded up and
// at most an hour, else DefaultRetryAfter.
func RetryAfter(err error) int {
	var ra retryAfterer
	if errors.As(err, &ra) {
		if d := ra.RetryAfter(); d > 0 {
			return int(min(math.Ceil(d.Seconds()), maxRetryAfter))
		}
	}
	return DefaultRetryAfter
}
