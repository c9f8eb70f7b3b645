package oci

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/upstream"
)

// errSkip marks a repository that holds no extension (no semantic-version
// tag, or no type): List leaves it out, Get reports the extension missing.
var errSkip = errors.New("repository holds no extension")

// kindOf returns the registry error kind of a failure of the OCI client:
// the HTTP status of a registry's error response, a missing credential,
// oras-go's not-found, or the transport failure. It returns nil for a
// canceled context and for errors it does not recognise.
func kindOf(err error) error {
	if err == nil {
		return nil
	}
	var re *registry.Error
	if errors.As(err, &re) {
		return re.Kind
	}
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		return upstream.KindForStatus(resp.StatusCode)
	}
	switch {
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return registry.ErrUnauthorized
	case errors.Is(err, errdef.ErrNotFound):
		return registry.ErrNotFound
	case strings.Contains(err.Error(), "missing username or password for basic auth"):
		// auth.Client's unexported error when the registry asks for basic
		// authentication and only a token was configured.
		return registry.ErrUnauthorized
	}
	return upstream.KindForError(err)
}

// phrases says in a client's terms what each kind of failure means.
var phrases = map[error]string{
	registry.ErrNotFound:     "not found",
	registry.ErrUnauthorized: "the OCI registry rejected the credentials",
	registry.ErrForbidden:    "the credentials may not read this from the OCI registry",
	registry.ErrRateLimited:  "the OCI registry is rate limiting requests",
	registry.ErrUnavailable:  "the OCI registry is unavailable",
	registry.ErrTimeout:      "the OCI registry did not answer in time",
}

// wrap classifies err and returns it as a *registry.Error whose Message
// names what was being done ("listing repositories") and the kind of
// failure, and whose Err keeps the cause for logs. An error that already is a
// *registry.Error is returned as it is; a canceled context is wrapped without
// a kind, since the caller went away. The messages of oras-go never carry
// credentials (they are sent in headers, never in URLs).
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var re *registry.Error
	if errors.As(err, &re) {
		return err
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", what, err)
	}
	kind := kindOf(err)
	if kind == nil {
		kind = registry.ErrUnavailable
	}
	phrase, ok := phrases[kind]
	if !ok {
		phrase = kind.Error()
	}
	return &registry.Error{Kind: kind, Message: what + ": " + phrase, Err: err}
}

// notFound returns an ErrNotFound *registry.Error with a client-facing
// message.
func notFound(format string, args ...any) error {
	return registry.Errorf(registry.ErrNotFound, format, args...)
}

// invalid returns an ErrInvalid *registry.Error with a client-facing message.
func invalid(format string, args ...any) error {
	return registry.Errorf(registry.ErrInvalid, format, args...)
}
