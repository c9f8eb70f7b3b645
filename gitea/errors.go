package gitea

import (
	"context"
	"errors"
	"fmt"

	sdk "code.gitea.io/sdk/gitea"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/upstream"
)

// apiError turns a failed Gitea call into an *registry.Error whose kind
// follows the answer's status (or the network failure when there was no
// answer) and whose message names what was asked for. A canceled context
// is returned as it is: that is the caller leaving, not Gitea failing.
func (b *Backend) apiError(resp *sdk.Response, err error, format string, args ...any) error {
	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	return b.statusError(status, err, format, args...)
}

// statusError is apiError for a status code (0 when none came back).
func (b *Backend) statusError(status int, err error, format string, args ...any) error {
	if status == 0 && errors.Is(err, context.Canceled) {
		return err
	}
	// A failure that already says what it is (such as a transport refusing
	// a host) keeps its kind and message.
	var re *registry.Error
	if status == 0 && errors.As(err, &re) {
		return err
	}
	what := fmt.Sprintf(format, args...)
	kind := upstream.KindForStatus(status)
	if kind == nil {
		kind = upstream.KindForError(err)
	}
	if kind == nil {
		kind = registry.ErrUnavailable
	}
	var msg string
	switch kind {
	case registry.ErrNotFound:
		msg = what + " not found"
	case registry.ErrUnauthorized:
		msg = fmt.Sprintf("Gitea refused the credentials (HTTP %d) reading %s", status, what)
	case registry.ErrForbidden:
		msg = fmt.Sprintf("Gitea denied access (HTTP %d) to %s", status, what)
	case registry.ErrRateLimited:
		msg = "Gitea rate-limited the registry reading " + what
	case registry.ErrTimeout:
		msg = "Gitea did not answer in time reading " + what
	default:
		if status != 0 {
			msg = fmt.Sprintf("Gitea failed (HTTP %d) reading %s", status, what)
		} else {
			msg = fmt.Sprintf("Gitea at %s is unreachable", b.base.Redacted())
		}
	}
	return &registry.Error{Kind: kind, Message: msg, Err: err}
}
