// Package upstream holds what every backend does the same way toward the
// servers it talks to (Gitea, OCI registries): it classifies their failures
// into the registry's error kinds, so that every backend reports a refused
// credential, a missing repository or an unreachable server the same way,
// and it retries the answers that say "try again later" under one policy
// (Retry).
package upstream

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"

	registry "github.com/provisioning-platform/extension-registry"
)

// KindForStatus returns the error kind of an upstream HTTP status code, or
// nil for a success.
func KindForStatus(code int) error {
	switch {
	case code < 400:
		return nil
	case code == http.StatusUnauthorized:
		return registry.ErrUnauthorized
	case code == http.StatusForbidden:
		return registry.ErrForbidden
	case code == http.StatusNotFound:
		return registry.ErrNotFound
	case code == http.StatusTooManyRequests:
		return registry.ErrRateLimited
	case code == http.StatusGatewayTimeout:
		return registry.ErrTimeout
	default:
		return registry.ErrUnavailable
	}
}

// KindForError returns the error kind of a failed call that produced no
// HTTP status: the kind of a *registry.Error in its chain (a transport that
// refused the request), a deadline is ErrTimeout, anything on the network
// (refused connection, DNS, TLS, reset) ErrUnavailable. It returns nil for a
// canceled context, which is the caller going away, not the upstream failing.
func KindForError(err error) error {
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return registry.ErrTimeout
	}
	var re *registry.Error
	if errors.As(err, &re) {
		return re.Kind
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return registry.ErrTimeout
	}
	var ue *url.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return registry.ErrUnavailable
	}
	return nil
}
